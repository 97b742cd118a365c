//! Intake tables: webhook deliveries (deduplicated per tenant) stored together with the job they trigger, tenants'
//! trigger settings, and the `requests` rows the sync job keeps in step with Jira.

use chrono::{DateTime, Utc};

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

/// A data request as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RequestRow {
    /// Request id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Jira issue id (stable across key changes).
    pub issue_id: String,
    /// Current issue key.
    pub issue_key: String,
    /// Project key.
    pub project_key: String,
    /// Issue summary.
    pub summary: String,
    /// Description as plain text.
    pub description: String,
    /// Reporter accountId (the requester).
    pub reporter: Option<String>,
    /// Labels as a JSON array.
    pub labels: String,
    /// State machine state.
    pub state: String,
    /// Why it is in that state (failed, rejected, cancelled).
    pub reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The issue fields a request mirrors, as read from Jira.
#[derive(Clone, Debug)]
pub struct IssueSnapshot {
    /// Issue id.
    pub issue_id: String,
    /// Issue key.
    pub issue_key: String,
    /// Project key.
    pub project_key: String,
    /// Summary.
    pub summary: String,
    /// Plain-text description.
    pub description: String,
    /// Reporter accountId.
    pub reporter: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
}

macro_rules! request_columns {
    () => {
        "id, tenant_id, issue_id, issue_key, project_key, summary, description, reporter, labels, state, reason, \
         created_at, updated_at"
    };
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

    /// Change a tenant's trigger label and project restriction.
    pub async fn set_tenant_trigger(
        &self,
        tenant_id: &str,
        label: &str,
        projects: Option<&str>,
    ) -> Result<()> {
        let sql = "UPDATE tenants SET trigger_label = $2, trigger_projects = $3 WHERE id = $1";
        with_pool!(self, pool => sqlx::query(sql).bind(tenant_id).bind(label).bind(projects).execute(pool).await
            .op("changing trigger settings").map(|_| ()))
    }

    /// The request for a Jira issue, if there is one.
    pub async fn request_by_issue(
        &self,
        tenant_id: &str,
        issue_id: &str,
    ) -> Result<Option<RequestRow>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = $1 AND issue_id = $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(issue_id).fetch_optional(pool).await
            .op("reading a request"))
    }

    /// A tenant's requests, newest first.
    pub async fn requests(&self, tenant_id: &str) -> Result<Vec<RequestRow>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = $1 ORDER BY created_at DESC, id"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).fetch_all(pool).await.op("listing requests"))
    }

    /// Create the request for an issue (state `new`) or refresh the mirrored fields of the existing one.
    pub async fn upsert_request(&self, tenant_id: &str, s: &IssueSnapshot) -> Result<RequestRow> {
        let now = Utc::now();
        let labels = serde_json::to_string(&s.labels).unwrap_or_else(|_| "[]".into());
        let sql = concat!(
            "INSERT INTO requests (",
            request_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', NULL, $10, $10) \
             ON CONFLICT (tenant_id, issue_id) DO UPDATE SET issue_key = excluded.issue_key, \
             project_key = excluded.project_key, summary = excluded.summary, description = excluded.description, \
             reporter = excluded.reporter, labels = excluded.labels, updated_at = excluded.updated_at RETURNING ",
            request_columns!()
        );
        with_pool!(self, pool => sqlx::query_as(sql)
            .bind(uuid::Uuid::new_v4().to_string()).bind(tenant_id).bind(&s.issue_id).bind(&s.issue_key)
            .bind(&s.project_key).bind(&s.summary).bind(&s.description).bind(&s.reporter).bind(&labels).bind(now)
            .fetch_one(pool).await.op("storing a request"))
    }

    /// Move a request to `state` with a reason, only if it is currently in one of `from`. Returns the row if moved.
    pub async fn move_request(
        &self,
        id: &str,
        from: &[&str],
        state: &str,
        reason: Option<&str>,
    ) -> Result<Option<RequestRow>> {
        let Some(current) = with_pool!(self, pool => sqlx::query_scalar::<_, String>("SELECT state FROM requests WHERE id = $1")
            .bind(id).fetch_optional(pool).await.op("reading a request's state"))?
        else {
            return Ok(None);
        };
        if !from.contains(&current.as_str()) {
            return Ok(None);
        }
        let sql = concat!(
            "UPDATE requests SET state = $3, reason = $4, updated_at = $5 WHERE id = $1 AND state = $2 RETURNING ",
            request_columns!()
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(id).bind(&current).bind(state).bind(reason).bind(Utc::now())
            .fetch_optional(pool).await.op("moving a request"))
    }

    /// Ids of the tenants that are installed or enabled.
    pub async fn active_tenant_ids(&self) -> Result<Vec<String>> {
        let sql = "SELECT id FROM tenants WHERE state IN ('installed', 'enabled') ORDER BY id";
        with_pool!(self, pool => sqlx::query_scalar(sql).fetch_all(pool).await.op("listing active tenants"))
    }
}
