//! The `data_sources` table: a tenant's warehouses with their sealed connection URLs; list, get, upsert and delete,
//! always scoped to one tenant, and re-sealing for key rotation.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::{QueryContext, Result, SealedSecret, Store, StoreError, Tx, with_pool, with_tx};
use crate::extract::{environment::Environment, sql_guard::Dialect};

/// The columns, in `SourceRow` order (a macro so queries stay `&'static str` literals).
macro_rules! source_columns {
    () => {
        "id, tenant_id, name, kind, url_sealed, environment, allowed_projects, max_rows, max_bytes, \
         statement_timeout_secs, created_at, updated_at, updated_by"
    };
}

/// A data source as stored: everything in the clear except the connection URL, which only `sources` opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDataSource {
    /// Row id (part of the sealed URL's associated data).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Name, unique per tenant.
    pub name: String,
    /// Engine.
    pub kind: Dialect,
    /// The connection URL, sealed with the master key and bound to `(tenant_id, id)`.
    pub url_sealed: SealedSecret,
    /// Staging or production.
    pub environment: Environment,
    /// Jira project keys allowed to use the source.
    pub allowed_projects: Vec<String>,
    /// Most rows one extraction may return.
    pub max_rows: u64,
    /// Most bytes one extraction may return.
    pub max_bytes: u64,
    /// Server-side statement timeout, in seconds.
    pub statement_timeout_secs: u32,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Account id of the admin who last changed it.
    pub updated_by: String,
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    tenant_id: String,
    name: String,
    kind: String,
    url_sealed: String,
    environment: String,
    allowed_projects: String,
    max_rows: i64,
    max_bytes: i64,
    statement_timeout_secs: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

impl TryFrom<SourceRow> for StoredDataSource {
    type Error = StoreError;

    fn try_from(r: SourceRow) -> Result<Self> {
        let corrupt = |detail: String| StoreError::Corrupt {
            table: "data_sources",
            detail,
        };
        let positive = |column: &str, v: i64| {
            u64::try_from(v)
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| corrupt(format!("{column} is {v}")))
        };
        Ok(Self {
            kind: Dialect::from_kind(&r.kind)
                .ok_or_else(|| corrupt(format!("bad kind {:?}", r.kind)))?,
            environment: Environment::parse(&r.environment)
                .ok_or_else(|| corrupt(format!("bad environment {:?}", r.environment)))?,
            allowed_projects: serde_json::from_str(&r.allowed_projects).map_err(|e| {
                corrupt(format!("allowed_projects is not a JSON list of keys: {e}"))
            })?,
            max_rows: positive("max_rows", r.max_rows)?,
            max_bytes: positive("max_bytes", r.max_bytes)?,
            statement_timeout_secs: u32::try_from(r.statement_timeout_secs).map_err(|_| {
                corrupt(format!(
                    "statement_timeout_secs is {}",
                    r.statement_timeout_secs
                ))
            })?,
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            url_sealed: SealedSecret(r.url_sealed),
            created_at: r.created_at,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        })
    }
}

fn to_i64(column: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt {
        table: "data_sources",
        detail: format!("{column} {v} does not fit the column"),
    })
}

