//! What the panel says while a request's work waits on Jira's or Slack's rate limit: who asked, since when, what is
//! waiting and when Clearance tries again by itself (nothing is lost, and no try is used up).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{jobs::JobKind, store::Result, store::Store};

/// The request's longest-waiting work, as the panel shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingView {
    /// `jira` or `slack`.
    pub on: &'static str,
    /// Since when the work has waited.
    pub since: Option<DateTime<Utc>>,
    /// When Clearance tries again by itself.
    pub next_try: DateTime<Utc>,
    /// What the waiting work does, in words.
    pub doing: &'static str,
    /// The sentence the panel shows.
    pub message: String,
}

/// The request's longest-waiting work as the panel shows it, `None` when nothing waits.
pub async fn panel_view(
    store: &Store,
    tenant_id: &str,
    request_id: &str,
    delivery_id: Option<&str>,
) -> Result<Option<WaitingView>> {
    let jobs = store
        .waiting_jobs(tenant_id, request_id, delivery_id)
        .await?;
    let Some(job) = jobs.iter().min_by_key(|j| j.waiting_since) else {
        return Ok(None);
    };
    let Some(on) = job.waiting_on() else {
        return Ok(None);
    };
    let doing = JobKind::from_name(&job.kind).map_or("working on the request", JobKind::doing);
    Ok(Some(WaitingView {
        on: on.service(),
        since: job.waiting_since,
        next_try: job.run_at,
        doing,
        message: format!(
            "Waiting for {}: it asked Clearance to slow down while {doing}. Clearance tries again by itself; \
             nothing is lost.",
            on.service()
        ),
    }))
}
