//! Lifecycle callbacks authenticate before they read the body: a request with a forged or missing token is a 401
//! whatever its body (wrong `eventType`, another app's key, not JSON, too large), so nothing about the body is
//! judged — or even read — for someone who cannot sign. A good token with a bad body stays a 400 (or 413).

use clearance::tenant::TenantState;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    helpers::{Backend, InstallToken, OTHER_KEY, Site, TenantToken, TestApp, install_body},
    on_each_backend,
};

on_each_backend!(forged_tokens_are_refused_before_the_body_is_judged);

const EVENTS: [&str; 4] = ["installed", "uninstalled", "enabled", "disabled"];

/// What a test sends as a lifecycle body.
enum Body {
    /// These bytes.
    Bytes(Vec<u8>),
    /// Only headers announcing a body of this many bytes, never sent: what the server does without reading it.
    Announced(usize),
}

/// POST to `/lifecycle/{event}`.
async fn post(app: &TestApp, event: &str, token: Option<&str>, body: Body) -> StatusCode {
    let path = format!("/lifecycle/{event}");
    match body {
        Body::Bytes(b) => {
            app.post_body(&path, token.map(|t| format!("JWT {t}")), b)
                .await
        }
        Body::Announced(len) => announce(app, &path, token, len).await,
    }
}

/// Send only the head of a POST whose `Content-Length` is `len` and read the status the server answers with. (A
/// server that answers before reading a large body closes the connection, so a client still writing it may see a
/// broken pipe instead of the answer; sending no body makes the answer certain.)
async fn announce(app: &TestApp, path: &str, token: Option<&str>, len: usize) -> StatusCode {
    let url = url::Url::parse(&app.url(path)).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let auth = token.map_or_else(String::new, |t| format!("Authorization: JWT {t}\r\n"));
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n",
        url.path()
    );
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed without a status line");
        answer.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&answer);
    let code = line.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok());
    StatusCode::from_u16(code.expect("a status line")).unwrap()
}

/// Bodies that would each be a 400 (or 413) with a good token.
fn bad_bodies(site: &Site, event: &str) -> Vec<(&'static str, Body)> {
    let mut wrong_event = install_body(site, event);
    wrong_event["eventType"] = json!(if event == "installed" {
        "uninstalled"
    } else {
        "installed"
    });
    let mut other_app = install_body(site, event);
    other_app["key"] = json!("someone.elses.app");
    let mut forge_key = install_body(site, event);
    forge_key["clientKey"] = json!("forge:1c9a6a4e-9d6b-4f3e-8a41-2d5f0e7b3c11");
    let json = |v: serde_json::Value| Body::Bytes(v.to_string().into_bytes());
    vec![
        ("wrong eventType", json(wrong_event)),
        ("another app's key", json(other_app)),
        ("a Forge clientKey", json(forge_key)),
        ("not JSON", Body::Bytes(b"{oops".to_vec())),
        ("empty", Body::Bytes(Vec::new())),
        ("too large", Body::Announced(200 * 1024)),
    ]
}

async fn forged_tokens_are_refused_before_the_body_is_judged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let before = app.tenant(&site.client_key).await.unwrap();
    for event in EVENTS {
        // Install and uninstall are RS256 from Atlassian's key; enable and disable HS256 with the tenant's secret.
        let forged = if matches!(event, "installed" | "uninstalled") {
            let signed_by_other = InstallToken {
                key: Some(OTHER_KEY),
                ..Default::default()
            };
            app.install_token(&site, event, signed_by_other)
        } else {
            let wrong_secret = TenantToken {
                secret: Some("not-the-secret".into()),
                ..Default::default()
            };
            app.tenant_token(&site, "POST", &format!("/lifecycle/{event}"), wrong_secret)
        };
        let tokens = [
            ("forged", Some(forged.as_str())),
            ("garbage", Some("not.a.jwt")),
            ("none", None),
        ];
        for (what_token, token) in tokens {
            for (what_body, body) in bad_bodies(&site, event) {
                assert_eq!(
                    post(&app, event, token, body).await,
                    StatusCode::UNAUTHORIZED,
                    "{event}: {what_token} token, {what_body} body"
                );
            }
        }
    }
    let after = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(after.tenant.state, TenantState::Installed);
    assert_eq!(after.shared_secret, before.shared_secret);
    assert_eq!(after.tenant.updated_at, before.tenant.updated_at);

    // With a good token the body is judged as before: a wrong eventType is a 400, an oversized body a 413.
    for event in EVENTS {
        let token = if matches!(event, "installed" | "uninstalled") {
            app.install_token(&site, event, InstallToken::default())
        } else {
            app.tenant_token(
                &site,
                "POST",
                &format!("/lifecycle/{event}"),
                TenantToken::default(),
            )
        };
        for (what_body, body) in bad_bodies(&site, event) {
            // A verified caller's body is read: an oversized one is really sent, one byte over the 64 KiB limit (so
            // the server has read all of it when it refuses, and the answer cannot be lost to a reset connection).
            let (body, want) = match body {
                Body::Announced(_) => (
                    Body::Bytes(vec![b' '; 64 * 1024 + 1]),
                    StatusCode::PAYLOAD_TOO_LARGE,
                ),
                body => (body, StatusCode::BAD_REQUEST),
            };
            assert_eq!(
                post(&app, event, Some(&token), body).await,
                want,
                "{event}: good token, {what_body} body"
            );
        }
    }
    let after = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(after.tenant.state, TenantState::Installed);
    assert_eq!(after.tenant.updated_at, before.tenant.updated_at);
    app.cleanup().await;
}
