//! The routes Forge calls on its own (manifest `endpoint` modules with a `route`): product events, the lifecycle
//! events, the hourly schedule and the pre-uninstall call. Each takes a verified endpoint invocation (the tenant comes
//! from its installation, created on first contact; its system token is kept), answers within Forge's 5 s budget with
//! JSON, and leaves the work to jobs. 401 is reserved for token failures; a bad body is a 400.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    response::{IntoResponse as _, Response},
    routing::post,
};
use serde_json::Value;

use super::api_types::calls::{Accepted, LifecycleSeen, Scheduled, Uninstalled};
use crate::{
    error::{AppError, Result},
    host::{ForgeInvocation, forge::events},
    requests::intake::{self, Intake},
    web::AppState,
};

/// Issue events are small; anything above this is refused.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/forge/events/jira", post(jira_event))
        .route("/forge/events/lifecycle", post(lifecycle))
        .route("/forge/scheduled/hourly", post(hourly))
        .route("/forge/lifecycle/pre-uninstall", post(pre_uninstall))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// `avi:jira:{created,updated,deleted}:issue`, `avi:jira:commented:issue`: stored (a retry is a duplicate) with the
/// same sync job a Connect webhook queues.
async fn jira_event(
    State(app): State<AppState>,
    ForgeInvocation(call): ForgeInvocation,
    body: Bytes,
) -> Result<Json<Accepted>> {
    let event = events::read(&body).map_err(AppError::BadRequest)?;
    let outcome = intake::receive_event(&app.store, &call.caller.tenant, event).await?;
    app.metrics.webhook(match outcome {
        Intake::Accepted => "accepted",
        Intake::Duplicate => "duplicate",
    });
    tracing::info!(client_key = %call.caller.tenant.client_key, ?outcome, "Forge event received");
    Ok(Json(Accepted {
        accepted: outcome == Intake::Accepted,
    }))
}

/// `avi:forge:installed:app` / `avi:forge:upgraded:app`: verifying the call already created (or re-activated) the
/// tenant and kept its token; nothing else to do.
async fn lifecycle(ForgeInvocation(call): ForgeInvocation, body: Bytes) -> Response {
    let event = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.pointer("/payload/eventType")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    tracing::info!(client_key = %call.caller.tenant.client_key, installation = %call.invocation.installation_id,
        ?event, "Forge lifecycle event");
    Json(LifecycleSeen {
        tenant: &call.caller.tenant.id,
    })
    .into_response()
}

/// The hourly schedule: its invocation carries a fresh system token (kept while verifying), so background work for
/// the site (retention removals, uploads) always has one, and it queues a reconciliation of the site now that a live
/// token is sure (deduplicated with the periodic one).
async fn hourly(
    State(app): State<AppState>,
    ForgeInvocation(call): ForgeInvocation,
) -> Result<Json<Scheduled>> {
    let queued = app
        .store
        .enqueue_job(&crate::jobs::kinds::Reconcile::job(&call.caller.tenant.id))
        .await?
        .is_some();
    tracing::debug!(client_key = %call.caller.tenant.client_key, queued, "Forge schedule");
    Ok(Json(Scheduled {
        reconcile_queued: queued,
    }))
}

/// Pre-uninstall: handled like a Connect uninstall (tenant uninstalled, data kept, token forgotten).
async fn pre_uninstall(
    State(app): State<AppState>,
    ForgeInvocation(call): ForgeInvocation,
) -> Result<Json<Uninstalled>> {
    app.forge.uninstall(&call.caller.tenant).await?;
    Ok(Json(Uninstalled { uninstalled: true }))
}
