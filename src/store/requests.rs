//! The `requests` table: one row per Jira issue carrying the trigger label, with its workflow state. Reads go to the
//! pool; every change goes through a [`Tx`] so its audit event and follow-up jobs commit with it.

use chrono::{DateTime, Utc};

use super::{QueryContext, Result, Store, Tx, with_pool, with_tx};
use crate::model::State;

/// A data request as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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
    /// The issue's attachments as a JSON array of `{id, filename, size, mimeType, created}`.
    pub attachments: String,
    /// State machine state (a stored name Clearance does not know is refused on read).
    pub state: State,
    /// Why it is in that state (failed, rejected, cancelled).
    pub reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change (optimistic check on save).
    pub version: i64,
    /// The analyst who claimed the review.
    pub reviewer: Option<String>,
    /// The extraction plan (JSON).
    pub plan: Option<String>,
    /// SHA-256 of the plan's canonical form.
    pub plan_digest: Option<String>,
    /// Who last changed the plan.
    pub plan_author: Option<String>,
    /// The analyst's answer to "is personal data involved?".
    pub pii: Option<bool>,
    /// The personal-data scan's findings (JSON), once it ran.
    pub pii_scan: Option<String>,
    /// The plan digest that was approved.
    pub approved_digest: Option<String>,
    /// Who approved.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
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
    /// Attachments (`{id, filename, size, mimeType, created}` each).
    pub attachments: Vec<serde_json::Value>,
}

/// What [`Tx::upsert_request`] did.
#[derive(Clone, Debug)]
pub struct Upserted {
    /// The row as it is now.
    pub row: RequestRow,
    /// True when the request was created by this call.
    pub created: bool,
}

macro_rules! request_columns {
    () => {
        "id, tenant_id, issue_id, issue_key, project_key, summary, description, reporter, labels, attachments, state, reason, \
         created_at, updated_at, version, reviewer, plan, plan_digest, plan_author, pii, pii_scan, approved_digest, \
         approved_by, approved_at"
    };
}

impl Store {
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

    /// A request by id, within its tenant.
    pub async fn request(&self, tenant_id: &str, id: &str) -> Result<Option<RequestRow>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = $1 AND id = $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(id).fetch_optional(pool).await
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
}

impl Tx {
    /// The request for a Jira issue, locked until commit.
    pub async fn lock_request_by_issue(
        &mut self,
        tenant_id: &str,
        issue_id: &str,
    ) -> Result<Option<RequestRow>> {
        let sql = format!(
            concat!(
                "SELECT ",
                request_columns!(),
                " FROM requests WHERE tenant_id = $1 AND issue_id = $2{}"
            ),
            self.for_update()
        );
        with_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(issue_id)
            .fetch_optional(&mut *c).await.op("reading a request"))
    }

    /// Create the request for an issue (state `new`) or refresh the mirrored fields of the existing one; either way
    /// the row stays locked until commit.
    pub async fn upsert_request(&mut self, tenant_id: &str, s: &IssueSnapshot) -> Result<Upserted> {
        let now = Utc::now();
        let labels = serde_json::to_string(&s.labels).unwrap_or_else(|_| "[]".into());
        let attachments = serde_json::to_string(&s.attachments).unwrap_or_else(|_| "[]".into());
        let insert = concat!(
            "INSERT INTO requests (id, tenant_id, issue_id, issue_key, project_key, summary, description, reporter, \
             labels, attachments, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $10, $10) \
             ON CONFLICT (tenant_id, issue_id) DO NOTHING RETURNING ",
            request_columns!()
        );
        let created: Option<RequestRow> = with_tx!(self, c => sqlx::query_as(insert)
            .bind(uuid::Uuid::new_v4().to_string()).bind(tenant_id).bind(&s.issue_id).bind(&s.issue_key)
            .bind(&s.project_key).bind(&s.summary).bind(&s.description).bind(&s.reporter).bind(&labels).bind(now)
            .bind(&attachments).bind(State::New.as_str())
            .fetch_optional(&mut *c).await.op("creating a request"))?;
        if let Some(row) = created {
            return Ok(Upserted { row, created: true });
        }
        let update = concat!(
            "UPDATE requests SET issue_key = $3, project_key = $4, summary = $5, description = $6, reporter = $7, \
             labels = $8, updated_at = $9, attachments = $10 WHERE tenant_id = $1 AND issue_id = $2 RETURNING ",
            request_columns!()
        );
        let row = with_tx!(self, c => sqlx::query_as(update)
            .bind(tenant_id).bind(&s.issue_id).bind(&s.issue_key).bind(&s.project_key).bind(&s.summary)
            .bind(&s.description).bind(&s.reporter).bind(&labels).bind(now).bind(&attachments)
            .fetch_one(&mut *c).await.op("refreshing a request"))?;
        Ok(Upserted {
            row,
            created: false,
        })
    }

    /// Write a request's workflow fields (state, reason, plan, review and approval) as changed by a command, if its
    /// version is still `r.version`; returns the stored row (version bumped), or `None` if it changed meanwhile.
    pub async fn save_request(&mut self, r: &RequestRow) -> Result<Option<RequestRow>> {
        let sql = concat!(
            "UPDATE requests SET state = $3, reason = $4, reviewer = $5, plan = $6, plan_digest = $7, \
             plan_author = $8, pii = $9, pii_scan = $10, approved_digest = $11, approved_by = $12, approved_at = $13, \
             updated_at = $14, version = version + 1 WHERE id = $1 AND version = $2 RETURNING ",
            request_columns!()
        );
        with_tx!(self, c => sqlx::query_as(sql)
            .bind(&r.id).bind(r.version).bind(r.state.as_str()).bind(&r.reason).bind(&r.reviewer).bind(&r.plan)
            .bind(&r.plan_digest).bind(&r.plan_author).bind(r.pii).bind(&r.pii_scan).bind(&r.approved_digest)
            .bind(&r.approved_by).bind(r.approved_at).bind(Utc::now())
            .fetch_optional(&mut *c).await.op("saving a request"))
    }
}
