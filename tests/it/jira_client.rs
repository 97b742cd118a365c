//! Outbound calls: the Jira client signs each request with the tenant secret, `iss` = app key and the qsh of the exact
//! request relative to the site base URL (also when it has a path); Jira's error statuses map to typed errors.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{OriginalUri, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use clearance::{
    host::connect::jwt::{QshRule, RawRequest, check_qsh, verify_hs256},
    jira::JiraError,
};
use serde_json::json;
use tokio::net::TcpListener;

use crate::{
    helpers::{APP_KEY, Backend, Site, TestApp},
    on_each_backend,
};

on_each_backend!(myself_is_signed_like_jira_expects, jira_errors_are_typed);

#[derive(Clone)]
struct FakeJira {
    secret: String,
    context_path: String,
    mode: Arc<Mutex<&'static str>>,
    seen: Arc<Mutex<Vec<String>>>,
}

/// A minimal Jira: verifies the app's JWT on `/rest/api/3/myself` as Jira does, then answers per `mode`.
async fn myself(
    State(j): State<FakeJira>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let mode = *j.mode.lock().unwrap();
    match mode {
        "429" => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("Retry-After", "7")],
                "rate limited",
            )
                .into_response();
        }
        "403" => return (StatusCode::FORBIDDEN, "no").into_response(),
        _ => {}
    }
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("JWT "))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(claims) = verify_hs256(token, j.secret.as_bytes(), std::time::Duration::ZERO, true)
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let raw = RawRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
    };
    if claims.iss != APP_KEY || check_qsh(&claims, QshRule::Request, raw, &j.context_path).is_err()
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    j.seen.lock().unwrap().push(uri.to_string());
    Json(json!({"accountId": "557058:app-user", "accountType": "app", "displayName": "Clearance"}))
        .into_response()
}

async fn spawn_jira(secret: &str, context_path: &str) -> (String, FakeJira) {
    let j = FakeJira {
        secret: secret.into(),
        context_path: context_path.into(),
        mode: Arc::new(Mutex::new("ok")),
        seen: Arc::default(),
    };
    let router = Router::new()
        .route(&format!("{context_path}/rest/api/3/myself"), get(myself))
        .with_state(j.clone());
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    (format!("http://{addr}{context_path}"), j)
}

async fn myself_is_signed_like_jira_expects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for context_path in ["", "/jira"] {
        let mut site = Site::new("local");
        let (base, jira) = spawn_jira(&site.shared_secret, context_path).await;
        site.base_url = base;
        assert_eq!(app.install(&site).await, reqwest::StatusCode::NO_CONTENT);
        let tenant = app.tenant(&site.client_key).await.unwrap().tenant;
        let client = app.state.jira(&tenant).await.unwrap();
        let me = client.myself().await.expect("signed call accepted");
        assert_eq!(me.account_id, "557058:app-user");
        assert_eq!(jira.seen.lock().unwrap().len(), 1, "{context_path}");

        // A tenant whose secret Jira does not know is refused: the signature really is checked.
        let mut wrong = Site::new("local");
        wrong.base_url = site.base_url.clone();
        app.install(&wrong).await;
        let t = app.tenant(&wrong.client_key).await.unwrap().tenant;
        assert!(matches!(
            app.state.jira(&t).await.unwrap().myself().await,
            Err(JiraError::Unauthorized(_))
        ));
    }
    app.cleanup().await;
}

async fn jira_errors_are_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut site = Site::new("local");
    let (base, jira) = spawn_jira(&site.shared_secret, "").await;
    site.base_url = base;
    app.install(&site).await;
    let tenant = app.tenant(&site.client_key).await.unwrap().tenant;
    let client = app.state.jira(&tenant).await.unwrap();
    *jira.mode.lock().unwrap() = "429";
    match client.myself().await {
        Err(JiraError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)))
        }
        other => panic!("expected rate limit, got {other:?}"),
    }
    *jira.mode.lock().unwrap() = "403";
    assert!(matches!(
        client.myself().await,
        Err(JiraError::Forbidden(_))
    ));
    // Nothing listening: a transport error, not a hang.
    let mut gone = Site::new("local");
    gone.base_url = format!("http://{}", crate::helpers::dead_address().await);
    app.install(&gone).await;
    let t = app.tenant(&gone.client_key).await.unwrap().tenant;
    assert!(matches!(
        app.state.jira(&t).await.unwrap().myself().await,
        Err(JiraError::Transport(_))
    ));
    app.cleanup().await;
}

/// The shared client follows no redirect: a site (or anything it calls) answering 302 to another host does not make
/// Clearance call that host.
#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere_hits = Arc::new(Mutex::new(0u32));
    let hits = elsewhere_hits.clone();
    let elsewhere = Router::new().route(
        "/",
        get(move || {
            let hits = hits.clone();
            async move {
                *hits.lock().unwrap() += 1;
                "secret internal page"
            }
        }),
    );
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(other, elsewhere).await });
    let redirecting = Router::new().route(
        "/",
        get(move || async move {
            (
                StatusCode::FOUND,
                [("Location", format!("http://{other_addr}/"))],
            )
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, redirecting).await });
    let cfg = clearance::config::Config::from_pairs([]).unwrap();
    let client = clearance::app::http_client(&cfg).unwrap();
    let resp = client.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(*elsewhere_hits.lock().unwrap(), 0);
}
