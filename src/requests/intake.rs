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

/// A Forge product event (`{"payload": {...}}`), stored like a webhook under the Connect event name it stands for.
/// Forge sends no delivery id; its retries repeat the payload with a `retryContext`, so the id is the SHA-256 of the
/// payload without it, and a retry is a duplicate.
pub async fn receive_forge(
    store: &Store,
    tenant: &Tenant,
    body: &[u8],
) -> Result<Intake, AppError> {
    #[derive(Deserialize)]
    struct Event {
        payload: serde_json::Map<String, Value>,
    }
    let Event { mut payload } = serde_json::from_slice(body).map_err(|e| {
        AppError::BadRequest(format!("event body is not {{\"payload\": {{…}}}}: {e}"))
    })?;
    let retry = payload
        .remove("retryContext")
        .and_then(|r| r.get("retryCount").and_then(Value::as_i64))
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0);
    let event_type = payload
        .get("eventType")
        .and_then(Value::as_str)
        .ok_or_else(|| AppError::BadRequest("payload.eventType is missing".into()))?;
    let webhook_event = match event_type {
        "avi:jira:created:issue" => "jira:issue_created",
        "avi:jira:updated:issue" => "jira:issue_updated",
        "avi:jira:deleted:issue" => "jira:issue_deleted",
        "avi:jira:commented:issue" => "comment_created",
        other => {
            return Err(AppError::BadRequest(format!(
                "event {other:?} is not one Clearance subscribes to"
            )));
        }
    };
    let issue = issue_id(payload.get("issue").and_then(|i| i.get("id")).cloned())?;
    let canonical = crate::digest::canonical_json(&Value::Object(payload));
    let identifier = format!(
        "forge-{}",
        crate::digest::sha256_hex("clearance-forge-event-v1", &[&canonical])
    );
    store_event(
        store,
        tenant,
        identifier,
        webhook_event.to_owned(),
        issue,
        retry,
        body,
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
        .map(|issue| super::reconcile::sync_job(&tenant.id, issue));
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
