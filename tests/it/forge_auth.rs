//! The Forge front door's token checks over HTTP, against a local key server: a good invocation creates the site's
//! tenant on first contact (keyed by cloud id) and keeps its system token sealed; forged tokens (another key, another
//! app, expired, unknown kid, alg none, HS256 with the public key, an event token on the UI API) are refused with 401
//! before any body is judged, and store nothing; unknown kids do not make Clearance hammer the key server; one
//! installation's token never reaches another site's data; a Connect token naming a Forge tenant is refused.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Json, Router, extract::State, routing::get};
use clearance_sandbox::jira::keys::SimKeys;
use jsonwebtoken::{
    Algorithm, EncodingKey, Header, encode,
    jwk::{Jwk, JwkSet},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Options, TestApp},
    on_each_backend,
};

on_each_backend!(forged_invocation_tokens_are_refused_and_store_nothing);

const APP: &str = "ari:cloud:ecosystem::app/6f1b7b2c-6c1f-4b8e-9a4e-0d6f3c2b1a00";
const CLOUD_A: &str = "1c9a6a4e-9d6b-4f3e-8a41-2d5f0e7b3c11";
const CLOUD_B: &str = "7e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b";
const INSTALL_A: &str = "ari:cloud:ecosystem::installation/0b2f5c1e-7d3a-4c59-b1e2-4a6d8f9e0c22";
const INSTALL_B: &str = "ari:cloud:ecosystem::installation/9c8b7a6f-5e4d-4c3b-a2f1-0e9d8c7b6a55";

