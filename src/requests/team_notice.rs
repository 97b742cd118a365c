//! The `team_notice` job: the request changes the data team follows (a new request, a plan awaiting privacy
//! approval, an approval, a delivery, a failure) posted to the site's Slack notice channel — the issue's key, summary
//! and link, never people's data or secrets. Queued with the audit event it reports; a site without Slack or
//! without a notice channel makes it a no-op. The notices of one request run one at a time in audit order (their own
//! order key, so a Slack outage never holds up Jira's comments).

use crate::jobs::{RunJob, kinds::TeamNotice};
use crate::{
    jobs::JobError,
    model::AuditAction,
    requests::Context,
    slack::{self, messages::IssueRef, notices::Notice},
    store::{AuditEvent, JobRow, NewJob, RequestRow},
};

/// Audit actions that make a team notice.
const ACTIONS: [AuditAction; 5] = [
    super::writeback::CREATED,
    AuditAction::RequestSubmitted,
    AuditAction::RequestApproved,
    AuditAction::RequestDelivered,
    AuditAction::RequestFailed,
];

/// The notice job for audit event `seq` (`action`) about `row`, if that action is one the team hears about.
pub fn job(row: &RequestRow, seq: i64, action: AuditAction) -> Option<NewJob> {
    ACTIONS.contains(&action).then(|| TeamNotice::job(row, seq))
}

impl RunJob<Context> for TeamNotice {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Post one notice.
pub async fn run(app: Context, p: TeamNotice, _job: JobRow) -> Result<(), JobError> {
    let Some(stored) = super::active_tenant(&app.store, &p.tenant_id).await? else {
        return Ok(());
    };
    let tenant = stored.tenant;
    let Some(row) = app.store.request(&tenant.id, &p.request_id).await? else {
        return Ok(());
    };
    let Some(event) = app.store.audit_event(&tenant.id, p.seq).await? else {
        return Ok(());
    };
    let issue = IssueRef::new(&tenant.display_url, &row.issue_key, &row.summary);
    let Some(notice) = notice(&app, &tenant.id, &event, issue).await? else {
        return Ok(());
    };
    slack::post_notice(&app, &tenant, &notice).await?;
    Ok(())
}

async fn notice(
    app: &Context,
    tenant_id: &str,
    event: &AuditEvent,
    issue: IssueRef,
) -> Result<Option<Notice>, JobError> {
    let detail = event.detail_value().unwrap_or_default();
    Ok(Some(match event.parsed_action() {
        Some(super::writeback::CREATED) => Notice::NewRequest(issue),
        Some(AuditAction::RequestSubmitted) => Notice::AwaitingPrivacyApproval(issue),
        Some(AuditAction::RequestApproved) => Notice::Approved(issue),
        Some(AuditAction::RequestFailed) => Notice::Failed {
            issue,
            reason: detail["reason"].as_str().unwrap_or_default().to_owned(),
        },
        Some(AuditAction::RequestDelivered) => {
            let id = detail["delivery"].as_str().unwrap_or_default();
            let expires = app
                .store
                .delivery(tenant_id, id)
                .await?
                .and_then(|d| d.expires_at);
            let Some(expires_at) = expires else {
                return Ok(None);
            };
            Notice::Delivered { issue, expires_at }
        }
        _ => return Ok(None),
    }))
}
