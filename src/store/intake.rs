//! Intake tables: webhook deliveries (deduplicated per tenant) stored together with the job they trigger, and
//! tenants' trigger settings.

use chrono::Utc;

use super::{NewJob, QueryContext, Result, Store, with_pool};

/// A verified webhook delivery to store.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookEvent {
    /// Tenant it came from (from the verified token).
    pub tenant_id: String,
    /// `X-Atlassian-Webhook-Identifier` (same across Jira's retries).
    pub identifier: String,
    /// `webhookEvent`.
    pub event: String,
    /// The issue it concerns, if any.
    pub issue_id: Option<String>,
    /// `X-Atlassian-Webhook-Retry`.
    pub retry: i32,
    /// The raw JSON body.
    pub body: String,
}

/// Insert one delivery on an open transaction and, if it is new for its tenant, its job; evaluates to whether it was
/// new. A macro so the same statements run on a PostgreSQL transaction and on the SQLite writer's connection.
macro_rules! insert_webhook {
    ($tx:expr, $ev:expr, $job:expr, $now:expr) => {{
        let ev: &$crate::store::WebhookEvent = $ev;
        let fresh = sqlx::query(
            "INSERT INTO webhook_events (id, tenant_id, identifier, event, issue_id, retry, received_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string()).bind(&ev.tenant_id).bind(&ev.identifier).bind(&ev.event)
        .bind(&ev.issue_id).bind(ev.retry).bind($now).bind(&ev.body)
        .execute(&mut *$tx).await.op("storing a webhook event")?.rows_affected() == 1;
        if fresh && let Some(job) = $job {
            $crate::store::jobs::insert_job!(uuid::Uuid::now_v7().to_string(), job, $now)
                .execute(&mut *$tx).await.op("enqueueing the webhook's job")?;
        }
        fresh
    }};
}
pub(super) use insert_webhook;

/// [`insert_webhook!`]'s event insert for many deliveries at once (SQLite): `$1` is a JSON array of objects with the
/// [`WebhookEvent`] fields and an `id`, `$2` the receipt time. Rows are taken in array order, so of two copies of a
/// delivery the first is stored; the ids of the rows stored are returned.
pub(super) const INSERT_EVENTS_JSON: &str = "INSERT INTO webhook_events (id, tenant_id, identifier, event, issue_id, \
     retry, received_at, body) \
     SELECT e.value ->> 'id', e.value ->> 'tenant_id', e.value ->> 'identifier', e.value ->> 'event', \
     e.value ->> 'issue_id', e.value ->> 'retry', $2, e.value ->> 'body' FROM json_each($1) AS e WHERE true \
     ORDER BY e.key ON CONFLICT DO NOTHING RETURNING id";

impl Store {
    /// Store a webhook delivery and, if it is new for this tenant, enqueue `job` in the same transaction.
    /// Returns false for a duplicate delivery (nothing is written). Either way it has been committed on return.
    ///
    /// On SQLite the delivery goes to the intake writer, which commits queued deliveries in groups; PostgreSQL takes
    /// a pooled connection and commits it alone.
    pub async fn record_webhook(&self, ev: WebhookEvent, job: Option<NewJob>) -> Result<bool> {
        match self {
            Store::Sqlite(_, writer) => writer.record(ev, job).await,
            Store::Postgres(pool) => {
                let now = Utc::now();
                let mut tx = pool.begin().await.op("starting webhook intake")?;
                let fresh = insert_webhook!(tx, &ev, job.as_ref(), now);
                tx.commit().await.op("committing webhook intake")?;
                Ok(fresh)
            }
        }
    }

    /// How many webhook deliveries are stored for a tenant.
    pub async fn webhook_event_count(&self, tenant_id: &str) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM webhook_events WHERE tenant_id = $1";
        with_pool!(self, pool => sqlx::query_scalar(sql).bind(tenant_id).fetch_one(pool).await.op("counting webhook events"))
    }

    /// The stored delivery with this identifier, if any.
    pub async fn webhook_event(
        &self,
        tenant_id: &str,
        identifier: &str,
    ) -> Result<Option<WebhookEvent>> {
        let sql = "SELECT tenant_id, identifier, event, issue_id, retry, body FROM webhook_events \
                   WHERE tenant_id = $1 AND identifier = $2";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(identifier).fetch_optional(pool).await
            .op("reading a webhook event"))
    }

    /// A tenant's trigger label and project restriction (comma-separated keys, `None` = all projects).
    pub async fn tenant_trigger(
        &self,
        tenant_id: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let sql = "SELECT trigger_label, trigger_projects FROM tenants WHERE id = $1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).fetch_optional(pool).await.op("reading trigger settings"))
    }

    /// Ids of the tenants that are installed or enabled.
    pub async fn active_tenant_ids(&self) -> Result<Vec<String>> {
        let sql = "SELECT id FROM tenants WHERE state IN ('installed', 'enabled') ORDER BY id";
        with_pool!(self, pool => sqlx::query_scalar(sql).fetch_all(pool).await.op("listing active tenants"))
    }
}
