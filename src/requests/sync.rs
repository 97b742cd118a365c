//! The `sync_issue` job: read the issue through the Jira REST client (never trusting the webhook body), then create
//! the request, refresh it, or cancel it when the trigger label is gone or the issue was deleted. Running it twice,
//! or for deliveries out of order, converges on the same state.

use serde::Deserialize;
use serde_json::Value;

use super::state;
use crate::{
    app::AppState,
    jira::{JiraError, adf},
    jobs::JobError,
    store::{IssueSnapshot, JobRow},
};

/// Job kind.
pub const KIND: &str = "sync_issue";

#[derive(Deserialize)]
struct Payload {
    tenant_id: String,
    issue_id: String,
}

/// Run one sync.
pub async fn run(app: AppState, job: JobRow) -> Result<(), JobError> {
    let p: Payload = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
    let store = &app.store;
    let Some(stored) = super::active_tenant(store, &p.tenant_id).await? else {
        return Ok(());
    };
    let jira = app.jira_for(&stored)?;
    let existing = store.request_by_issue(&p.tenant_id, &p.issue_id).await?;
    let path = format!(
        "/rest/api/3/issue/{}?fields=summary,description,reporter,labels,project",
        p.issue_id
    );
    let issue: Value = match jira.get_json(&path).await {
        Ok(v) => v,
        Err(JiraError::NotFound(_)) => {
            if let Some(r) = existing {
                store
                    .move_request(
                        &r.id,
                        &state::OPEN,
                        state::CANCELLED,
                        Some("the Jira issue was deleted"),
                    )
                    .await?;
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let f = &issue["fields"];
    let snapshot = IssueSnapshot {
        issue_id: p.issue_id.clone(),
        issue_key: issue["key"].as_str().unwrap_or_default().to_owned(),
        project_key: f["project"]["key"].as_str().unwrap_or_default().to_owned(),
        summary: f["summary"].as_str().unwrap_or_default().to_owned(),
        description: adf::plain_text(&f["description"]),
        reporter: f["reporter"]["accountId"].as_str().map(str::to_owned),
        labels: f["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect(),
    };
    let (label, projects) = store
        .tenant_trigger(&p.tenant_id)
        .await?
        .unwrap_or_else(|| ("data-request".into(), None));
    let in_project = projects.as_deref().is_none_or(|list| {
        list.split(',')
            .any(|k| k.trim().eq_ignore_ascii_case(&snapshot.project_key))
    });
    let wanted = in_project && snapshot.labels.contains(&label);
    match (wanted, existing) {
        (true, existing) => {
            let row = store.upsert_request(&p.tenant_id, &snapshot).await?;
            if existing.as_ref().is_some_and(|r| {
                r.state == state::CANCELLED && r.reason.as_deref() == Some(LABEL_REMOVED)
            }) {
                // The label came back: the request is open again.
                store
                    .move_request(&row.id, &[state::CANCELLED], state::NEW, None)
                    .await?;
            }
        }
        (false, Some(r)) => {
            store.upsert_request(&p.tenant_id, &snapshot).await?;
            store
                .move_request(&r.id, &state::OPEN, state::CANCELLED, Some(LABEL_REMOVED))
                .await?;
        }
        (false, None) => {}
    }
    Ok(())
}

/// Reason recorded when the trigger label is removed.
const LABEL_REMOVED: &str = "the trigger label was removed in Jira";
