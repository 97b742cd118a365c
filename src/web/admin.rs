//! The admin page iframe (`GET /admin`, request-bound JWT), and the HTML response helper iframe pages share.

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::{
    config::Config,
    error::{AppError, Result},
    host::HostRequest,
    tenant::Tenant,
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin", get(admin))
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    connect_js: &'a str,
    asset_version: &'static str,
    site: &'a str,
    state: &'a str,
    installed_at: String,
}

async fn admin(
    State(state): State<AppState>,
    HostRequest(caller): HostRequest,
) -> Result<Response> {
    let t = &caller.tenant;
    let page = AdminPage {
        connect_js: state.cfg.connect_js_url.as_str(),
        asset_version: super::assets::VERSION,
        site: t.display_url.as_str(),
        state: t.state.as_str(),
        installed_at: t.installed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    html_page(&page, t, &state.cfg)
}

/// Render an iframe page, allowed to be framed only by the tenant's own site.
pub(super) fn html_page(page: &impl Template, tenant: &Tenant, cfg: &Config) -> Result<Response> {
    let body = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering page: {e}")))?;
    let mut ancestors = vec![tenant.base_url.origin().ascii_serialization()];
    let display = tenant.display_url.origin().ascii_serialization();
    if !ancestors.contains(&display) {
        ancestors.push(display);
    }
    // Scripts and styles only from Clearance itself and the Connect script (all.js); no inline code.
    let csp = format!(
        "default-src 'none'; script-src 'self' {}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {}",
        cfg.connect_js_url.origin().ascii_serialization(),
        ancestors.join(" ")
    );
    let mut resp = Html(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