/// A key server publishing `key`'s JWK; counts its requests.
async fn key_server(key: &SimKeys) -> (String, Arc<AtomicUsize>) {
    let enc = EncodingKey::from_rsa_pem(key.stored().private_pem.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&enc, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(key.kid().to_owned());
    let set = Arc::new(JwkSet { keys: vec![jwk] });
    let hits = Arc::new(AtomicUsize::new(0));
    let state = (set, hits.clone());
    let app = Router::new()
        .route(
            "/jwks.json",
            get(
                |State((set, hits)): State<(Arc<JwkSet>, Arc<AtomicUsize>)>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    Json(serde_json::to_value(&*set).unwrap())
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

fn claims(cloud: &str, installation: &str, module: (&str, &str), principal: Option<&str>) -> Value {
    let iat = chrono::Utc::now().timestamp();
    let api = format!("https://api.atlassian.com/ex/jira/{cloud}");
    let mut c = json!({
        "iss": "forge/invocation-token", "aud": APP, "iat": iat, "nbf": iat, "exp": iat + 25,
        "jti": uuid::Uuid::new_v4().to_string(),
        "app": {"id": APP, "installationId": installation, "apiBaseUrl": api, "appVersion": "1.0.0",
                "environment": {"type": "PRODUCTION", "id": "ari:cloud:ecosystem::environment/a/e"},
                "module": {"type": module.0, "key": module.1},
                "installation": {"id": installation, "contexts": [{"name": "jira", "cloudId": cloud, "apiBaseUrl": api}]}}
    });
    if let Some(p) = principal {
        c["principal"] = json!(p);
        c["context"] = json!({"cloudId": cloud, "siteUrl": "https://acme.atlassian.net"});
    }
    c
}

const EVENT: (&str, &str) = ("core:endpoint", "clearance-hourly");
const PANEL: (&str, &str) = ("jira:issueContext", "clearance-panel");

fn sign(key: &SimKeys, kid: &str, claims: &Value) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_owned());
    encode(
        &h,
        claims,
        &EncodingKey::from_rsa_pem(key.stored().private_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// A system token shaped like Forge's (a JWT with `exp`; opaque to Clearance).
fn system_token(tag: &str) -> String {
    let exp = chrono::Utc::now().timestamp() + 3 * 3600;
    encode(
        &Header::default(),
        &json!({"exp": exp, "tag": tag}),
        &EncodingKey::from_secret(b"atlassian"),
    )
    .unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, system: Option<&str>) -> StatusCode {
    let mut req = app
        .http
        .post(app.url(path))
        .header("Authorization", format!("Bearer {token}"))
        .json(&json!({}));
    if let Some(s) = system {
        req = req.header("x-forge-oauth-system", s);
    }
    req.send().await.unwrap().status()
}

async fn forged_invocation_tokens_are_refused_and_store_nothing(backend: Backend) {
    let forge_key = SimKeys::generate().unwrap();
    let attacker = SimKeys::generate().unwrap();
    let (jwks_url, hits) = key_server(&forge_key).await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings: vec![("forge_app_id", APP.into()), ("forge_jwks_url", jwks_url)],
            ..Default::default()
        },
    )
    .await;
    let tenants_before = app.state.store.tenant_ids().await.unwrap().len();
    let kid = forge_key.kid().to_owned();
    let good = claims(CLOUD_A, INSTALL_A, EVENT, None);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    let none_alg = {
        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "kid": kid})),
            b64(&good)
        )
    };
    let confused = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.clone());
        encode(
            &h,
            &good,
            &EncodingKey::from_secret(forge_key.stored().public_pem.as_bytes()),
        )
        .unwrap()
    };
    let forged = [
        ("another key", sign(&attacker, &kid, &good)),
        (
            "another app",
            sign(
                &forge_key,
                &kid,
                &with(&|c| {
                    c["aud"] =
                        json!("ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000")
                }),
            ),
        ),
        (
            "expired",
            sign(
                &forge_key,
                &kid,
                &with(&|c| c["exp"] = json!(chrono::Utc::now().timestamp() - 120)),
            ),
        ),
        ("unknown kid", sign(&attacker, "not-a-forge-kid", &good)),
        ("alg none", none_alg),
        ("HS256 with the public key", confused),
        (
            "API host not Atlassian's",
            sign(
                &forge_key,
                &kid,
                &with(&|c| {
                    c["app"]["apiBaseUrl"] =
                        json!(format!("https://evil.example/ex/jira/{CLOUD_A}"))
                }),
            ),
        ),
        (
            "a UI token on an event route",
            sign(
                &forge_key,
                &kid,
                &claims(CLOUD_A, INSTALL_A, PANEL, Some("557058:ana-analyst")),
            ),
        ),
    ];
    for (what, token) in &forged {
        let status = post(
            &app,
            "/forge/scheduled/hourly",
            token,
            Some(&system_token("x")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        // The token is checked before the body is read: a body that would be a 400 changes nothing.
        for route in [
            "/forge/events/jira",
            "/forge/events/lifecycle",
            "/forge/lifecycle/pre-uninstall",
        ] {
            let status = app
                .post_body(route, Some(format!("Bearer {token}")), "{oops")
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} on {route}");
        }
    }
    // An event token on the UI API.
    let event_token = sign(&forge_key, &kid, &good);
    let resp = app
        .http
        .get(app.url("/api/panel/requests/10001"))
        .header("Authorization", format!("Bearer {event_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "event token on the UI API"
    );
    assert_eq!(
        app.state.store.tenant_ids().await.unwrap().len(),
        tenants_before,
        "nothing stored"
    );
    // Unknown kids: one fetch at most per 30 s, however many arrive.
    let before = hits.load(Ordering::SeqCst);
    for _ in 0..5 {
        let t = sign(&attacker, &uuid::Uuid::new_v4().to_string(), &good);
        assert_eq!(
            post(&app, "/forge/scheduled/hourly", &t, None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(
        hits.load(Ordering::SeqCst) - before <= 1,
        "bounded refetching"
    );

    // A good invocation: the tenant is created on first contact, keyed by cloud id; the token is kept sealed.
    let token = system_token("site-a");
    assert_eq!(
        post(
            &app,
            "/forge/scheduled/hourly",
            &sign(&forge_key, &kid, &good),
            Some(&token)
        )
        .await,
        StatusCode::OK
    );
    let a = app
        .tenant(&format!("forge:{CLOUD_A}"))
        .await
        .expect("tenant A");
    assert_eq!(
        a.tenant.base_url.as_str(),
        format!("https://api.atlassian.com/ex/jira/{CLOUD_A}")
    );
    let inst = app
        .state
        .store
        .forge_installation(&a.tenant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inst.installation_id, INSTALL_A);
    let sealed = &inst.system_token.as_ref().unwrap().0.0;
    assert!(!sealed.contains(&token), "sealed, never plaintext");
    // Again: the same tenant.
    assert_eq!(
        post(
            &app,
            "/forge/scheduled/hourly",
            &sign(&forge_key, &kid, &good),
            None
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        app.state.store.tenant_ids().await.unwrap().len(),
        tenants_before + 1
    );
    // With a good token, the body that was never judged for the forged ones is a 400.
    let bearer = format!("Bearer {}", sign(&forge_key, &kid, &good));
    let status = app
        .post_body("/forge/events/jira", Some(bearer), "{oops")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another site's installation gets its own tenant and never sees A's requests.
    let b_token = sign(&forge_key, &kid, &claims(CLOUD_B, INSTALL_B, EVENT, None));
    assert_eq!(
        post(&app, "/forge/scheduled/hourly", &b_token, None).await,
        StatusCode::OK
    );
    let b = app
        .tenant(&format!("forge:{CLOUD_B}"))
        .await
        .expect("tenant B");
    assert_ne!(a.tenant.id, b.tenant.id);
    let mut tx = app.state.store.begin().await.unwrap();
    tx.upsert_request(
        &a.tenant.id,
        &clearance::store::IssueSnapshot {
            issue_id: "10001".into(),
            issue_key: "DATA-1".into(),
            project_key: "DATA".into(),
            summary: "Site A's request".into(),
            description: String::new(),
            reporter: None,
            labels: vec!["data-request".into()],
            attachments: Vec::new(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // From B's issue panel on an issue with A's request's id: B's own issue 10001 has no request.
    let mut on_issue = claims(CLOUD_B, INSTALL_B, PANEL, Some("557058:ana-analyst"));
    on_issue["context"]["extension"] = json!({"type": PANEL.0, "issue": {"id": "10001"}});
    let b_user = sign(&forge_key, &kid, &on_issue);
    let resp = app
        .http
        .get(app.url("/api/panel/requests/10001"))
        .header("Authorization", format!("Bearer {b_user}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "B's token does not reach A's request"
    );

    // A Connect token naming a Forge tenant is refused (no shared secret exists for it).
    let connect = encode(
        &Header::new(Algorithm::HS256),
        &json!({"iss": format!("forge:{CLOUD_A}"), "qsh": "context-qsh", "iat": 0, "exp": chrono::Utc::now().timestamp() + 60, "sub": "557058:ana-analyst"}),
        &EncodingKey::from_secret(b""),
    )
    .unwrap();
    let resp = app
        .http
        .get(app.url("/api/panel/requests/10001"))
        .header("Authorization", format!("JWT {connect}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}
