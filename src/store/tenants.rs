//! The `tenants` table: install/re-install upsert, lookups by clientKey, lifecycle state, and secret re-sealing.

use chrono::{DateTime, Utc};
use tracing::instrument;
use url::Url;

use super::{QueryContext, Result, Store, StoreError, with_pool};
use crate::tenant::{Tenant, TenantState};

/// The tenant columns, in `TenantRow` order (a macro so queries stay `&'static str` literals).
macro_rules! columns {
    () => {
        "id, client_key, shared_secret, base_url, display_url, product_type, description, state, \
         created_at, updated_at, installed_at, uninstalled_at"
    };
}

/// A secret as stored: sealed by `crypto::MasterKeys`, opaque to the store.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(pub String);

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

/// A tenant with its sealed shared secret (only the host adapter opens it).
#[derive(Clone, Debug)]
pub struct StoredTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// Its sealed shared secret.
    pub shared_secret: SealedSecret,
}

/// What a verified `installed` event writes.
#[derive(Clone, Debug)]
pub struct InstallRecord {
    /// Connect clientKey.
    pub client_key: String,
    /// Sealed shared secret (bound to the clientKey).
    pub shared_secret: SealedSecret,
    /// REST base URL.
    pub base_url: Url,
    /// Link base URL.
    pub display_url: Url,
    /// `jira`, …
    pub product_type: String,
    /// Host description.
    pub description: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    client_key: String,
    shared_secret: String,
    base_url: String,
    display_url: String,
    product_type: String,
    description: Option<String>,
    state: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    installed_at: DateTime<Utc>,
    uninstalled_at: Option<DateTime<Utc>>,
}

impl TryFrom<TenantRow> for StoredTenant {
    type Error = StoreError;

    fn try_from(r: TenantRow) -> Result<Self> {
        let corrupt = |detail: String| StoreError::Corrupt {
            table: "tenants",
            detail,
        };
        let url = |s: &str| Url::parse(s).map_err(|e| corrupt(format!("bad URL {s:?}: {e}")));
        Ok(Self {
            tenant: Tenant {
                base_url: url(&r.base_url)?,
                display_url: url(&r.display_url)?,
                state: TenantState::parse(&r.state)
                    .ok_or_else(|| corrupt(format!("bad state {:?}", r.state)))?,
                id: r.id,
                client_key: r.client_key,
                product_type: r.product_type,
                description: r.description,
                created_at: r.created_at,
                updated_at: r.updated_at,
                installed_at: r.installed_at,
                uninstalled_at: r.uninstalled_at,
            },
            shared_secret: SealedSecret(r.shared_secret),
        })
    }
}

