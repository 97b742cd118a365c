//! The `age_keys` table: Jira accounts' age public keys, per tenant, for bundles encrypted to their holders.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{QueryContext, Result, Store, Tx, with_pool, with_tx};

/// One account's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AgeKeyRow {
    /// The Jira account.
    pub account_id: String,
    /// `age1…`.
    pub public_key: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made it.
    pub updated_by: String,
}

impl Store {
    /// The key of `account_id`, if one is registered.
    pub async fn age_key(&self, tenant_id: &str, account_id: &str) -> Result<Option<AgeKeyRow>> {
        let sql = "SELECT account_id, public_key, updated_at, updated_by FROM age_keys \
                   WHERE tenant_id = $1 AND account_id = $2";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(account_id)
            .fetch_optional(pool).await.op("reading an age key"))
    }

    /// A tenant's keys, by account id.
    pub async fn age_keys(&self, tenant_id: &str) -> Result<Vec<AgeKeyRow>> {
        let sql = "SELECT account_id, public_key, updated_at, updated_by FROM age_keys WHERE tenant_id = $1 \
                   ORDER BY account_id";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id)
            .fetch_all(pool).await.op("listing age keys"))
    }
}

impl Tx {
    /// Register (or replace) an account's key.
    pub async fn put_age_key(&mut self, tenant_id: &str, k: &AgeKeyRow) -> Result<()> {
        let sql = "INSERT INTO age_keys (tenant_id, account_id, public_key, updated_at, updated_by) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, account_id) DO UPDATE SET \
                   public_key = excluded.public_key, updated_at = excluded.updated_at, updated_by = excluded.updated_by";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(&k.account_id).bind(&k.public_key)
            .bind(k.updated_at).bind(&k.updated_by).execute(&mut *c).await.op("storing an age key").map(drop))
    }

    /// Remove an account's key; returns whether there was one.
    pub async fn delete_age_key(&mut self, tenant_id: &str, account_id: &str) -> Result<bool> {
        let sql = "DELETE FROM age_keys WHERE tenant_id = $1 AND account_id = $2";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(account_id)
            .execute(&mut *c).await.op("deleting an age key").map(|r| r.rows_affected() == 1))
    }
}
