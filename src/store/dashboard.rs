//! Reads for the dashboard, always for one tenant: the requests Clearance picked up since a time, the audit events of
//! those requests (their state changes), the deliveries attached since a time, and the attached deliveries whose
//! retention ends soon. Plain selects that run unchanged on SQLite and PostgreSQL; every figure (weeks, medians,
//! percentiles) is computed in Rust by `crate::dashboard`.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::{QueryContext, Result, Store, with_pool};
use crate::{model::DeliveryState, model::State};

/// A request as the dashboard counts it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DashboardRequest {
    /// Request id.
    pub id: String,
    /// Current state.
    pub state: State,
    /// When Clearance picked the issue up.
    pub created_at: DateTime<Utc>,
    /// The stored personal-data scan (JSON), if a dry run made one for the current plan.
    pub pii_scan: Option<String>,
}

/// One audit event of a request, in chain order.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestEvent {
    /// The request.
    pub request_id: String,
    /// RFC 3339 time.
    pub at: String,
    /// What happened (`request.approved`…).
    pub action: String,
    /// Canonical JSON of the facts; state changes carry `from` and `to`.
    pub detail: String,
}

/// A delivery that reached its issue.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DeliveredRows {
    /// When it was attached.
    pub uploaded_at: DateTime<Utc>,
    /// Data rows in it.
    pub row_count: Option<i64>,
}

/// A delivery still on its issue, with the date its retention ends.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ExpiringDelivery {
    /// Issue key of the request.
    pub issue_key: String,
    /// Issue summary (text from Jira: escape it).
    pub summary: String,
    /// The attached file.
    pub file_name: String,
    /// When the sweep removes it.
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// The tenant's requests picked up at or after `since`, oldest first.
    #[instrument(skip_all)]
    pub async fn dashboard_requests(
        &self,
        tenant_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DashboardRequest>> {
        let sql = "SELECT id, state, created_at, pii_scan FROM requests \
                   WHERE tenant_id = $1 AND created_at >= $2 ORDER BY created_at, id";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(since)
            .fetch_all(pool).await.op("reading requests for the dashboard"))
    }

    /// The audit events of the tenant's requests picked up at or after `since`, in chain order.
    #[instrument(skip_all)]
    pub async fn dashboard_events(
        &self,
        tenant_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<RequestEvent>> {
        let sql = "SELECT e.request_id, e.at, e.action, e.detail FROM audit_events e \
                   JOIN requests r ON r.id = e.request_id \
                   WHERE e.tenant_id = $1 AND r.tenant_id = $1 AND r.created_at >= $2 ORDER BY e.seq";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(since)
            .fetch_all(pool).await.op("reading request events for the dashboard"))
    }

    /// The tenant's deliveries attached to their issue at or after `since` (also those removed since).
    #[instrument(skip_all)]
    pub async fn dashboard_deliveries(
        &self,
        tenant_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DeliveredRows>> {
        let sql = "SELECT uploaded_at, row_count FROM deliveries \
                   WHERE tenant_id = $1 AND uploaded_at IS NOT NULL AND uploaded_at >= $2 ORDER BY uploaded_at";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(since)
            .fetch_all(pool).await.op("reading deliveries for the dashboard"))
    }

    /// Up to `limit` of the tenant's deliveries still on their issue whose retention ends at or before `until`
    /// (including any the sweep has not removed yet), soonest first.
    #[instrument(skip_all)]
    pub async fn dashboard_expiring(
        &self,
        tenant_id: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ExpiringDelivery>> {
        let sql = "SELECT r.issue_key, r.summary, d.file_name, d.expires_at FROM deliveries d \
                   JOIN requests r ON r.id = d.request_id \
                   WHERE d.tenant_id = $1 AND r.tenant_id = $1 AND d.state = $4 \
                   AND d.expires_at IS NOT NULL AND d.expires_at <= $2 \
                   ORDER BY d.expires_at, d.id LIMIT $3";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(until).bind(limit)
            .bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("reading expiring deliveries for the dashboard"))
    }
}
