//! The `sync_issue` job: read the issue through the Jira REST client (never trusting the webhook body), then create
//! the request, refresh it, or cancel it when the trigger label is gone or the issue was deleted. Running it twice,
//! or for deliveries out of order, converges on the same state.

use serde_json::json;

use super::{commands, machine::SystemEvent, state::State, writeback};
use crate::jobs::{
    RunJob,
    kinds::{ExpireDelivery, SyncIssue},
};
use crate::{
    jira::{Issue, JiraError},
    jobs::JobError,
    requests::Context,
    store::{IssueSnapshot, JobRow, Upserted},
};

impl RunJob<Context> for SyncIssue {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Run one sync.
pub async fn run(app: Context, p: SyncIssue, _job: JobRow) -> Result<(), JobError> {
    let store = &app.store;
    let Some(stored) = super::active_tenant(store, &p.tenant_id).await? else {
        return Ok(());
    };
    let jira = app.jira_for(&stored).await?;
    let issue = match jira.issue(&p.issue_id).await {
        Ok(v) => v,
        Err(JiraError::NotFound(_)) => {
            let mut tx = store.begin().await?;
            if let Some(r) = tx.lock_request_by_issue(&p.tenant_id, &p.issue_id).await? {
                let deleted = SystemEvent::Cancel {
                    reason: "the Jira issue was deleted".into(),
                    issue_deleted: true,
                };
                commands::observe(&mut tx, &r, &deleted, commands::JIRA)
                    .await
                    .map_err(exec_error)?;
            }
            tx.commit().await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let snapshot = snapshot(&p.issue_id, &issue);
    let (label, projects) = store
        .tenant_trigger(&p.tenant_id)
        .await?
        .unwrap_or_else(|| ("data-request".into(), None));
    let in_project = projects.as_deref().is_none_or(|list| {
        list.split(',')
            .any(|k| k.trim().eq_ignore_ascii_case(&snapshot.project_key))
    });
    let wanted = in_project && snapshot.labels.contains(&label);
    let mut tx = store.begin().await?;
    let existing = tx.lock_request_by_issue(&p.tenant_id, &p.issue_id).await?;
    if !wanted && existing.is_none() {
        return Ok(());
    }
    let Upserted { row, created } = tx.upsert_request(&p.tenant_id, &snapshot).await?;
    if created {
        let detail = json!({"issue_key": row.issue_key, "to": row.state});
        commands::audit(&mut tx, &row, commands::JIRA, writeback::CREATED, detail).await?;
    } else if wanted {
        if row.state == State::Cancelled && row.reason.as_deref() == Some(LABEL_REMOVED) {
            // The label came back: the request is open again.
            commands::observe(&mut tx, &row, &SystemEvent::Restore, commands::JIRA)
                .await
                .map_err(exec_error)?;
        }
    } else {
        let removed = SystemEvent::Cancel {
            reason: LABEL_REMOVED.into(),
            issue_deleted: false,
        };
        commands::observe(&mut tx, &row, &removed, commands::JIRA)
            .await
            .map_err(exec_error)?;
    }
    if issue.is_done()
        && store
            .retention_policy(&p.tenant_id)
            .await?
            .is_some_and(|r| r.expire_on_close)
    {
        // The site removes delivered files when their issue is closed.
        for d in store.request_deliveries(&p.tenant_id, &row.id).await? {
            if d.state == crate::model::DeliveryState::Uploaded {
                tx.enqueue_job(&ExpireDelivery::job(&d, "issue closed"))
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

fn snapshot(issue_id: &str, issue: &Issue) -> IssueSnapshot {
    IssueSnapshot {
        issue_id: issue_id.to_owned(),
        issue_key: issue.key.clone(),
        project_key: issue.project_key.clone(),
        summary: issue.summary.clone(),
        description: issue.description.clone(),
        reporter: issue.reporter.clone(),
        labels: issue.labels.clone(),
        attachments: issue.attachments.iter().map(|a| a.to_json()).collect(),
    }
}

/// Recording an observed change failed (storage): try again.
fn exec_error(e: commands::ExecError) -> JobError {
    JobError::Retry {
        error: e.to_string(),
        after: None,
    }
}

/// Reason recorded when the trigger label is removed.
const LABEL_REMOVED: &str = "the trigger label was removed in Jira";
