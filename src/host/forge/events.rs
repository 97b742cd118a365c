//! Forge product events (`{"payload": {...}}`) read into the webhook event they stand for. Forge sends no delivery
//! id; its retries repeat the payload with a `retryContext`, so the id is the SHA-256 of the payload without it, and
//! a retry is a duplicate.

use serde::Deserialize;
use serde_json::Value;

use crate::requests::intake::HostEvent;

/// Read a product event's body; the error says what is wrong with it (a 400, never a 401).
pub fn read(body: &[u8]) -> Result<HostEvent<'_>, String> {
    #[derive(Deserialize)]
    struct Event {
        payload: serde_json::Map<String, Value>,
    }
    let Event { mut payload } = serde_json::from_slice(body)
        .map_err(|e| format!("event body is not {{\"payload\": {{…}}}}: {e}"))?;
    let retry = payload
        .remove("retryContext")
        .and_then(|r| r.get("retryCount").and_then(Value::as_i64))
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0);
    let event_type = payload
        .get("eventType")
        .and_then(Value::as_str)
        .ok_or("payload.eventType is missing")?;
    let event = match event_type {
        "avi:jira:created:issue" => "jira:issue_created",
        "avi:jira:updated:issue" => "jira:issue_updated",
        "avi:jira:deleted:issue" => "jira:issue_deleted",
        "avi:jira:commented:issue" => "comment_created",
        other => {
            return Err(format!(
                "event {other:?} is not one Clearance subscribes to"
            ));
        }
    };
    let issue_id = payload.get("issue").and_then(|i| i.get("id")).cloned();
    let canonical = crate::digest::canonical_json(&Value::Object(payload));
    Ok(HostEvent {
        identifier: format!(
            "forge-{}",
            crate::digest::sha256_hex("clearance-forge-event-v1", &[&canonical])
        ),
        event,
        issue_id,
        retry,
        body,
    })
}
