//! Jira webhooks (`POST /webhooks/{event}`): request-bound JWT, then intake stores the delivery (deduplicated) and its
//! sync job and answers 204 at once; a duplicate is answered 204 too, so Jira stops retrying.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::{self, Next},
    response::Response,
    routing::post,
};

use crate::{
    error::{AppError, Result},
    host::HostRequest,
    requests::intake::{self, Delivery, Intake},
    web::AppState,
};

/// Jira drops payloads over 25 MB; issue events are far smaller. Anything above this is refused.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub(super) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/webhooks/{event}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state, count_rejections))
}

/// Deliveries refused before or by the handler (bad token, malformed body, too large) count as rejected.
async fn count_rejections(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status().is_client_error() || resp.status().is_server_error() {
        state.metrics.webhook("rejected");
    }
    resp
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
    State(state): State<AppState>,
    HostRequest(caller): HostRequest,
    Path(route): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let expected =
        expected_event(&route).ok_or_else(|| AppError::NotFound(format!("no webhook {route}")))?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        identifier: header("x-atlassian-webhook-identifier"),
        retry: header("x-atlassian-webhook-retry")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        expected_event: expected,
        body: &body,
    };
    let outcome = intake::receive(&state.store, &caller.tenant, delivery).await?;
    state.metrics.webhook(match outcome {
        Intake::Accepted => "accepted",
        Intake::Duplicate => "duplicate",
    });
    tracing::info!(client_key = %caller.tenant.client_key, event = expected, ?outcome, "webhook received");
    Ok(StatusCode::NO_CONTENT)
}
