//! The `issue_writeback` job: after a state change, tell Jira. It sets the issue's `clearance-request` entity
//! property (indexed by the descriptor, so `clearanceStatus = "approved"` works in JQL) to the request's current
//! state, and adds a short ADF comment for the changes people wait for. Never SQL, results, secrets or personal data.
//!
//! Idempotent: the property always carries the current state (late or repeated runs converge), and each comment
//! ends with its audit event number, which a retry looks for before posting again. Ordered: the write-backs of one
//! request share an order key and run one at a time in audit order (a retry holds back the ones after it), so Jira
//! shows "waiting for approval" before "approved" whatever the workers, instances or Jira's answers do.

use serde_json::Value;

use crate::jobs::{RunJob, kinds::IssueWriteback};
use crate::{
    jira::{JiraClient, JiraError, RequestProperty, adf},
    jobs::JobError,
    model::AuditAction,
    requests::Context,
    store::{AuditEvent, JobRow, RequestRow},
};

/// Audit action of a request's creation.
pub const CREATED: AuditAction = AuditAction::RequestCreated;
/// Issue entity property key.
pub const PROPERTY: &str = crate::jira::REQUEST_PROPERTY;

impl RunJob<Context> for IssueWriteback {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Run one write-back.
pub async fn run(app: Context, p: IssueWriteback, _job: JobRow) -> Result<(), JobError> {
    let Some(stored) = super::active_tenant(&app.store, &p.tenant_id).await? else {
        return Ok(());
    };
    let Some(row) = app.store.request(&p.tenant_id, &p.request_id).await? else {
        return Ok(());
    };
    let jira = app.jira_for(&stored).await?;
    match jira
        .set_request_property(&row.issue_id, &property(&row))
        .await
    {
        Err(JiraError::NotFound(_)) => return Ok(()), // the issue is gone; nothing to tell
        other => other?,
    }
    let Some(event) = app.store.audit_event(&p.tenant_id, p.seq).await? else {
        return Ok(());
    };
    let Some(doc) = document(&event) else {
        return Ok(());
    };
    if !already_commented(&jira, &row.issue_id, &footer(event.seq)).await? {
        jira.add_comment(&row.issue_id, doc).await?;
    }
    Ok(())
}

/// The issue property for `row`: its current state.
pub(crate) fn property(row: &RequestRow) -> RequestProperty {
    RequestProperty {
        state: row.state.as_str().to_owned(),
        updated: row
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        request_id: row.id.clone(),
    }
}

fn footer(seq: i64) -> String {
    format!("— Clearance, audit event #{seq}")
}

/// The ADF document of the comment about `ev` (its blocks and the footer), `None` for events without a comment.
pub(crate) fn document(ev: &AuditEvent) -> Option<Value> {
    let mut content = comment(ev)?;
    content.push(adf::paragraph(vec![adf::text(&footer(ev.seq))]));
    Some(adf::blocks(content))
}

/// The comment for the changes people care about (ADF blocks, footer added by [`document`]), `None` for the rest.
fn comment(ev: &AuditEvent) -> Option<Vec<Value>> {
    let detail: Value = serde_json::from_str(&ev.detail).unwrap_or(Value::Null);
    match ev.parsed_action() {
        Some(AuditAction::RequestDelivered) => Some(super::delivery_comment::delivered(&detail)),
        Some(AuditAction::RequestAwaitingDelivery) => {
            Some(super::delivery_comment::awaiting(&detail))
        }
        Some(AuditAction::RequestExpired) => Some(super::delivery_comment::expired(&detail)),
        _ => comment_text(ev).map(|t| vec![adf::paragraph(vec![adf::text(&t)])]),
    }
}

/// The one-paragraph comments.
fn comment_text(ev: &AuditEvent) -> Option<String> {
    let detail: Value = serde_json::from_str(&ev.detail).unwrap_or(Value::Null);
    let short = |d: &Value| {
        d.as_str()
            .map(|s| s.chars().take(12).collect::<String>())
            .unwrap_or_default()
    };
    let reason = detail["reason"].as_str().unwrap_or("no reason given");
    Some(match ev.parsed_action() {
        Some(AuditAction::RequestSubmitted) => {
            "Clearance: the extraction plan involves personal data and is waiting for a privacy officer's approval."
                .to_owned()
        }
        Some(AuditAction::RequestApproved) => format!(
            "Clearance: the extraction plan was approved (plan digest {}…). Any change to it voids this approval.",
            short(&detail["digest"])
        ),
        Some(AuditAction::RequestRejected) => format!("Clearance: the request was rejected. Reason: {reason}"),
        Some(AuditAction::RequestFailed) => format!("Clearance: the extraction failed. {reason}"),
        _ => return None,
    })
}

/// Whether a comment with this footer is already on the issue (a retry after Jira accepted the first post).
async fn already_commented(
    jira: &JiraClient,
    issue_id: &str,
    footer: &str,
) -> Result<bool, JiraError> {
    Ok(jira
        .latest_comments(issue_id, 100)
        .await?
        .iter()
        .any(|c| c.text.contains(footer)))
}
