//! HTTP surface: merges each area's router and adds the layers (tracing without query strings, timeouts, limits).

mod admin;
mod admin_api;
mod admin_settings;
mod admin_slack;
mod age_keys;
mod api_types;
mod assets;
mod dashboard;
mod download;
mod forge;
mod health;
mod issue_guard;
mod metrics;
mod panel;
mod requests_api;
mod reveal;
mod state;
mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::StatusCode,
};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

pub use state::AppState;

use crate::host;

/// The whole HTTP application.
///
/// When the public base URL has a path (`https://host/clearance`), routes answer both under that path (a proxy that
/// forwards it) and at the root (a proxy that strips it); tokens are verified against the path Jira signed either way.
pub fn router(state: AppState) -> Router {
    let routes: Router<AppState> = Router::new()
        .merge(host::router())
        .merge(health::router())
        .merge(panel::router())
        .merge(admin::router())
        .merge(admin_api::router())
        .merge(age_keys::router())
        .merge(assets::router())
        .merge(dashboard::router())
        .merge(forge::router())
        .merge(requests_api::router())
        .merge(reveal::router())
        .merge(metrics::router())
        .merge(webhooks::router(state.clone()));
    let base_path = state.cfg.base_url.path().trim_end_matches('/').to_owned();
    let routes = if base_path.is_empty() {
        routes
    } else {
        Router::new().nest(&base_path, routes.clone()).merge(routes)
    };
    routes
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

/// The user acting through a UI token; a token without one may give no command.
fn acting_account(caller: &host::Caller) -> crate::error::Result<&crate::tenant::AccountId> {
    caller.account_id.as_ref().ok_or_else(|| {
        crate::error::AppError::Forbidden(
            "this token names no user; open Clearance in Jira as a logged-in user".into(),
        )
    })
}

/// A JSON request body as `T`; a body that does not fit is refused (422) naming the field at fault
/// (`defaultFormat: unknown variant "pdf", expected "csv" or "xlsx"`).
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> crate::error::Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." { "body".to_owned() } else { path };
        crate::error::AppError::Unprocessable(format!("{at}: {inner}"))
    })
}
