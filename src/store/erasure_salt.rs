//! The tenant's erasure salt (`tenants.erasure_salt`, the key of its data subjects' hashes): made once, on first use,
//! and sealed like every other secret. Salts written in clear before they were sealed are told apart by their shape
//! and sealed in place by compare-and-swap, so a salt is never replaced by a different one.

use secrecy::SecretString;

use super::{QueryContext, Result, SealedSecret, Store, StoreError, with_pool};

/// A tenant's erasure salt as stored.
#[derive(Clone, Debug)]
pub enum StoredSalt {
    /// Sealed with the master key, bound to the tenant (`crypto::erasure_salt_context`).
    Sealed(SealedSecret),
    /// Written in clear before salts were sealed: sealed in place on first use or by `clearance rotate-key`.
    Clear(SecretString),
}

impl StoredSalt {
    fn from_column(value: String) -> Self {
        if crate::crypto::looks_sealed(&value) {
            Self::Sealed(SealedSecret(value))
        } else {
            Self::Clear(SecretString::from(value))
        }
    }
}

impl Store {
    /// The tenant's erasure salt, `fresh` (sealed by the caller) stored if it has none yet: whoever stores first
    /// wins, and every caller gets the stored one.
    pub async fn erasure_salt(&self, tenant_id: &str, fresh: &SealedSecret) -> Result<StoredSalt> {
        let set = "UPDATE tenants SET erasure_salt = $2 WHERE id = $1 AND erasure_salt IS NULL";
        with_pool!(self, pool => sqlx::query(set).bind(tenant_id).bind(&fresh.0).execute(pool).await
            .op("making the erasure salt").map(drop))?;
        self.existing_erasure_salt(tenant_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "tenants",
                detail: format!("tenant {tenant_id} has no erasure salt"),
            })
    }

    /// The tenant's erasure salt, if it has one (a tenant without one has recorded no data subjects).
    pub async fn existing_erasure_salt(&self, tenant_id: &str) -> Result<Option<StoredSalt>> {
        let row: Option<(Option<String>,)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT erasure_salt FROM tenants WHERE id = $1")
            .bind(tenant_id).fetch_optional(pool).await.op("reading the erasure salt"))?;
        Ok(row.and_then(|(s,)| s).map(StoredSalt::from_column))
    }

    /// Every tenant's `(tenant id, salt)` that has one, for key rotation.
    pub async fn erasure_salts(&self) -> Result<Vec<(String, StoredSalt)>> {
        let sql = "SELECT id, erasure_salt FROM tenants WHERE erasure_salt IS NOT NULL ORDER BY id";
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(sql)
            .fetch_all(pool).await.op("reading erasure salts"))?;
        Ok(rows
            .into_iter()
            .map(|(id, s)| (id, StoredSalt::from_column(s)))
            .collect())
    }

    /// Replace a salt stored in clear by `sealed` (the same salt, sealed), only if it is still exactly `clear`.
    /// Returns whether it was replaced (`false`: someone sealed it first).
    pub async fn seal_clear_erasure_salt(
        &self,
        tenant_id: &str,
        clear: &SecretString,
        sealed: &SealedSecret,
    ) -> Result<bool> {
        use secrecy::ExposeSecret as _;
        let sql = "UPDATE tenants SET erasure_salt = $3 WHERE id = $1 AND erasure_salt = $2";
        with_pool!(self, pool => sqlx::query(sql).bind(tenant_id).bind(clear.expose_secret()).bind(&sealed.0)
            .execute(pool).await.op("sealing an erasure salt").map(|r| r.rows_affected() == 1))
    }

    /// Replace sealed salts, each `(tenant id, old, new)`; a salt changed meanwhile is left alone. Returns how many
    /// were re-sealed.
    pub async fn reseal_erasure_salts(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql = "UPDATE tenants SET erasure_salt = $3 WHERE id = $1 AND erasure_salt = $2";
        self.reseal(sql, entries).await
    }
}
