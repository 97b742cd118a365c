//! The app's own static files for its iframe pages (stylesheet and scripts), compiled into the binary and served
//! under `/static/` with a version in the URL, so pages need no inline script or style (`Content-Security-Policy`).

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::web::AppState;

/// Part of every asset URL; a new build is a new URL, so browsers may cache for long.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const FILES: [(&str, &str, &str); 5] = [
    (
        "clearance.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app/clearance.css"),
    ),
    (
        "common.js",
        "application/javascript; charset=utf-8",
        include_str!("../../static/app/common.js"),
    ),
    (
        "panel.js",
        "application/javascript; charset=utf-8",
        include_str!("../../static/app/panel.js"),
    ),
    (
        "admin.js",
        "application/javascript; charset=utf-8",
        include_str!("../../static/app/admin.js"),
    ),
    (
        "dashboard.js",
        "application/javascript; charset=utf-8",
        include_str!("../../static/app/dashboard.js"),
    ),
];

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/static/{version}/{file}", get(asset))
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    let Some((_, mime, body)) = FILES.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let cache = if version == VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = (*body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}
