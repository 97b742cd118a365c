//! The `forge_installations` table: which Forge installation a Forge tenant was last called from, the Jira API base
//! URL its tokens name, and the newest app system token (sealed; only the Forge adapter opens it; re-sealed for key
//! rotation).

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::{InstallRecord, QueryContext, Result, SealedSecret, Store, StoredTenant, with_pool};

/// A Forge installation as stored.
#[derive(Clone, Debug)]
pub struct ForgeInstallation {
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The site's cloud id.
    pub cloud_id: String,
    /// The installation Forge last called from.
    pub installation_id: String,
    /// Its Forge environment.
    pub environment_id: Option<String>,
    /// Jira's REST base for it (`https://api.atlassian.com/ex/jira/{cloudId}`).
    pub api_base_url: String,
    /// The newest app system token, sealed.
    pub system_token: Option<Sealed>,
    /// When that token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A sealed token column (Debug redacts it).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub SealedSecret);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// What a verified invocation says about its installation.
#[derive(Clone, Debug)]
pub struct ForgeContact {
    /// The site's cloud id.
    pub cloud_id: String,
    /// The installation calling.
    pub installation_id: String,
    /// Its environment.
    pub environment_id: Option<String>,
    /// Jira's REST base for it.
    pub api_base_url: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: String,
    cloud_id: String,
    installation_id: String,
    environment_id: Option<String>,
    api_base_url: String,
    system_token: Option<String>,
    token_expires_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for ForgeInstallation {
    fn from(r: Row) -> Self {
        Self {
            tenant_id: r.tenant_id,
            cloud_id: r.cloud_id,
            installation_id: r.installation_id,
            environment_id: r.environment_id,
            api_base_url: r.api_base_url,
            system_token: r.system_token.map(|s| Sealed(SealedSecret(s))),
            token_expires_at: r.token_expires_at,
            updated_at: r.updated_at,
        }
    }
}

impl Store {
    /// The Forge installation of a tenant, if it is a Forge tenant.
    pub async fn forge_installation(&self, tenant_id: &str) -> Result<Option<ForgeInstallation>> {
        let sql = "SELECT tenant_id, cloud_id, installation_id, environment_id, api_base_url, system_token, \
                   token_expires_at, updated_at FROM forge_installations WHERE tenant_id = $1";
        let row: Option<Row> = with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id)
            .fetch_optional(pool).await.op("reading a Forge installation"))?;
        Ok(row.map(Into::into))
    }

    /// The tenant for a Forge site, created on first contact: the tenant row (client key `forge:{cloudId}`) and its
    /// installation row, in one transaction. An existing site keeps its tenant; the installation id, environment
    /// and API base URL are brought up to date (a re-install changes the installation id). Also returns the
    /// installation id recorded before (`None` on first contact).
    #[instrument(skip_all, fields(cloud_id = %contact.cloud_id))]
    pub async fn forge_tenant(
        &self,
        rec: &InstallRecord,
        contact: &ForgeContact,
    ) -> Result<(StoredTenant, Option<String>)> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let before = "SELECT installation_id FROM forge_installations WHERE cloud_id = $1";
        let previous: Option<(String,)> = crate::store::with_tx!(&mut tx, c => sqlx::query_as(before)
            .bind(&contact.cloud_id).fetch_optional(&mut *c).await.op("reading a Forge installation"))?;
        let tenant_sql = "INSERT INTO tenants (id, client_key, shared_secret, base_url, display_url, product_type, \
             description, state, created_at, updated_at, installed_at, uninstalled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'installed', $8, $8, $8, NULL) ON CONFLICT (client_key) DO NOTHING";
        let install_sql = "INSERT INTO forge_installations (tenant_id, cloud_id, installation_id, environment_id, \
             api_base_url, updated_at) SELECT id, $2, $3, $4, $5, $6 FROM tenants WHERE client_key = $1 \
             ON CONFLICT (tenant_id) DO UPDATE SET installation_id = excluded.installation_id, \
             environment_id = excluded.environment_id, api_base_url = excluded.api_base_url, \
             updated_at = excluded.updated_at \
             WHERE forge_installations.installation_id <> excluded.installation_id \
             OR forge_installations.api_base_url <> excluded.api_base_url \
             OR forge_installations.environment_id IS DISTINCT FROM excluded.environment_id";
        crate::store::with_tx!(&mut tx, c => {
            sqlx::query(tenant_sql).bind(uuid::Uuid::new_v4().to_string()).bind(&rec.client_key)
                .bind(&rec.shared_secret.0).bind(rec.base_url.as_str()).bind(rec.display_url.as_str())
                .bind(&rec.product_type).bind(&rec.description).bind(now)
                .execute(&mut *c).await.op("creating a Forge tenant")?;
            sqlx::query(install_sql).bind(&rec.client_key).bind(&contact.cloud_id).bind(&contact.installation_id)
                .bind(&contact.environment_id).bind(&contact.api_base_url).bind(now)
                .execute(&mut *c).await.op("recording a Forge installation").map(drop)
        })?;
        tx.commit().await?;
        let stored = self
            .tenant_by_client_key(&rec.client_key)
            .await?
            .ok_or_else(|| super::StoreError::Corrupt {
                table: "tenants",
                detail: format!("Forge tenant {} vanished", rec.client_key),
            })?;
        Ok((stored, previous.map(|(id,)| id)))
    }

    /// Keep `sealed` as the installation's system token if it outlives the one stored. Returns whether it was kept.
    pub async fn keep_forge_token(
        &self,
        tenant_id: &str,
        sealed: &SealedSecret,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE forge_installations SET system_token = $2, token_expires_at = $3 \
                   WHERE tenant_id = $1 AND (token_expires_at IS NULL OR token_expires_at < $3)";
        with_pool!(self, pool => sqlx::query(sql).bind(tenant_id).bind(&sealed.0).bind(expires_at)
            .execute(pool).await.op("keeping a Forge token").map(|r| r.rows_affected() == 1))
    }

    /// Every stored system token's `(tenant id, sealed token)`, for re-sealing under a new master key.
    pub async fn sealed_forge_tokens(&self) -> Result<Vec<(String, SealedSecret)>> {
        let sql = "SELECT tenant_id, system_token FROM forge_installations WHERE system_token IS NOT NULL \
                   ORDER BY tenant_id";
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(sql)
            .fetch_all(pool).await.op("reading sealed Forge tokens"))?;
        Ok(rows
            .into_iter()
            .map(|(t, s)| (t, SealedSecret(s)))
            .collect())
    }

    /// Replace sealed tokens, each `(tenant id, old, new)`; a token replaced meanwhile (a fresher one from Forge) is
    /// left alone. Returns how many were re-sealed.
    pub async fn reseal_forge_tokens(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql = "UPDATE forge_installations SET system_token = $3 WHERE tenant_id = $1 AND system_token = $2";
        self.reseal(sql, entries).await
    }

    /// Forget an installation's system token (pre-uninstall).
    pub async fn drop_forge_token(&self, tenant_id: &str) -> Result<()> {
        let sql = "UPDATE forge_installations SET system_token = NULL, token_expires_at = NULL WHERE tenant_id = $1";
        with_pool!(self, pool => sqlx::query(sql).bind(tenant_id).execute(pool).await
            .op("dropping a Forge token").map(drop))
    }
}
