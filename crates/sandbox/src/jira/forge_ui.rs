//! The Forge app's Custom UI in the simulator: serves a built resource folder (`forge/static/{panel,admin}/build`)
//! under `/_sandbox/forge/ui/{resource}/`, as Forge hosts it, with the sandbox's stand-in for Forge's host bridge
//! (`/_sandbox/forge/host.js`, `window.__bridge`) injected ahead of the bundle's scripts — as Forge's own tunnel
//! injects its scripts into `index.html`. The page's query says who is looking at which issue.

use std::path::PathBuf;

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::JiraSim;

const HOST_JS: &str = include_str!("../../static/forge-host.js");

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route("/_sandbox/forge/host.js", get(host_js))
        .route("/_sandbox/forge/ui/{resource}/{file}", get(file))
}

async fn host_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        HOST_JS,
    )
        .into_response()
}

/// A plain file name from the bundle (no folders, no dot-files).
fn safe(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

async fn file(
    State(sim): State<JiraSim>,
    Path((resource, file)): Path<(String, String)>,
) -> Response {
    let Some(root) = sim.inner.options.forge_ui_dir.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "no Forge UI bundle configured (SimOptions::forge_ui_dir)",
        )
            .into_response();
    };
    if !safe(&resource) || !safe(&file) {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    let path: PathBuf = root.join(&resource).join("build").join(&file);
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return (
            StatusCode::NOT_FOUND,
            format!(
                "{} is not in the bundle (run `npm run build` in forge/)",
                path.display()
            ),
        )
            .into_response();
    };
    let mime = match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "application/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let body = if file == "index.html" {
        let html = String::from_utf8_lossy(&bytes);
        html.replacen(
            "<head>",
            "<head>\n  <script src=\"/_sandbox/forge/host.js\"></script>",
            1,
        )
        .into_bytes()
    } else {
        bytes
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
