//! End-to-end against the Jira simulator: install → webhook → iframe load; the simulator refusing bad app calls
//! as Jira does; fault injection reaching the app's client; webhook retries and delivery faults; JQL paging.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    http::{HeaderMap, StatusCode as AxStatus},
    routing::{get, post},
};
use clearance::{
    host::connect::{jwt::Claims, qsh},
    jira::{JiraError, JiraOp, JiraRequest},
    tenant::TenantState,
};
use clearance_sandbox::{
    self as sandbox,
    jira::{IssueEdit, JiraSim, SimKeys, SimOptions, WebhookFault, people},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Options, TestApp},
    on_each_backend,
};

on_each_backend!(
    install_webhook_iframe_end_to_end,
    lifecycle_through_the_simulator
);

/// A site plus the app, configured to trust the site's install keys, with the app installed.
pub(crate) async fn site_and_app(backend: Backend) -> (JiraSim, TestApp) {
    site_and_app_with(backend, Vec::new()).await
}

/// [`site_and_app`] with extra app settings.
pub(crate) async fn site_and_app_with(
    backend: Backend,
    mut settings: Vec<(&'static str, String)>,
) -> (JiraSim, TestApp) {
    let sim = sandbox::spawn_site(SimKeys::generate().unwrap(), SimOptions::default())
        .await
        .unwrap();
    sim.add_default_people();
    settings.push((
        "install_keys_url",
        format!("{}{}", sim.base_url(), sandbox::KEYS_PATH),
    ));
    settings.push(("worker", "true".into()));
    // The iframe pages load the sandbox's stand-in for Connect's all.js (the browser tests run it).
    if !settings.iter().any(|(k, _)| *k == "connect_js_url") {
        settings.push((
            "connect_js_url",
            format!("{}/_sandbox/all.js", sim.base_url()),
        ));
    }
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings,
            ..Default::default()
        },
    )
    .await;
    sim.install(&app.url("/atlassian-connect.json"))
        .await
        .expect("install through the simulator");
    (sim, app)
}

/// Like [`wait_for`], with an async probe.
pub(crate) async fn wait_for_async<T, F: std::future::Future<Output = Option<T>>>(
    mut probe: impl FnMut() -> F,
) -> T {
    for _ in 0..400 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 10 s");
}

pub(crate) async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = probe() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 5 s");
}

