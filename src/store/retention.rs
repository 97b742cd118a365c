//! A tenant's retention rules (default days, the bounds a request's own retention must keep, expiry on issue close)
//! and a request's own retention.

use super::{QueryContext, Result, Store, StoreError, Tx, with_pool, with_tx};

/// How long deliveries stay on their issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPolicy {
    /// Days a delivery stays by default.
    pub default_days: u32,
    /// Fewest days a request may ask for.
    pub min_days: u32,
    /// Most days a request may ask for.
    pub max_days: u32,
    /// Closing the issue removes the delivery at once.
    pub expire_on_close: bool,
}

fn days(column: &'static str, v: i64) -> Result<u32> {
    u32::try_from(v)
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| StoreError::Corrupt {
            table: "tenants",
            detail: format!("{column} is {v}"),
        })
}

impl Store {
    /// A tenant's retention policy (`None` if the tenant does not exist).
    pub async fn retention_policy(&self, tenant_id: &str) -> Result<Option<RetentionPolicy>> {
        let sql = "SELECT retention_days, retention_min_days, retention_max_days, expire_on_close FROM tenants \
                   WHERE id = $1";
        let row: Option<(i64, i64, i64, bool)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).fetch_optional(pool).await.op("reading the retention policy"))?;
        row.map(|(d, min, max, close)| {
            Ok(RetentionPolicy {
                default_days: days("retention_days", d)?,
                min_days: days("retention_min_days", min)?,
                max_days: days("retention_max_days", max)?,
                expire_on_close: close,
            })
        })
        .transpose()
    }

    /// Every tenant id, for commands that look across tenants (erasure).
    pub async fn tenant_ids(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = with_pool!(self, pool => sqlx::query_as("SELECT id FROM tenants ORDER BY id")
            .fetch_all(pool).await.op("listing tenants"))?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

impl Tx {
    /// Replace a tenant's retention policy (validated by the caller).
    pub async fn set_retention_policy(
        &mut self,
        tenant_id: &str,
        p: &RetentionPolicy,
    ) -> Result<()> {
        let sql = "UPDATE tenants SET retention_days = $2, retention_min_days = $3, retention_max_days = $4, \
                   expire_on_close = $5 WHERE id = $1";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(i64::from(p.default_days))
            .bind(i64::from(p.min_days)).bind(i64::from(p.max_days)).bind(p.expire_on_close)
            .execute(&mut *c).await.op("changing the retention policy").map(drop))
    }

    /// Set a request's own retention (`None`: the tenant's default).
    pub async fn set_request_retention(
        &mut self,
        request_id: &str,
        days: Option<u32>,
    ) -> Result<()> {
        with_tx!(self, c => sqlx::query("UPDATE requests SET retention_days = $2 WHERE id = $1")
            .bind(request_id).bind(days.map(i64::from)).execute(&mut *c).await
            .op("setting a request's retention").map(drop))
    }

    /// A request's own retention in days, if set.
    pub async fn request_retention(&mut self, request_id: &str) -> Result<Option<u32>> {
        let row: Option<(Option<i64>,)> = with_tx!(self, c => sqlx::query_as(
            "SELECT retention_days FROM requests WHERE id = $1")
            .bind(request_id).fetch_optional(&mut *c).await.op("reading a request's retention"))?;
        Ok(row.and_then(|(d,)| d).and_then(|d| u32::try_from(d).ok()))
    }
}
