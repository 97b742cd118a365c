//! The `plan_snapshots` table: every saved extraction plan under its digest, written once and never changed, so the
//! exact SQL behind any digest in the audit trail (a dry run, a submission, an approval) can be read later.

use chrono::{SecondsFormat, Utc};

use super::{QueryContext, Result, Store, Tx, with_pool, with_tx};

impl Tx {
    /// Keep `plan` (its canonical JSON) under `digest`; a digest already kept is left as it was.
    pub async fn keep_plan_snapshot(
        &mut self,
        tenant_id: &str,
        digest: &str,
        plan: &str,
        actor: &str,
    ) -> Result<()> {
        let sql = "INSERT INTO plan_snapshots (tenant_id, digest, plan, created_at, created_by) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, digest) DO NOTHING";
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(digest).bind(plan).bind(&at).bind(actor)
            .execute(&mut *c).await.op("keeping a plan snapshot").map(drop))
    }
}

impl Store {
    /// The plan kept under `digest` (canonical JSON), if any.
    pub async fn plan_snapshot(&self, tenant_id: &str, digest: &str) -> Result<Option<String>> {
        let sql = "SELECT plan FROM plan_snapshots WHERE tenant_id = $1 AND digest = $2";
        with_pool!(self, pool => sqlx::query_scalar(sql).bind(tenant_id).bind(digest).fetch_optional(pool).await
            .op("reading a plan snapshot"))
    }
}
