//! The issue panel iframe (`GET /panel`, request-bound JWT) and the panel API it calls (context tokens only).

use askama::Template;
use axum::{
    Json, Router,
    extract::{Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use super::{admin::html_page, api_types::panel::PanelContext};
use crate::{
    error::{AppError, Result},
    host::{HostRequest, UiRequest},
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/panel", get(panel))
        .route("/api/panel/context", get(context))
}

/// Context parameters Jira substitutes into the panel URL.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PanelParams {
    issue_key: String,
    #[serde(default)]
    issue_id: Option<String>,
    #[serde(default)]
    project_key: Option<String>,
}

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelPage<'a> {
    connect_js: &'a str,
    asset_version: &'static str,
    issue_id: &'a str,
    issue_key: &'a str,
    project_key: &'a str,
    site: &'a str,
}

/// Jira issue keys: project key, dash, number.
fn valid_issue_key(key: &str) -> bool {
    match key.split_once('-') {
        Some((project, number)) => {
            valid_project_key(project)
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn valid_project_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

async fn panel(
    State(state): State<AppState>,
    HostRequest(caller): HostRequest,
    Query(params): Query<PanelParams>,
) -> Result<Response> {
    if !valid_issue_key(&params.issue_key) {
        return Err(AppError::BadRequest(format!(
            "issueKey {:?} is not a Jira issue key",
            params.issue_key
        )));
    }
    let project_key = params
        .project_key
        .filter(|p| valid_project_key(p))
        .unwrap_or_default();
    let issue_id = params
        .issue_id
        .filter(|id| (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| AppError::BadRequest("issueId must be the issue's numeric id".into()))?;
    let page = PanelPage {
        connect_js: state.cfg.connect_js_url.as_str(),
        asset_version: super::assets::VERSION,
        issue_id: &issue_id,
        issue_key: &params.issue_key,
        project_key: &project_key,
        site: caller.tenant.display_url.as_str(),
    };
    html_page(&page, &caller.tenant, &state.cfg)
}

/// `GET /api/panel/context`: who the panel is talking to, for the panel script.
async fn context(UiRequest(caller): UiRequest) -> impl IntoResponse {
    Json(PanelContext {
        site: caller.tenant.display_url.as_str(),
        account_id: caller.account_id.as_ref().map(|a| a.as_ref()),
        tenant_state: caller.tenant.state,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn issue_keys() {
        assert!(super::valid_issue_key("DATA-12"));
        assert!(super::valid_issue_key("A1_B-1"));
        for bad in [
            "",
            "DATA",
            "DATA-",
            "-1",
            "1A-2",
            "DA TA-1",
            "DATA-1<script>",
        ] {
            assert!(!super::valid_issue_key(bad), "{bad}");
        }
    }
}
