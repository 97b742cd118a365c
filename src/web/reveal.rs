//! The one-time reveal page a Slack message links to (`/reveal/{token}`, outside Jira): `GET` only shows what the
//! link is for and a button, so link-preview bots cannot use it up; the button's `POST` uses the link and shows the
//! secret once. The panel's own reveal (`POST /api/panel/requests/{issueId}/reveal`, context token) gives the secret
//! to the account it is for. Pages are never cached, framed or referred.

use super::api_types::panel::Revealed;
use crate::{
    delivery::secrets::{self, RevealError},
    error::{AppError, Result},
    web::AppState,
};
use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use secrecy::ExposeSecret as _;

use super::issue_guard::SeenIssue;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/reveal/{token}", get(show).post(reveal))
        .route("/api/panel/requests/{issue_id}/reveal", post(panel_reveal))
}

/// What the page shows.
enum RevealView {
    Ready {
        file_name: String,
        expires: String,
    },
    Shown {
        file_name: String,
        secret: String,
        age: bool,
        zip_name: String,
    },
    Gone,
}

#[derive(Template)]
#[template(path = "reveal.html")]
struct RevealPage {
    view: RevealView,
}

/// Tokens are 43 URL-safe base64 characters; anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn show(State(app): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let view = if plausible(&token) {
        match secrets::peek(&app, &token).await {
            Ok(info) => RevealView::Ready {
                file_name: info.file_name,
                expires: info.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            },
            Err(RevealError::Internal(e)) => return Err(AppError::Internal(anyhow::anyhow!(e))),
            Err(_) => RevealView::Gone,
        }
    } else {
        RevealView::Gone
    };
    page(view)
}

async fn reveal(State(app): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let view = if plausible(&token) {
        match secrets::reveal_by_token(&app, &token).await {
            Ok(r) => RevealView::Shown {
                zip_name: r.file_name.trim_end_matches(".age").to_owned(),
                age: r.encryption == "age",
                file_name: r.file_name,
                secret: r.secret.expose_secret().to_owned(),
            },
            Err(RevealError::Internal(e)) => return Err(AppError::Internal(anyhow::anyhow!(e))),
            Err(_) => RevealView::Gone,
        }
    } else {
        RevealView::Gone
    };
    page(view)
}

fn page(view: RevealView) -> Result<Response> {
    let status = match view {
        RevealView::Gone => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    let body = RevealPage { view }
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the reveal page: {e}")))?;
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    Ok(resp)
}

/// `POST /api/panel/requests/{issue_id}/reveal`: the caller's own secret for the request's delivery, once.
async fn panel_reveal(State(app): State<AppState>, seen: SeenIssue) -> Result<Response> {
    let row = seen.request(&app).await?;
    let tenant_id = &seen.caller.tenant.id;
    match secrets::reveal_for_account(&app, tenant_id, &row.id, seen.account.as_ref()).await {
        Ok(r) => {
            let mut resp = Json(Revealed {
                file_name: &r.file_name,
                encryption: &r.encryption,
                secret: r.secret.expose_secret(),
            })
            .into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(resp)
        }
        Err(RevealError::Internal(e)) => Err(AppError::Internal(anyhow::anyhow!(e))),
        Err(e) => Err(AppError::NotFound(e.to_string())),
    }
}
