//! Verification of the app's calls exactly as Jira does it: `Authorization: JWT` signed with the install's shared
//! secret, `iss` = the app key, not expired, `qsh` of this very request. GET with a body is refused. Calls that came
//! through the API gateway (`/ex/jira/{cloudId}`) need a Forge OAuth bearer token instead, and nothing else.

use axum::{
    Json,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{JiraSim, forge_gateway::GatewayCall};
use clearance_atlassian::jwt::{self, QshRule, RawRequest};

/// The accountId the verified app acts as, put in request extensions for the handlers.
#[derive(Clone, Debug)]
pub(super) struct AppCaller(pub String);

fn unauthorized(why: &str) -> Response {
    tracing::debug!(why, "jira simulator refused an app call");
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}})),
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("JWT realm=\"Jira\""),
    );
    resp
}

pub(super) async fn verify_app_jwt(
    State(sim): State<JiraSim>,
    mut req: Request,
    next: Next,
) -> Response {
    // The gateway authenticates before Jira sees the call; a Connect JWT means nothing there.
    if let Some(gateway) = req.extensions().get::<GatewayCall>().cloned() {
        match sim.forge_bearer_account(&gateway.cloud_id, req.headers()) {
            Ok(account) => {
                req.extensions_mut().insert(AppCaller(account));
            }
            Err(refused) => return *refused,
        }
    }
    if req.method() == Method::GET {
        let has_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v != "0")
            || req.headers().contains_key(header::TRANSFER_ENCODING);
        if has_body {
            return (
                StatusCode::FORBIDDEN,
                Json(
                    json!({"errorMessages": ["GET requests must not have a body."], "errors": {}}),
                ),
            )
                .into_response();
        }
    }
    if req.extensions().get::<GatewayCall>().is_some() {
        return next.run(req).await;
    }
    let Some((app_key, secret, account)) = sim
        .state()
        .app
        .as_ref()
        .map(|a| (a.key.clone(), a.shared_secret.clone(), a.account_id.clone()))
    else {
        return unauthorized("no app installed");
    };
    let token = match req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.len() > 4 && v[..4].eq_ignore_ascii_case("jwt ") => v[4..].trim().to_owned(),
        _ => return unauthorized("no JWT"),
    };
    let claims = match jwt::verify_hs256(
        &token,
        secret.as_bytes(),
        std::time::Duration::from_secs(30),
        true,
    ) {
        Ok(c) => c,
        Err(e) => return unauthorized(&e.to_string()),
    };
    if claims.iss != app_key {
        return unauthorized("iss is not the app key");
    }
    let uri = req.uri().clone();
    let raw = RawRequest {
        method: req.method().as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
    };
    if let Err(e) = jwt::check_qsh(&claims, QshRule::Request, raw, "") {
        return unauthorized(&e.to_string());
    }
    req.extensions_mut().insert(AppCaller(account));
    next.run(req).await
}