impl Store {
    /// A tenant's data sources, by name.
    #[instrument(skip_all)]
    pub async fn data_sources(&self, tenant_id: &str) -> Result<Vec<StoredDataSource>> {
        let sql = concat!(
            "SELECT ",
            source_columns!(),
            " FROM data_sources WHERE tenant_id = $1 ORDER BY name"
        );
        let rows: Vec<SourceRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).fetch_all(pool).await.op("listing data sources"))?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// One of a tenant's data sources, by name.
    #[instrument(skip_all, fields(name))]
    pub async fn data_source(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<StoredDataSource>> {
        let sql = concat!(
            "SELECT ",
            source_columns!(),
            " FROM data_sources WHERE tenant_id = $1 AND name = $2"
        );
        let row: Option<SourceRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).bind(name).fetch_optional(pool).await.op("reading a data source"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Every data source's `(tenant id, source id, sealed URL)`, for re-sealing under a new master key.
    pub async fn sealed_data_source_urls(&self) -> Result<Vec<(String, String, SealedSecret)>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool =>
            sqlx::query_as("SELECT tenant_id, id, url_sealed FROM data_sources ORDER BY tenant_id, id")
                .fetch_all(pool).await.op("reading sealed data source URLs"))?;
        Ok(rows
            .into_iter()
            .map(|(t, id, s)| (t, id, SealedSecret(s)))
            .collect())
    }

    /// Replace sealed URLs in one transaction. Each entry is `(source id, old, new)`; a row whose URL changed
    /// meanwhile is left alone. Returns how many rows were re-sealed.
    pub async fn reseal_data_source_urls(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql = "UPDATE data_sources SET url_sealed = $3 WHERE id = $1 AND url_sealed = $2";
        self.reseal(sql, entries).await
    }
}

impl Tx {
    /// One of a tenant's data sources, locked until commit (read before changing it).
    pub async fn data_source_for_update(
        &mut self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<StoredDataSource>> {
        let sql = format!(
            concat!(
                "SELECT ",
                source_columns!(),
                " FROM data_sources WHERE tenant_id = $1 AND name = $2{}"
            ),
            self.for_update()
        );
        let row: Option<SourceRow> = with_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id).bind(name).fetch_optional(&mut *c).await.op("reading a data source"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Create the source, or overwrite the one with the same tenant, name and id (`created_at` is kept). False when
    /// the name is taken by another row (created meanwhile): nothing was written.
    pub async fn upsert_data_source(&mut self, s: &StoredDataSource) -> Result<bool> {
        let projects =
            serde_json::to_string(&s.allowed_projects).map_err(|e| StoreError::Corrupt {
                table: "data_sources",
                detail: format!("allowed_projects: {e}"),
            })?;
        let (max_rows, max_bytes) = (
            to_i64("max_rows", s.max_rows)?,
            to_i64("max_bytes", s.max_bytes)?,
        );
        let timeout = i32::try_from(s.statement_timeout_secs).map_err(|_| StoreError::Corrupt {
            table: "data_sources",
            detail: format!(
                "statement_timeout_secs {} does not fit the column",
                s.statement_timeout_secs
            ),
        })?;
        let sql = concat!(
            "INSERT INTO data_sources (",
            source_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET kind = excluded.kind, url_sealed = excluded.url_sealed, \
               environment = excluded.environment, allowed_projects = excluded.allowed_projects, \
               max_rows = excluded.max_rows, max_bytes = excluded.max_bytes, \
               statement_timeout_secs = excluded.statement_timeout_secs, updated_at = excluded.updated_at, \
               updated_by = excluded.updated_by \
             WHERE data_sources.id = excluded.id"
        );
        let n = with_tx!(self, c => sqlx::query(sql)
            .bind(&s.id).bind(&s.tenant_id).bind(&s.name).bind(s.kind.kind()).bind(&s.url_sealed.0)
            .bind(s.environment.as_str()).bind(&projects).bind(max_rows).bind(max_bytes).bind(timeout)
            .bind(s.created_at).bind(s.updated_at).bind(&s.updated_by)
            .execute(&mut *c).await.op("storing a data source").map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Delete one of a tenant's data sources; returns what was deleted.
    pub async fn delete_data_source(
        &mut self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<StoredDataSource>> {
        let sql = concat!(
            "DELETE FROM data_sources WHERE tenant_id = $1 AND name = $2 RETURNING ",
            source_columns!()
        );
        let row: Option<SourceRow> = with_tx!(self, c => sqlx::query_as(sql)
            .bind(tenant_id).bind(name).fetch_optional(&mut *c).await.op("deleting a data source"))?;
        row.map(TryInto::try_into).transpose()
    }
}
