//! The dashboard iframe (`GET /dashboard`, request-bound JWT: Connect's general page), the same content as JSON for
//! Forge's global page (`GET /api/dashboard`, a UI call: Forge invocation or context token) and its numbers as CSV
//! (`GET /api/dashboard.csv`, a UI call), for Clearance admins and privacy officers of the site (checked on the
//! server for each). All take `?weeks=N` (1-104, default 12). The figures come from `crate::dashboard`.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;

use super::{admin::html_page, api_types::calls::DashboardContent};
use crate::{
    dashboard::{self, Window, view::View},
    error::{AppError, Result},
    host::{Caller, HostRequest, UiRequest},
    requests::commands,
    tenant::Tenant,
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(page))
        .route("/api/dashboard", get(content))
        .route("/api/dashboard.csv", get(csv))
}

#[derive(Deserialize)]
struct WeeksQuery {
    #[serde(default)]
    weeks: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    connect_js: &'a str,
    asset_version: &'static str,
    site: &'a str,
    v: &'a View,
}

/// The page's content alone (what `dashboard.html` includes), for the Forge page to show.
#[derive(Template)]
#[template(path = "dashboard_body.html")]
struct DashboardBody<'a> {
    site: &'a str,
    v: &'a View,
}

#[derive(Template)]
#[template(path = "dashboard_refused.html")]
struct RefusedPage<'a> {
    connect_js: &'a str,
    asset_version: &'static str,
    message: &'a str,
}

/// Only admins and privacy officers see the site's figures.
async fn may_see(app: &AppState, caller: &Caller) -> Result<()> {
    let account = super::acting_account(caller)?;
    let (roles, _) = commands::roles_of(app, &caller.tenant, account).await?;
    if roles.admin || roles.privacy {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the dashboard is for Clearance admins and privacy officers; ask a site admin to add you to a group \
             mapped to one of these roles"
                .into(),
        ))
    }
}

fn weeks(q: &WeeksQuery) -> Result<u32> {
    Window::parse_weeks(q.weeks.as_deref()).map_err(AppError::BadRequest)
}

/// `GET /dashboard`: the page; a refusal (bad `weeks`, not allowed) is a page too, with its status.
async fn page(
    State(app): State<AppState>,
    HostRequest(caller): HostRequest,
    Query(q): Query<WeeksQuery>,
) -> Result<Response> {
    let t = &caller.tenant;
    let checked = match weeks(&q) {
        Ok(w) => may_see(&app, &caller).await.map(|()| w),
        Err(e) => Err(e),
    };
    let weeks = match checked {
        Ok(w) => w,
        Err(AppError::BadRequest(m)) => return refused(&app, t, StatusCode::BAD_REQUEST, &m),
        Err(AppError::Forbidden(m)) => return refused(&app, t, StatusCode::FORBIDDEN, &m),
        Err(e) => return Err(e),
    };
    let d = dashboard::load(&app.store, &t.id, Window::ending(Utc::now(), weeks)).await?;
    let v = dashboard::view::view(&d);
    let page = DashboardPage {
        connect_js: app.cfg.connect_js_url.as_str(),
        asset_version: super::assets::VERSION,
        site: t.display_url.as_str().trim_end_matches('/'),
        v: &v,
    };
    html_page(&page, t, &app.cfg)
}

/// `GET /api/dashboard?weeks=N`: `{weeks, html}`, the page's content rendered by the same template, for the Forge
/// global page (Custom UI cannot load a page from Clearance, so its script puts this markup in). Refused as JSON (400,
/// 403) with the words the Connect page shows.
async fn content(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Query(q): Query<WeeksQuery>,
) -> Result<Json<DashboardContent>> {
    let weeks = weeks(&q)?;
    may_see(&app, &caller).await?;
    let t = &caller.tenant;
    let d = dashboard::load(&app.store, &t.id, Window::ending(Utc::now(), weeks)).await?;
    let v = dashboard::view::view(&d);
    let body = DashboardBody {
        site: t.display_url.as_str().trim_end_matches('/'),
        v: &v,
    };
    let html = body
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the dashboard: {e}")))?;
    Ok(Json(DashboardContent { weeks, html }))
}

fn refused(app: &AppState, t: &Tenant, status: StatusCode, message: &str) -> Result<Response> {
    let page = RefusedPage {
        connect_js: app.cfg.connect_js_url.as_str(),
        asset_version: super::assets::VERSION,
        message,
    };
    let mut resp = html_page(&page, t, &app.cfg)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /api/dashboard.csv?weeks=N`: the dashboard's numbers as a download (see `dashboard::csv` for the columns).
async fn csv(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Query(q): Query<WeeksQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    let weeks = weeks(&q)?;
    may_see(&app, &caller).await?;
    let d = dashboard::load(
        &app.store,
        &caller.tenant.id,
        Window::ending(Utc::now(), weeks),
    )
    .await?;
    let mut body = Vec::new();
    dashboard::csv::write(&d, &mut body).map_err(|e| {
        AppError::Internal(anyhow::Error::new(e).context("writing the dashboard CSV"))
    })?;
    super::download::file(
        &headers,
        dashboard::csv::FILE_NAME,
        "text/csv; charset=utf-8",
        body,
    )
}