async fn install_webhook_iframe_end_to_end(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let tenant = app
        .tenant(&sim.client_key())
        .await
        .expect("tenant stored by the signed install")
        .tenant;
    assert_eq!(tenant.state, TenantState::Enabled);
    assert_eq!(
        tenant.base_url.as_str().trim_end_matches('/'),
        sim.base_url()
    );

    // Webhook: the app accepts the simulator's delivery (JWT with qsh) with 204.
    let key = sim.create_issue(
        "DATA",
        "Customer emails for campaign",
        "Need emails.",
        &["data-request"],
        people::REQUESTER,
    );
    let delivery = wait_for(|| {
        sim.deliveries()
            .into_iter()
            .find(|d| !d.attempts.is_empty())
    })
    .await;
    assert_eq!(delivery.event, "jira:issue_created");
    assert_eq!(delivery.attempts[0].status, Some(204), "{delivery:?}");
    assert_eq!(delivery.body["issue"]["key"], key);

    // Iframe: the issue page embeds the panel exactly as Jira builds the URL, and the app serves it.
    let page = app
        .http
        .get(format!(
            "{}/browse/{key}?as={}",
            sim.base_url(),
            people::ANALYST
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let src = page
        .split("id=\"app-frame\" src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("iframe in the issue page");
    let src = src.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        src.starts_with(&app.base_url) && src.contains("xdm_e=") && src.contains("&jwt="),
        "{src}"
    );
    let resp = app.http.get(&src).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains(&key));

    // AP.context.getToken(): the host page mints a context token for the viewer; the panel API accepts it.
    let minted: Value = app
        .http
        .post(format!("{}/_sandbox/context-token", sim.base_url()))
        .json(&json!({"accountId": people::ANALYST, "context": {}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ctx = app
        .get("/api/panel/context", minted["token"].as_str().unwrap())
        .await;
    assert_eq!(ctx.status(), StatusCode::OK);
    assert_eq!(
        ctx.json::<Value>().await.unwrap()["accountId"],
        people::ANALYST
    );

    // The app calls the simulator with its JWT: accepted.
    let client = app.state.jira(&tenant).await.unwrap();
    let me = client
        .myself()
        .await
        .expect("signed call accepted by the simulator");
    assert_eq!(
        Some(me.account_id.as_str()),
        sim.state().app.as_ref().map(|a| a.account_id.as_str())
    );
    let found: Value = client
        .get_json(
            JiraRequest::new(JiraOp::SearchJql)
                .query("jql", "labels = data-request")
                .query("fields", "summary,labels"),
        )
        .await
        .unwrap();
    assert_eq!(found["issues"][0]["key"], key);
    assert_eq!(found["issues"][0]["fields"]["labels"][0], "data-request");
    app.cleanup().await;
}

async fn lifecycle_through_the_simulator(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let ck = sim.client_key();
    let first = app.tenant(&ck).await.unwrap();
    sim.set_enabled(false).await.unwrap();
    assert_eq!(
        app.tenant(&ck).await.unwrap().tenant.state,
        TenantState::Disabled
    );
    sim.set_enabled(true).await.unwrap();
    assert_eq!(
        app.tenant(&ck).await.unwrap().tenant.state,
        TenantState::Enabled
    );
    sim.uninstall().await.unwrap();
    assert_eq!(
        app.tenant(&ck).await.unwrap().tenant.state,
        TenantState::Uninstalled
    );
    sim.install(&app.url("/atlassian-connect.json"))
        .await
        .unwrap();
    let again = app.tenant(&ck).await.unwrap();
    assert_eq!(again.tenant.state, TenantState::Enabled);
    assert_eq!(again.tenant.id, first.tenant.id);
    assert_ne!(
        again.shared_secret, first.shared_secret,
        "re-install rotates the secret"
    );
    // And the new secret works both ways.
    let client = app.state.jira(&again.tenant).await.unwrap();
    client.myself().await.unwrap();
    app.cleanup().await;
}

/// Sign a call to the simulator as the installed app would (tests the simulator's verification).
fn app_token(
    sim: &JiraSim,
    method: &str,
    url: &str,
    tweak: impl FnOnce(&mut Claims, &mut String),
) -> String {
    let (key, mut secret) = {
        let s = sim.state();
        let a = s.app.as_ref().unwrap();
        (a.key.clone(), a.shared_secret.clone())
    };
    let u = url::Url::parse(url).unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = Claims {
        iss: key,
        sub: None,
        qsh: Some(qsh::query_string_hash(
            method,
            u.path(),
            u.query().unwrap_or(""),
            "",
        )),
        iat: Some(now),
        exp: now + 180,
        context: None,
    };
    tweak(&mut claims, &mut secret);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_verifies_app_calls_like_jira() {
    let (sim, app) = site_and_app(Backend::Sqlite).await;
    let key = sim.create_issue("DATA", "x", "y", &[], people::REQUESTER);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/rest/api/3/issue/{key}", sim.base_url());
    let get = |t: String| {
        http.get(&url)
            .header("Authorization", format!("JWT {t}"))
            .send()
    };
    assert_eq!(
        get(app_token(&sim, "GET", &url, |_, _| {}))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "no token"
    );
    for (what, t) in [
        (
            "wrong secret",
            app_token(&sim, "GET", &url, |_, s| *s = "nope".into()),
        ),
        (
            "iss = clientKey",
            app_token(&sim, "GET", &url, |c, _| c.iss = sim.client_key()),
        ),
        (
            "qsh of another path",
            app_token(
                &sim,
                "GET",
                &format!("{}/rest/api/3/myself", sim.base_url()),
                |_, _| {},
            ),
        ),
        (
            "context qsh",
            app_token(&sim, "GET", &url, |c, _| c.qsh = Some("context-qsh".into())),
        ),
        (
            "expired",
            app_token(&sim, "GET", &url, |c, _| c.exp = 1_000),
        ),
    ] {
        let r = get(t).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert!(r.headers().contains_key("www-authenticate"));
    }
    // GET with a body: 403.
    let t = app_token(&sim, "GET", &url, |_, _| {});
    let r = http
        .get(&url)
        .header("Authorization", format!("JWT {t}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Unknown issue: Jira's 404 body.
    let missing = format!("{}/rest/api/3/issue/NOPE-9", sim.base_url());
    let r = get_with(&http, &missing, app_token(&sim, "GET", &missing, |_, _| {})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.json::<Value>().await.unwrap()["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );

    // Attachments: the XSRF header and the part name are required; the limit is enforced; downloads redirect.
    let up = format!("{}/rest/api/3/issue/{key}/attachments", sim.base_url());
    let form = |name: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            name.to_owned(),
            reqwest::multipart::Part::bytes(bytes).file_name("ids.csv"),
        )
    };
    let post = |f: reqwest::multipart::Form, xsrf: bool| {
        let mut r = http
            .post(&up)
            .header(
                "Authorization",
                format!("JWT {}", app_token(&sim, "POST", &up, |_, _| {})),
            )
            .multipart(f);
        if xsrf {
            r = r.header("X-Atlassian-Token", "no-check");
        }
        r.send()
    };
    assert_eq!(
        post(form("file", b"id\n1\n".to_vec()), false)
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(form("data", b"id\n1\n".to_vec()), true)
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    sim.state().upload_limit = 1000;
    assert_eq!(
        post(form("file", vec![b'x'; 2000]), true)
            .await
            .unwrap()
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let created: Value = post(form("file", b"id\n1\n2\n".to_vec()), true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created[0]["filename"], "ids.csv");
    assert_eq!(created[0]["size"], 7);
    let id = created[0]["id"].as_str().unwrap().to_owned();
    let content = format!("{}/rest/api/3/attachment/content/{id}", sim.base_url());
    let r = get_with(&http, &content, app_token(&sim, "GET", &content, |_, _| {})).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        http.get(&location)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"id\n1\n2\n"
    );
    let direct = format!("{content}?redirect=false");
    let r = get_with(&http, &direct, app_token(&sim, "GET", &direct, |_, _| {})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let meta = format!("{}/rest/api/3/attachment/meta", sim.base_url());
    let m: Value = get_with(&http, &meta, app_token(&sim, "GET", &meta, |_, _| {}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m, json!({"enabled": true, "uploadLimit": 1000}));
    app.cleanup().await;
}

async fn get_with(http: &reqwest::Client, url: &str, token: String) -> reqwest::Response {
    http.get(url)
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_reach_the_app_client() {
    let (sim, app) = site_and_app(Backend::Sqlite).await;
    let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant;
    let client = app.state.jira(&tenant).await.unwrap();
    sim.faults().rate_limit(1, 7);
    match client.myself().await {
        Err(JiraError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)))
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    sim.faults()
        .server_errors(1, reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        matches!(client.myself().await, Err(JiraError::Status { status, .. }) if status == StatusCode::INTERNAL_SERVER_ERROR)
    );
    sim.faults().slow = Some(Duration::from_millis(300));
    let started = std::time::Instant::now();
    client.myself().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "slow fault applied"
    );
    app.cleanup().await;
}

/// What a stand-in app received on its webhook URL.
#[derive(Clone, Debug)]
struct Received {
    identifier: String,
    retry: Option<String>,
    key: String,
    token_ok: bool,
}

/// A minimal app: descriptor, lifecycle that accepts anything (keeping the secret), and a webhook endpoint that
/// answers from a script of statuses (then 204).
async fn stand_in_app(
    script: Vec<u16>,
) -> (String, Arc<Mutex<Vec<Received>>>, Arc<Mutex<Vec<u16>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let script = Arc::new(Mutex::new(script));
    let secret: Arc<Mutex<String>> = Arc::default();
    let descriptor = json!({
        "key": "stand.in", "baseUrl": base, "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed", "enabled": "/enabled", "disabled": "/disabled", "uninstalled": "/uninstalled"},
        "modules": {"webhooks": [{"event": "jira:issue_created", "url": "/hook"}]}
    });
    let (r2, s2, sec2, sec3) = (
        received.clone(),
        script.clone(),
        secret.clone(),
        secret.clone(),
    );
    let router = Router::new()
        .route(
            "/atlassian-connect.json",
            get(move || {
                let d = descriptor.clone();
                async move { Json(d) }
            }),
        )
        .route(
            "/installed",
            post(move |body: Json<Value>| async move {
                *sec2.lock().unwrap() =
                    body["sharedSecret"].as_str().unwrap_or_default().to_owned();
                AxStatus::NO_CONTENT
            }),
        )
        .route("/{other}", post(|| async { AxStatus::NO_CONTENT }))
        .route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let token = h("authorization")
                    .unwrap_or_default()
                    .trim_start_matches("JWT ")
                    .to_owned();
                let secret = sec3.lock().unwrap().clone();
                let token_ok = clearance::host::connect::jwt::verify_hs256(
                    &token,
                    secret.as_bytes(),
                    Duration::ZERO,
                    true,
                )
                .is_ok_and(|c| {
                    c.qsh.as_deref()
                        == Some(qsh::query_string_hash("POST", "/hook", "", "").as_str())
                });
                let body: Value = serde_json::from_slice(&body).unwrap_or_default();
                r2.lock().unwrap().push(Received {
                    identifier: h("x-atlassian-webhook-identifier").unwrap_or_default(),
                    retry: h("x-atlassian-webhook-retry"),
                    key: body["issue"]["key"].as_str().unwrap_or_default().to_owned(),
                    token_ok,
                });
                let next = {
                    let mut s = s2.lock().unwrap();
                    if s.is_empty() { 204 } else { s.remove(0) }
                };
                AxStatus::from_u16(next).unwrap()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, received, script)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_retries_and_delivery_faults() {
    let sim = sandbox::spawn_site(SimKeys::generate().unwrap(), SimOptions::default())
        .await
        .unwrap();
    sim.add_default_people();
    let (base, received, script) = stand_in_app(vec![503, 500]).await;
    sim.install(&format!("{base}/atlassian-connect.json"))
        .await
        .unwrap();

    // 503, 500, then 204: three attempts, same identifier, retry counter header from the second on.
    let a = sim.create_issue("DATA", "a", "", &[], people::REQUESTER);
    wait_for(|| (received.lock().unwrap().len() >= 3).then_some(())).await;
    let got = received.lock().unwrap().clone();
    assert!(
        got.iter()
            .all(|r| r.key == a && r.identifier == got[0].identifier && r.token_ok),
        "{got:?}"
    );
    assert_eq!(
        got.iter().map(|r| r.retry.clone()).collect::<Vec<_>>(),
        vec![None, Some("1".into()), Some("2".into())]
    );
    // The simulator records an attempt once the answer is in; wait for the third.
    let d = wait_for(|| {
        sim.deliveries()
            .into_iter()
            .next()
            .filter(|d| d.attempts.len() >= 3)
            .map(|d| vec![d])
    })
    .await;
    assert_eq!(
        d[0].attempts.iter().map(|x| x.status).collect::<Vec<_>>(),
        vec![Some(503), Some(500), Some(204)]
    );

    // 400 is never retried.
    received.lock().unwrap().clear();
    script.lock().unwrap().push(400);
    sim.create_issue("DATA", "b", "", &[], people::REQUESTER);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received.lock().unwrap().len(), 1);

    // Duplicate: delivered twice with one identifier.
    received.lock().unwrap().clear();
    sim.faults().webhooks.push_back(WebhookFault::Duplicate);
    let c = sim.create_issue("DATA", "c", "", &[], people::REQUESTER);
    wait_for(|| (received.lock().unwrap().len() >= 2).then_some(())).await;
    let got = received.lock().unwrap().clone();
    assert!(got[0].key == c && got[1].key == c && got[0].identifier == got[1].identifier);

    // Out of order: the first is held until the second has been delivered.
    received.lock().unwrap().clear();
    sim.faults().webhooks.push_back(WebhookFault::OutOfOrder);
    let first = sim.create_issue("DATA", "first", "", &[], people::REQUESTER);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(received.lock().unwrap().is_empty(), "held back");
    let second = sim.create_issue("DATA", "second", "", &[], people::REQUESTER);
    wait_for(|| (received.lock().unwrap().len() >= 2).then_some(())).await;
    let order: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(order, vec![second, first]);

    // Dropped: never delivered, recorded as dropped.
    received.lock().unwrap().clear();
    sim.faults().webhooks.push_back(WebhookFault::Drop);
    let lost = sim.create_issue("DATA", "lost", "", &[], people::REQUESTER);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(received.lock().unwrap().is_empty());
    assert!(
        sim.deliveries()
            .iter()
            .any(|d| d.dropped && d.body["issue"]["key"] == lost)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jql_search_pages_and_refuses_unbounded_queries() {
    let (sim, app) = site_and_app(Backend::Sqlite).await;
    let mut keys = Vec::new();
    for n in 0..7 {
        keys.push(sim.create_issue(
            "DATA",
            &format!("request {n}"),
            "",
            &["data-request"],
            people::REQUESTER,
        ));
    }
    sim.create_issue("OPS", "not a request", "", &["other"], people::REQUESTER);
    let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant;
    let client = app.state.jira(&tenant).await.unwrap();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for page in 0.. {
        let mut req = JiraRequest::new(JiraOp::SearchJql)
            .query("jql", "labels = data-request ORDER BY key ASC")
            .query("maxResults", 3)
            .query("fields", "key");
        if let Some(t) = &token {
            req = req.query("nextPageToken", t);
        }
        let v: Value = client.get_json(req).await.unwrap();
        seen.extend(
            v["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["key"].as_str().unwrap().to_owned()),
        );
        if v["isLast"] == true {
            assert!(v.get("nextPageToken").is_none());
            assert_eq!(page, 2);
            break;
        }
        token = v["nextPageToken"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, keys);
    // Default fields: ids only.
    let v: Value = client
        .get_json(JiraRequest::new(JiraOp::SearchJql).query("jql", "project = OPS"))
        .await
        .unwrap();
    assert_eq!(
        v["issues"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["id"]
    );
    for (jql, token) in [
        ("", None),
        ("ORDER BY key", None),
        ("labels = x", Some("garbage")),
    ] {
        let mut bad = JiraRequest::new(JiraOp::SearchJql).query("jql", jql);
        if let Some(t) = token {
            bad = bad.query("nextPageToken", t);
        }
        let bad_path = bad.path_and_query().unwrap();
        match client.get_json::<Value>(bad).await {
            Err(JiraError::Status { status, body }) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{bad_path}");
                assert!(body.contains("errorMessages"), "{body}");
            }
            other => panic!("{bad_path}: expected 400, got {other:?}"),
        }
    }
    app.cleanup().await;
}

/// The simulator signs requests to the app exactly as Atlassian's own implementation: for each of the 79 official
/// vectors, the token it mints for the vector's URL carries the vector's qsh (including an app base URL with a path).
#[test]
fn simulator_signing_reproduces_the_official_vectors() {
    let v = crate::vectors::load();
    let sim = JiraSim::new(
        "https://jira.example.com",
        SimKeys::generate().unwrap(),
        SimOptions::default(),
    );
    for case in &v.tests {
        let base = format!(
            "https://example.com{}",
            case.addon_base_url.as_deref().unwrap_or("")
        );
        sim.state().app = Some(clearance_sandbox::jira::model::InstalledApp {
            key: "vectors".into(),
            base_url: base,
            shared_secret: v.secret.clone(),
            descriptor: json!({}),
            enabled: true,
            account_id: "app".into(),
        });
        let (path, query, vector_token) = crate::vectors::split(&case.signed_url);
        let url = if query.is_empty() {
            format!("https://example.com{path}")
        } else {
            format!("https://example.com{path}?{query}")
        };
        let token = sim.sign_app_request("GET", &url, None).expect("signed");
        let ours = clearance::host::connect::jwt::verify_hs256(
            &token,
            v.secret.as_bytes(),
            Duration::ZERO,
            true,
        )
        .unwrap();
        let theirs = clearance::host::connect::jwt::verify_hs256(
            &vector_token,
            v.secret.as_bytes(),
            Duration::ZERO,
            false,
        )
        .unwrap();
        assert_eq!(ours.qsh, theirs.qsh, "{}", case.name);
        assert_eq!(
            ours.qsh.as_deref(),
            Some(qsh::hash_canonical(&case.canonical_url).as_str()),
            "{}",
            case.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_fire_updates_with_changelogs() {
    let (sim, app) = site_and_app(Backend::Sqlite).await;
    let key = sim.create_issue("DATA", "x", "y", &["data-request", "q4"], people::REQUESTER);
    sim.edit_issue(&key, people::ANALYST, IssueEdit::labels(&["q4"]))
        .unwrap();
    sim.edit_issue(
        &key,
        people::ANALYST,
        IssueEdit {
            reporter: Some(people::ADMIN.into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    // Nothing changed: no event.
    sim.edit_issue(&key, people::ANALYST, IssueEdit::labels(&["q4"]))
        .unwrap();

    // Through REST, as the app: remove a label with `update`, and an unknown reporter is refused.
    let http = reqwest::Client::new();
    let url = format!("{}/rest/api/3/issue/{key}", sim.base_url());
    let put = |body: Value| {
        http.put(&url)
            .header(
                "Authorization",
                format!("JWT {}", app_token(&sim, "PUT", &url, |_, _| {})),
            )
            .json(&body)
            .send()
    };
    assert_eq!(
        put(json!({"update": {"labels": [{"add": "triaged"}, {"remove": "q4"}]}}))
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        put(json!({"fields": {"reporter": {"accountId": "nobody"}}}))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put(json!({"fields": {"labels": ["has space"]}}))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(sim.issue(&key).unwrap().labels, vec!["triaged"]);

    let updates: Vec<Value> = wait_for(|| {
        let u: Vec<Value> = sim
            .deliveries()
            .into_iter()
            .filter(|d| d.event == "jira:issue_updated")
            .map(|d| d.body)
            .collect();
        (u.len() >= 3).then_some(u)
    })
    .await;
    assert_eq!(
        updates.len(),
        3,
        "no event for an edit that changed nothing"
    );
    let labels = &updates[0]["changelog"]["items"][0];
    assert_eq!(
        (
            labels["field"].as_str(),
            labels["fromString"].as_str(),
            labels["toString"].as_str()
        ),
        (Some("labels"), Some("data-request q4"), Some("q4"))
    );
    assert_eq!(updates[0]["user"]["accountId"], people::ANALYST);
    let reporter = &updates[1]["changelog"]["items"][0];
    assert_eq!(
        (reporter["field"].as_str(), reporter["to"].as_str()),
        (Some("reporter"), Some(people::ADMIN))
    );
    assert_eq!(updates[2]["changelog"]["items"][0]["toString"], "triaged");
    // And every one of them reached the app, authenticated.
    wait_for(|| {
        sim.deliveries()
            .iter()
            .filter(|d| d.event == "jira:issue_updated")
            .all(|d| d.attempts.first().and_then(|a| a.status) == Some(204))
            .then_some(())
    })
    .await;
    app.cleanup().await;
}
