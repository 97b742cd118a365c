//! Webhook intake: a verified delivery is stored (deduplicated per tenant on its identifier) together with the
//! sync job for its issue, in one transaction; no Jira or warehouse call happens in the request.

use serde::Deserialize;
use serde_json::Value;

use crate::{
    error::AppError,
    store::{Store, WebhookEvent},
    tenant::Tenant,
};

/// What the webhook route hands over.
pub struct Delivery<'a> {
    /// `X-Atlassian-Webhook-Identifier`, if Jira sent one.
    pub identifier: Option<&'a str>,
    /// `X-Atlassian-Webhook-Retry`.
    pub retry: i32,
    /// The event the route expects.
    pub expected_event: &'static str,
    /// Raw body.
    pub body: &'a [u8],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    webhook_event: String,
    #[serde(default)]
    issue: Option<IssueRef>,
}

#[derive(Deserialize)]
struct IssueRef {
    id: Value,
}

/// Outcome of an intake.
#[derive(Debug, PartialEq, Eq)]
pub enum Intake {
    /// Stored, and a sync job queued.
    Accepted,
    /// The same delivery was stored before; nothing written.
    Duplicate,
}

/// Validate and store a delivery for `tenant`. Malformed bodies are refused before anything is written.
pub async fn receive(store: &Store, tenant: &Tenant, d: Delivery<'_>) -> Result<Intake, AppError> {
    let envelope: Envelope = serde_json::from_slice(d.body)
        .map_err(|e| AppError::BadRequest(format!("webhook body is not valid JSON: {e}")))?;
    if envelope.webhook_event != d.expected_event {
        return Err(AppError::BadRequest(format!(
            "webhookEvent {:?} delivered to the {} webhook",
            envelope.webhook_event, d.expected_event
        )));
    }
    let issue_id = issue_id(envelope.issue.map(|i| i.id))?;
    // Jira always sends an identifier; without one the delivery cannot be deduplicated, but it is still kept.
    let identifier = d
        .identifier
        .map(str::to_owned)
        .unwrap_or_else(|| format!("missing-{}", uuid::Uuid::new_v4()));
    store_event(
        store,
        tenant,
        identifier,
        envelope.webhook_event,
        issue_id,
        d.retry,
        d.body,
    )
    .await
}

/// An issue event a host adapter has already read (e.g. a Forge product event): stored like a webhook under the
/// event name it stands for, deduplicated on `identifier`, with its sync job.
pub struct HostEvent<'a> {
    /// Stable across the host's retries of the same event.
    pub identifier: String,
    /// The webhook event name it stands for (`jira:issue_created`, …).
    pub event: &'static str,
    /// The issue id as the host sent it (validated here).
    pub issue_id: Option<Value>,
    /// Which retry this is.
    pub retry: i32,
    /// The raw body, kept with the event.
    pub body: &'a [u8],
}

/// Store an event a host adapter read; see [`HostEvent`].
pub async fn receive_event(
    store: &Store,
    tenant: &Tenant,
    e: HostEvent<'_>,
) -> Result<Intake, AppError> {
    let issue = issue_id(e.issue_id)?;
    store_event(
        store,
        tenant,
        e.identifier,
        e.event.to_owned(),
        issue,
        e.retry,
        e.body,
    )
    .await
}

/// A Jira issue id from an event (a string or a number of digits), if the event names one.
fn issue_id(raw: Option<Value>) -> Result<Option<String>, AppError> {
    Ok(match raw {
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(s)
        }
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        None => None,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "issue.id {other} is not a Jira issue id"
            )));
        }
    })
}

/// Store one delivery with its sync job (if it names an issue), deduplicated on `identifier`.
async fn store_event(
    store: &Store,
    tenant: &Tenant,
    identifier: String,
    event: String,
    issue_id: Option<String>,
    retry: i32,
    body: &[u8],
) -> Result<Intake, AppError> {
    let job = issue_id
        .as_ref()
        .map(|issue| crate::jobs::kinds::SyncIssue::job(&tenant.id, issue));
    let ev = WebhookEvent {
        tenant_id: tenant.id.clone(),
        identifier,
        event,
        issue_id,
        retry,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    Ok(if store.record_webhook(ev, job).await? {
        Intake::Accepted
    } else {
        Intake::Duplicate
    })
}
