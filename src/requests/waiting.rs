//! What the panel says while a request's work waits on Jira's or Slack's rate limit: who asked, since when, what is
//! waiting and when Clearance tries again by itself (nothing is lost, and no try is used up).

use serde_json::{Value, json};

use crate::{jobs::JobKind, store::Result, store::Store};

/// The request's longest-waiting work as the panel shows it, `Null` when nothing waits.
pub async fn panel_view(
    store: &Store,
    tenant_id: &str,
    request_id: &str,
    delivery_id: Option<&str>,
) -> Result<Value> {
    let jobs = store
        .waiting_jobs(tenant_id, request_id, delivery_id)
        .await?;
    let Some(job) = jobs.iter().min_by_key(|j| j.waiting_since) else {
        return Ok(Value::Null);
    };
    let Some(on) = job.waiting_on() else {
        return Ok(Value::Null);
    };
    let doing = JobKind::from_name(&job.kind).map_or("working on the request", JobKind::doing);
    Ok(json!({
        "on": on.service(), "since": job.waiting_since, "nextTry": job.run_at, "doing": doing,
        "message": format!(
            "Waiting for {}: it asked Clearance to slow down while {doing}. Clearance tries again by itself; \
             nothing is lost.",
            on.service()
        ),
    }))
}
