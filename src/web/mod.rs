//! HTTP surface: merges each area's router and adds the layers (tracing without query strings, timeouts, limits).

mod admin;
mod health;
mod panel;
mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::StatusCode,
};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

use crate::{app::AppState, host::connect::Connect};

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(Connect::router())
        .merge(health::router())
        .merge(panel::router())
        .merge(admin::router())
        .merge(webhooks::router())
        .layer(
            // Log the matched route, never the raw URI: iframe URLs carry the JWT in `?jwt=`.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("unmatched");
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}
