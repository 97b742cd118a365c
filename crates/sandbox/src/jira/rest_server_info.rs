//! `GET /rest/api/3/serverInfo`: the site's base URL and version, answered without authentication as Jira does (a
//! Forge remote reads the site URL from `{apiBaseUrl}/rest/api/3/serverInfo`).

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::Utc;
use serde_json::json;

use super::{JiraSim, model::jira_time};

/// The route's path.
pub(super) const SERVER_INFO_PATH: &str = "/rest/api/3/serverInfo";

pub(super) fn router() -> Router<JiraSim> {
    Router::new().route(SERVER_INFO_PATH, get(server_info))
}

async fn server_info(State(sim): State<JiraSim>) -> Response {
    Json(json!({
        "baseUrl": sim.base_url(),
        "displayUrl": sim.base_url(),
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100_275,
        "serverTime": jira_time(Utc::now()),
        "serverTitle": "Jira",
        "defaultLocale": {"locale": "en_US"},
        "serverTimeZone": "Etc/UTC",
    }))
    .into_response()
}
