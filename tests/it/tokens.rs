//! Inbound tenant tokens on descriptor routes (iframe, webhook: request-bound qsh) and on the panel API (context
//! tokens only): accepted and rejected cases.

use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{Backend, Site, TenantToken, TestApp},
    on_each_backend,
};

on_each_backend!(
    iframe_tokens,
    webhook_tokens,
    panel_api_takes_only_context_tokens,
    tenants_are_isolated
);

/// Jira's iframe URL: context parameters plus the standard ones, with the token in `jwt`.
const PANEL: &str = "/panel?issueKey=DATA-7&issueId=10007&projectKey=DATA&xdm_e=https%3A%2F%2Facme.atlassian.net&xdm_c=channel-x&cp=&lic=none&cv=1001.0.0";

async fn iframe_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    app.install(&site).await;
    let get_jwt_param = |t: String| app.http.get(format!("{}&jwt={t}", app.url(PANEL))).send();

    // Accepted: token in the query, as Jira loads iframes.
    let resp = get_jwt_param(app.tenant_token(&site, "GET", PANEL, TenantToken::default()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors https://acme.atlassian.net"),
        "{csp}"
    );
    for rule in [
        "default-src 'none'",
        "script-src 'self' https://connect-cdn.atl-paas.net",
        "style-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(rule), "{rule} in {csp}");
    }
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("DATA-7") && html.contains("data-issue-id=\"10007\""),
        "{html}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline code: {html}"
    );
    // The page's own script and stylesheet, versioned and cacheable.
    for (file, mime) in [
        ("panel.js", "application/javascript"),
        ("clearance.css", "text/css"),
    ] {
        let link = format!("static/{}/{file}", env!("CARGO_PKG_VERSION"));
        assert!(html.contains(&link), "{link} in {html}");
        let asset = app
            .http
            .get(app.url(&format!("/{link}")))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        let ct = asset.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(mime), "{ct}");
        assert!(
            asset.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }
    let missing = app
        .http
        .get(app.url("/static/1/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Signed, but without the issue id the panel cannot work: refused with the reason.
    let no_id = "/panel?issueKey=DATA-7&projectKey=DATA";
    let token = app.tenant_token(&site, "GET", no_id, TenantToken::default());
    let resp = app
        .http
        .get(format!("{}&jwt={token}", app.url(no_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("issueId"));

    // Rejected, each for one reason.
    let other_request = "/panel?issueKey=DATA-8&issueId=10008&projectKey=DATA";
    let cases = [
        (
            "expired",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    expired: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "wrong secret",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    secret: Some("x".into()),
                    ..Default::default()
                },
            ),
        ),
        (
            "qsh of another request",
            app.tenant_token(&site, "GET", other_request, TenantToken::default()),
        ),
        (
            "qsh of another method",
            app.tenant_token(&site, "POST", PANEL, TenantToken::default()),
        ),
        (
            "no qsh",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    no_qsh: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "context token",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    context: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "unknown tenant",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    iss: Some("nobody".into()),
                    ..Default::default()
                },
            ),
        ),
        (
            "HS512",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    alg: Some(Algorithm::HS512),
                    ..Default::default()
                },
            ),
        ),
        (
            "HS384",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    alg: Some(Algorithm::HS384),
                    ..Default::default()
                },
            ),
        ),
        (
            "sub is not an account id",
            app.tenant_token(
                &site,
                "GET",
                PANEL,
                TenantToken {
                    sub: Some("<script>".into()),
                    ..Default::default()
                },
            ),
        ),
        ("alg none", unsigned(&site.client_key)),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (what, token) in cases {
        let resp = get_jwt_param(token).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{what}");
        let body = resp.text().await.unwrap();
        assert!(
            !body.contains("qsh") && !body.contains("secret"),
            "{what}: reason leaked: {body}"
        );
    }
    // No token at all.
    assert_eq!(
        app.http.get(app.url(PANEL)).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // A valid token but a bad issue key is a bad request, not a page.
    let bad = "/panel?issueKey=%3Cscript%3E";
    let token = app.tenant_token(&site, "GET", bad, TenantToken::default());
    let resp = app
        .http
        .get(format!("{}&jwt={token}", app.url(bad)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // The admin page works the same way.
    let admin = "/admin?xdm_e=https%3A%2F%2Facme.atlassian.net&cp=&lic=none";
    let ok = app.http.get(format!(
        "{}&jwt={}",
        app.url(admin),
        app.tenant_token(&site, "GET", admin, TenantToken::default())
    ));
    assert_eq!(ok.send().await.unwrap().status(), StatusCode::OK);
    let ctx = app.tenant_token(
        &site,
        "GET",
        admin,
        TenantToken {
            context: true,
            ..Default::default()
        },
    );
    assert_eq!(
        app.http
            .get(format!("{}&jwt={ctx}", app.url(admin)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}

fn unsigned(iss: &str) -> String {
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.",
        b(r#"{"alg":"none","typ":"JWT"}"#),
        b(&json!({"iss": iss, "exp": 9_999_999_999u64, "qsh": "context-qsh"}).to_string())
    )
}

async fn webhook_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    app.install(&site).await;
    let path = "/webhooks/issue-created";
    let body = json!({"webhookEvent": "jira:issue_created", "timestamp": 1_700_000_000_000i64, "issue": {"id": "10001", "key": "DATA-1"}});
    let post = |t: String, b: serde_json::Value| {
        app.http
            .post(app.url(path))
            .header("Authorization", format!("JWT {t}"))
            .header("X-Atlassian-Webhook-Identifier", "1-2-3")
            .json(&b)
            .send()
    };
    let good = || app.tenant_token(&site, "POST", path, TenantToken::default());
    assert_eq!(
        post(good(), body.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    for (what, t) in [
        (
            "qsh of GET",
            app.tenant_token(&site, "GET", path, TenantToken::default()),
        ),
        (
            "qsh of another webhook",
            app.tenant_token(
                &site,
                "POST",
                "/webhooks/issue-updated",
                TenantToken::default(),
            ),
        ),
        (
            "context token",
            app.tenant_token(
                &site,
                "POST",
                path,
                TenantToken {
                    context: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "expired",
            app.tenant_token(
                &site,
                "POST",
                path,
                TenantToken {
                    expired: true,
                    ..Default::default()
                },
            ),
        ),
    ] {
        assert_eq!(
            post(t, body.clone()).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    // Authenticated but malformed: 400, never 2xx.
    let wrong_event = json!({"webhookEvent": "jira:issue_deleted"});
    assert_eq!(
        post(good(), wrong_event).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let resp = app
        .http
        .post(app.url(path))
        .header("Authorization", format!("JWT {}", good()))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Unknown webhook route.
    let p = "/webhooks/nope";
    let t = app.tenant_token(&site, "POST", p, TenantToken::default());
    let resp = app
        .http
        .post(app.url(p))
        .header("Authorization", format!("JWT {t}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}

async fn panel_api_takes_only_context_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    app.install(&site).await;
    let path = "/api/panel/context";
    let get = |t: String| {
        app.http
            .get(app.url(path))
            .header("Authorization", format!("JWT {t}"))
            .send()
    };

    let ctx = app.tenant_token(
        &site,
        "GET",
        path,
        TenantToken {
            context: true,
            sub: Some("557058:analyst-1".into()),
            ..Default::default()
        },
    );
    let resp = get(ctx).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["accountId"], "557058:analyst-1");
    assert_eq!(body["site"], "https://acme.atlassian.net/");

    for (what, t) in [
        (
            "request-bound qsh",
            app.tenant_token(&site, "GET", path, TenantToken::default()),
        ),
        (
            "no qsh",
            app.tenant_token(
                &site,
                "GET",
                path,
                TenantToken {
                    no_qsh: true,
                    context: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "expired context",
            app.tenant_token(
                &site,
                "GET",
                path,
                TenantToken {
                    context: true,
                    expired: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "wrong secret",
            app.tenant_token(
                &site,
                "GET",
                path,
                TenantToken {
                    context: true,
                    secret: Some("x".into()),
                    ..Default::default()
                },
            ),
        ),
    ] {
        assert_eq!(
            get(t).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    app.cleanup().await;
}

async fn tenants_are_isolated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = Site::new("alpha");
    let b = Site::new("beta");
    app.install(&a).await;
    app.install(&b).await;
    let path = "/api/panel/context";
    // A token claiming to be tenant B but signed with A's secret is refused.
    let forged = app.tenant_token(
        &a,
        "GET",
        path,
        TenantToken {
            context: true,
            iss: Some(b.client_key.clone()),
            ..Default::default()
        },
    );
    let resp = app.get(path, &forged).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Each tenant's own token sees only itself.
    for site in [&a, &b] {
        let t = app.tenant_token(
            site,
            "GET",
            path,
            TenantToken {
                context: true,
                ..Default::default()
            },
        );
        let body: serde_json::Value = app.get(path, &t).await.json().await.unwrap();
        assert_eq!(body["site"], format!("{}/", site.base_url));
    }
    app.cleanup().await;
}
