//! `GET /healthz` (the process answers) and `GET /readyz` (database reachable, migrations applied).

use super::api_types::calls::Health;
use crate::web::AppState;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse as _, Response},
    routing::get,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Health<'static>> {
    Json(Health {
        status: "ok",
        database: None,
        reason: None,
    })
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.check_ready().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ready",
                database: Some(state.store.engine()),
                reason: None,
            }),
        )
            .into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "not ready",
                    database: None,
                    reason: Some(&reason),
                }),
            )
                .into_response()
        }
    }
}
