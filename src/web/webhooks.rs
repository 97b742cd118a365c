//! Jira webhooks (`POST /webhooks/{event}`): request-bound JWT, a JSON body whose `webhookEvent` matches the route.
//! Intake (dedupe, storage, jobs) builds on this in the requests module.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path},
    http::StatusCode,
    routing::post,
};
use serde::Deserialize;

use crate::{
    app::AppState,
    error::{AppError, Result},
    host::HostRequest,
};

/// Jira drops payloads over 25 MB; issue events are far smaller. Anything above this is refused.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{event}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The envelope every Jira webhook body carries.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    webhook_event: String,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// Route segment → the `webhookEvent` Jira sends to it (see the descriptor).
fn expected_event(route: &str) -> Option<&'static str> {
    Some(match route {
        "issue-created" => "jira:issue_created",
        "issue-updated" => "jira:issue_updated",
        "issue-deleted" => "jira:issue_deleted",
        "comment-created" => "comment_created",
        _ => return None,
    })
}

async fn receive(
    HostRequest(caller): HostRequest,
    Path(route): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode> {
    let expected =
        expected_event(&route).ok_or_else(|| AppError::NotFound(format!("no webhook {route}")))?;
    let Json(envelope): Json<Envelope> = Json::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(format!("webhook body is not valid JSON: {e}")))?;
    if envelope.webhook_event != expected {
        return Err(AppError::BadRequest(format!(
            "webhookEvent {:?} delivered to the {route} webhook",
            envelope.webhook_event
        )));
    }
    tracing::info!(client_key = %caller.tenant.client_key, event = expected, timestamp = envelope.timestamp, "webhook received");
    Ok(StatusCode::NO_CONTENT)
}