impl Store {
    /// Insert a new tenant or overwrite an existing one's secret and URLs (a re-install rotates the secret).
    /// The state becomes `installed` and any uninstall mark is cleared.
    #[instrument(skip_all, fields(client_key = %rec.client_key))]
    pub async fn upsert_installed_tenant(&self, rec: &InstallRecord) -> Result<StoredTenant> {
        let now = Utc::now();
        let sql = concat!(
            "INSERT INTO tenants (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, 'installed', $8, $8, $8, NULL) \
             ON CONFLICT (client_key) DO UPDATE SET shared_secret = excluded.shared_secret, \
               base_url = excluded.base_url, display_url = excluded.display_url, \
               product_type = excluded.product_type, description = excluded.description, state = 'installed', \
               updated_at = excluded.updated_at, installed_at = excluded.installed_at, uninstalled_at = NULL \
             RETURNING ",
            columns!()
        );
        let row: TenantRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&rec.client_key)
            .bind(&rec.shared_secret.0)
            .bind(rec.base_url.as_str())
            .bind(rec.display_url.as_str())
            .bind(&rec.product_type)
            .bind(&rec.description)
            .bind(now)
            .fetch_one(pool)
            .await
            .op("storing an installed tenant"))?;
        row.try_into()
    }

    /// The tenant with this clientKey, if any (in any state).
    #[instrument(skip_all)]
    pub async fn tenant_by_client_key(&self, client_key: &str) -> Result<Option<StoredTenant>> {
        let sql = concat!("SELECT ", columns!(), " FROM tenants WHERE client_key = $1");
        let row: Option<TenantRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(client_key)
            .fetch_optional(pool)
            .await
            .op("looking up a tenant"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// The tenant with this id (Clearance's own id), if any.
    #[instrument(skip_all)]
    pub async fn tenant_by_id(&self, id: &str) -> Result<Option<StoredTenant>> {
        let sql = concat!("SELECT ", columns!(), " FROM tenants WHERE id = $1");
        let row: Option<TenantRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(pool)
            .await
            .op("looking up a tenant by id"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Set a tenant's lifecycle state; `uninstalled` also records when. Returns the updated tenant.
    #[instrument(skip_all, fields(client_key, state = %state))]
    pub async fn set_tenant_state(
        &self,
        client_key: &str,
        state: TenantState,
    ) -> Result<Option<StoredTenant>> {
        let now = Utc::now();
        let uninstalled_at = (state == TenantState::Uninstalled).then_some(now);
        let sql = concat!(
            "UPDATE tenants SET state = $2, updated_at = $3, uninstalled_at = COALESCE($4, uninstalled_at) \
             WHERE client_key = $1 RETURNING ",
            columns!()
        );
        let row: Option<TenantRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(client_key)
            .bind(state.as_str())
            .bind(now)
            .bind(uninstalled_at)
            .fetch_optional(pool)
            .await
            .op("changing a tenant's state"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Change the URL people's links use for a tenant (Forge learns the site's URL after the tenant exists).
    pub async fn set_tenant_display_url(
        &self,
        id: &str,
        url: &Url,
    ) -> Result<Option<StoredTenant>> {
        let sql = concat!(
            "UPDATE tenants SET display_url = $2, updated_at = $3 WHERE id = $1 RETURNING ",
            columns!()
        );
        let row: Option<TenantRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id).bind(url.as_str()).bind(Utc::now())
            .fetch_optional(pool).await.op("changing a tenant's site URL"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Every tenant's `(clientKey, sealed secret)`, for re-sealing under a new master key.
    pub async fn sealed_tenant_secrets(&self) -> Result<Vec<(String, SealedSecret)>> {
        let rows: Vec<(String, String)> = with_pool!(self, pool =>
            sqlx::query_as("SELECT client_key, shared_secret FROM tenants ORDER BY client_key")
                .fetch_all(pool)
                .await
                .op("reading sealed secrets"))?;
        Ok(rows
            .into_iter()
            .map(|(k, s)| (k, SealedSecret(s)))
            .collect())
    }

    /// Replace sealed secrets in one transaction. Each entry is `(clientKey, old, new)`; a row whose secret changed
    /// meanwhile (a re-install) is left alone. Returns how many rows were re-sealed.
    pub async fn reseal_tenant_secrets(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql =
            "UPDATE tenants SET shared_secret = $3 WHERE client_key = $1 AND shared_secret = $2";
        self.reseal(sql, entries).await
    }
}

/// A tenant's mapping from Jira groups to Clearance roles, and its separation-of-duty switch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RolePolicy {
    /// Groups whose members are analysts.
    pub analyst_groups: Vec<String>,
    /// Groups whose members are privacy officers.
    pub privacy_groups: Vec<String>,
    /// Groups whose members are admins.
    pub admin_groups: Vec<String>,
    /// The privacy officer who approves may not be the analyst who wrote the plan.
    pub sod_author_not_approver: bool,
}

fn groups_from_json(column: &'static str, raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
        table: "tenants",
        detail: format!("{column} is not a JSON list of group names: {e}"),
    })
}

impl Store {
    /// A tenant's role policy (`None` if the tenant does not exist).
    pub async fn role_policy(&self, tenant_id: &str) -> Result<Option<RolePolicy>> {
        let sql = "SELECT analyst_groups, privacy_groups, admin_groups, sod_author_not_approver FROM tenants \
                   WHERE id = $1";
        let row: Option<(String, String, String, bool)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).fetch_optional(pool).await.op("reading the role policy"))?;
        row.map(|(a, p, ad, sod)| {
            Ok(RolePolicy {
                analyst_groups: groups_from_json("analyst_groups", &a)?,
                privacy_groups: groups_from_json("privacy_groups", &p)?,
                admin_groups: groups_from_json("admin_groups", &ad)?,
                sod_author_not_approver: sod,
            })
        })
        .transpose()
    }
}
