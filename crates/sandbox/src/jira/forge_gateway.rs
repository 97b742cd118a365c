//! The API gateway in front of the site (api.atlassian.com in reality): `/ex/jira/{cloudId}/rest/...` reaches the
//! very same REST routes, layers and faults as the site's own `/rest/...`, but authenticated with a Forge OAuth
//! bearer token instead of a Connect JWT (the check is in `auth.rs`). Its own errors are `{"code", "message"}`.

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::any,
};
use serde_json::json;
use tower::ServiceExt;

use super::{JiraSim, rest_server_info::SERVER_INFO_PATH};

/// Prefix of gateway paths (`/ex/jira/{cloudId}/...`).
pub const GATEWAY_PREFIX: &str = "/ex/jira/";

/// Put on requests that came through the gateway: the site they named and the path as the app sent it.
#[derive(Clone, Debug)]
pub(super) struct GatewayCall {
    pub(super) cloud_id: String,
    pub(super) original: String,
}

/// The gateway's own error body.
pub(super) fn gateway_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message})),
    )
        .into_response()
}

/// Gateway routes forwarding to `api` (the site's REST routes with their layers, state applied).
pub(super) fn router(api: Router) -> Router<JiraSim> {
    Router::new().route(
        "/ex/jira/{cloud_id}/{*rest}",
        any(move |State(sim): State<JiraSim>, req: Request| {
            let api = api.clone();
            async move { forward(sim, api, req).await }
        }),
    )
}

async fn forward(sim: JiraSim, api: Router, req: Request) -> Response {
    let original = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    // The raw (still percent-encoded) path, so keys and property names reach Jira exactly as sent.
    let Some((cloud_id, rest)) = req
        .uri()
        .path()
        .strip_prefix(GATEWAY_PREFIX)
        .and_then(|p| p.split_once('/'))
        .map(|(c, r)| (c.to_owned(), format!("/{r}")))
    else {
        return gateway_error(StatusCode::NOT_FOUND, "Not Found");
    };
    if !rest.starts_with("/rest/") {
        return gateway_error(StatusCode::NOT_FOUND, "Not Found");
    }
    if rest == SERVER_INFO_PATH && cloud_id != sim.forge_cloud_id() {
        return gateway_error(StatusCode::NOT_FOUND, "Site not found");
    }
    let target = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest,
    };
    let Ok(uri) = target.parse::<Uri>() else {
        return gateway_error(StatusCode::BAD_REQUEST, "Bad Request");
    };
    // A fresh request: this route's path parameters (kept in the extensions) must not reach the REST routes.
    let (parts, body) = req.into_parts();
    let mut req = Request::new(body);
    *req.method_mut() = parts.method;
    *req.uri_mut() = uri;
    *req.version_mut() = parts.version;
    *req.headers_mut() = parts.headers;
    req.extensions_mut()
        .insert(GatewayCall { cloud_id, original });
    let mut resp = match api.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let mut trace = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut trace);
    if let Ok(v) = HeaderValue::from_str(&hex::encode(trace)) {
        resp.headers_mut().insert("x-b3-traceid", v);
    }
    resp
}
