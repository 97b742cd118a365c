//! Lifecycle: signed install, re-install with a new secret, forged installs refused with the stored tenant unchanged,
//! uninstall keeps data, enable/disable verified with the tenant's secret.

use clearance::{
    store::{InstallRecord, SealedSecret},
    tenant::TenantState,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{
        Backend, InstallToken, OTHER_KEY, Options, Site, TenantToken, TestApp, install_body,
    },
    on_each_backend,
};

on_each_backend!(
    install_stores_tenant_with_sealed_secret,
    reinstall_rotates_secret,
    forged_installs_change_nothing,
    key_server_down_refuses_install,
    disallowed_hosts_are_refused,
    malformed_bodies_are_bad_requests,
    uninstall_keeps_data_and_refuses_tokens,
    enable_disable_need_the_tenant_secret,
    install_with_base_url_path,
    install_keys_are_cached_by_kid,
);

async fn install_stores_tenant_with_sealed_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let stored = app.tenant(&site.client_key).await.expect("tenant stored");
    assert_eq!(stored.tenant.state, TenantState::Installed);
    assert_eq!(
        stored.tenant.base_url.as_str().trim_end_matches('/'),
        site.base_url
    );
    assert_eq!(stored.tenant.product_type, "jira");
    // The secret is sealed, never stored as sent.
    assert!(stored.shared_secret.0.starts_with("v1."));
    assert!(!stored.shared_secret.0.contains(&site.shared_secret));
    for (key, sealed) in app.state.store.sealed_tenant_secrets().await.unwrap() {
        assert_eq!(key, site.client_key);
        assert!(!sealed.0.contains(&site.shared_secret));
    }
    // And the stored secret works: a token signed with it opens the panel.
    let path = "/panel?issueKey=DATA-1&issueId=10001";
    let token = app.tenant_token(&site, "GET", path, TenantToken::default());
    let resp = app.get(path, &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.cleanup().await;
}

async fn reinstall_rotates_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let first = app.tenant(&site.client_key).await.unwrap();
    let old = site.clone();
    site.shared_secret = "rotated-secret-value".into();
    site.base_url = "https://acme-renamed.atlassian.net".into();
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let second = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(first.tenant.id, second.tenant.id, "same tenant row");
    assert_ne!(first.shared_secret, second.shared_secret);
    assert_eq!(
        second.tenant.base_url.as_str(),
        "https://acme-renamed.atlassian.net/"
    );
    // Only the new secret is accepted now.
    let path = "/panel?issueKey=DATA-1&issueId=10001";
    let new_token = app.tenant_token(&site, "GET", path, TenantToken::default());
    let old_token = app.tenant_token(&old, "GET", path, TenantToken::default());
    let get = |t: String| {
        app.http
            .get(app.url(path))
            .header("Authorization", format!("JWT {t}"))
            .send()
    };
    assert_eq!(get(new_token).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        get(old_token).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}

async fn forged_installs_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let before = app.tenant(&site.client_key).await.unwrap();

    // An attacker tries to re-install the same clientKey with their own secret and URL.
    let mut evil = site.clone();
    evil.shared_secret = "attacker-secret".into();
    evil.base_url = "https://attacker.atlassian.net".into();
    let other_tenant = Site::new("other");
    let path = app.wire_path("/lifecycle/installed");
    let cases: Vec<(&str, InstallToken)> = vec![
        (
            "signed with the wrong key",
            InstallToken {
                key: Some(OTHER_KEY),
                ..Default::default()
            },
        ),
        (
            "wrong audience",
            InstallToken {
                aud: Some("https://someone-else.example.com".into()),
                ..Default::default()
            },
        ),
        (
            "qsh of another request",
            InstallToken {
                qsh: Some(clearance::host::connect::qsh::query_string_hash(
                    "POST",
                    "/lifecycle/uninstalled",
                    "",
                    "",
                )),
                ..Default::default()
            },
        ),
        (
            "context qsh",
            InstallToken {
                qsh: Some("context-qsh".into()),
                ..Default::default()
            },
        ),
        (
            "no qsh",
            InstallToken {
                no_qsh: true,
                ..Default::default()
            },
        ),
        (
            "iss is another clientKey",
            InstallToken {
                iss: Some(other_tenant.client_key.clone()),
                ..Default::default()
            },
        ),
        (
            "unknown kid",
            InstallToken {
                kid: Some("11111111-2222-4333-8444-555555555555".into()),
                ..Default::default()
            },
        ),
        (
            "kid with a path",
            InstallToken {
                kid: Some("../other".into()),
                ..Default::default()
            },
        ),
        (
            "expired",
            InstallToken {
                expired: true,
                ..Default::default()
            },
        ),
    ];
    for (what, forge) in cases {
        let token = app.install_token(&evil, "installed", forge);
        let status = app
            .lifecycle("installed", Some(&token), &install_body(&evil, "installed"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} (path {path})");
        let after = app.tenant(&site.client_key).await.unwrap();
        assert_eq!(
            after.shared_secret, before.shared_secret,
            "{what}: secret changed"
        );
        assert_eq!(
            after.tenant.base_url, before.tenant.base_url,
            "{what}: baseUrl changed"
        );
        assert_eq!(
            after.tenant.updated_at, before.tenant.updated_at,
            "{what}: row touched"
        );
    }

    // HS256 token signed with the tenant's own (current) secret is not an install token either.
    let hs = app.tenant_token(
        &site,
        "POST",
        "/lifecycle/installed",
        TenantToken::default(),
    );
    assert_eq!(
        app.lifecycle("installed", Some(&hs), &install_body(&evil, "installed"))
            .await,
        StatusCode::UNAUTHORIZED
    );
    // alg none.
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&json!({"iss": site.client_key, "exp": 9_999_999_999u64, "qsh": "x"}).to_string())
    );
    assert_eq!(
        app.lifecycle("installed", Some(&none), &install_body(&evil, "installed"))
            .await,
        StatusCode::UNAUTHORIZED
    );
    // No token at all.
    assert_eq!(
        app.lifecycle("installed", None, &install_body(&evil, "installed"))
            .await,
        StatusCode::UNAUTHORIZED
    );
    // A valid token for one clientKey cannot install a body with another clientKey.
    let token_for_other = app.install_token(&other_tenant, "installed", InstallToken::default());
    assert_eq!(
        app.lifecycle(
            "installed",
            Some(&token_for_other),
            &install_body(&evil, "installed")
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        app.tenant(&other_tenant.client_key).await.is_none(),
        "no row for the other clientKey"
    );

    let after = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(after.shared_secret, before.shared_secret);
    app.cleanup().await;
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

async fn key_server_down_refuses_install(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            key_server_down: true,
            ..Default::default()
        },
    )
    .await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::UNAUTHORIZED);
    assert!(app.tenant(&site.client_key).await.is_none());

    // A tenant stored earlier (while the key server answered) is not changed by an install that cannot be verified.
    let known = Site::new("known");
    let keys = app.state.cfg.master_keys.clone().unwrap();
    let sealed = |s: &Site| {
        SealedSecret(keys.seal(
            &clearance::crypto::tenant_secret_context(&s.client_key),
            &s.shared_secret,
        ))
    };
    app.state
        .store
        .upsert_installed_tenant(&InstallRecord {
            client_key: known.client_key.clone(),
            shared_secret: sealed(&known),
            base_url: known.base_url.parse().unwrap(),
            display_url: known.base_url.parse().unwrap(),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .unwrap();
    let before = app.tenant(&known.client_key).await.unwrap();
    let mut evil = known.clone();
    evil.shared_secret = "attacker".into();
    assert_eq!(app.install(&evil).await, StatusCode::UNAUTHORIZED);
    let after = app.tenant(&known.client_key).await.unwrap();
    assert_eq!(after.shared_secret, before.shared_secret);
    assert_eq!(after.tenant.updated_at, before.tenant.updated_at);
    app.cleanup().await;
}

async fn disallowed_hosts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for base in [
        "https://evil.example.com",
        "http://acme.atlassian.net",
        "https://169.254.169.254",
        "https://atlassian.net",
        "https://acme.atlassian.net.evil.com",
        "https://user:pw@acme.atlassian.net",
        "not a url",
    ] {
        let mut site = Site::new("acme");
        site.base_url = base.into();
        let status = app.install(&site).await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
            "{base}: {status}"
        );
        assert!(
            app.tenant(&site.client_key).await.is_none(),
            "{base} stored"
        );
    }
    // A correctly signed re-install that moves an existing tenant to a disallowed host changes nothing.
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let before = app.tenant(&site.client_key).await.unwrap();
    let mut moved = site.clone();
    moved.base_url = "https://internal.example.com".into();
    moved.shared_secret = "new".into();
    assert_eq!(app.install(&moved).await, StatusCode::UNAUTHORIZED);
    let after = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(after.tenant.base_url, before.tenant.base_url);
    assert_eq!(after.shared_secret, before.shared_secret);
    app.cleanup().await;
}

async fn malformed_bodies_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let before = app.tenant(&site.client_key).await.unwrap();
    let token = app.install_token(&site, "installed", InstallToken::default());
    let mut wrong_event = install_body(&site, "installed");
    wrong_event["eventType"] = json!("uninstalled");
    let mut wrong_app = install_body(&site, "installed");
    wrong_app["key"] = json!("someone.elses.app");
    let mut no_secret = install_body(&site, "installed");
    no_secret.as_object_mut().unwrap().remove("sharedSecret");
    for (what, body) in [
        ("not an object", json!("installed")),
        ("missing fields", json!({"clientKey": site.client_key})),
        ("wrong eventType", wrong_event),
        ("other app key", wrong_app),
        ("no shared secret", no_secret),
    ] {
        assert_eq!(
            app.lifecycle("installed", Some(&token), &body).await,
            StatusCode::BAD_REQUEST,
            "{what}"
        );
    }
    // Not JSON at all, and too large.
    let resp = app
        .http
        .post(app.url("/lifecycle/installed"))
        .header("Authorization", format!("JWT {token}"))
        .header("Content-Type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .http
        .post(app.url("/lifecycle/installed"))
        .header("Authorization", format!("JWT {token}"))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let after = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(after.shared_secret, before.shared_secret);
    assert_eq!(after.tenant.updated_at, before.tenant.updated_at);
    app.cleanup().await;
}

async fn uninstall_keeps_data_and_refuses_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);

    // Forged uninstall (wrong key) does nothing.
    let forged = app.install_token(
        &site,
        "uninstalled",
        InstallToken {
            key: Some(OTHER_KEY),
            ..Default::default()
        },
    );
    assert_eq!(
        app.lifecycle(
            "uninstalled",
            Some(&forged),
            &install_body(&site, "uninstalled")
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.tenant(&site.client_key).await.unwrap().tenant.state,
        TenantState::Installed
    );

    let token = app.install_token(&site, "uninstalled", InstallToken::default());
    assert_eq!(
        app.lifecycle(
            "uninstalled",
            Some(&token),
            &install_body(&site, "uninstalled")
        )
        .await,
        StatusCode::NO_CONTENT
    );
    let stored = app.tenant(&site.client_key).await.expect("data kept");
    assert_eq!(stored.tenant.state, TenantState::Uninstalled);
    assert!(stored.tenant.uninstalled_at.is_some());

    let path = "/panel?issueKey=DATA-1&issueId=10001";
    let t = app.tenant_token(&site, "GET", path, TenantToken::default());
    let resp = app.get(path, &t).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // `disabled` racing after `uninstalled` does not resurrect the tenant; `enabled` is refused.
    let d = app.tenant_token(&site, "POST", "/lifecycle/disabled", TenantToken::default());
    assert_eq!(
        app.lifecycle("disabled", Some(&d), &install_body(&site, "disabled"))
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.tenant(&site.client_key).await.unwrap().tenant.state,
        TenantState::Uninstalled
    );
    let e = app.tenant_token(&site, "POST", "/lifecycle/enabled", TenantToken::default());
    assert_eq!(
        app.lifecycle("enabled", Some(&e), &install_body(&site, "enabled"))
            .await,
        StatusCode::UNAUTHORIZED
    );

    // Re-install brings it back.
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let back = app.tenant(&site.client_key).await.unwrap();
    assert_eq!(back.tenant.state, TenantState::Installed);
    assert!(back.tenant.uninstalled_at.is_none());
    app.cleanup().await;
}

async fn enable_disable_need_the_tenant_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    let other = Site::new("other");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    assert_eq!(app.install(&other).await, StatusCode::NO_CONTENT);
    let token = |event: &str, t: TenantToken| {
        app.tenant_token(&site, "POST", &format!("/lifecycle/{event}"), t)
    };

    let cases = [
        (
            "wrong secret",
            token(
                "enabled",
                TenantToken {
                    secret: Some("nope".into()),
                    ..Default::default()
                },
            ),
        ),
        ("qsh of disabled", token("disabled", TenantToken::default())),
        (
            "context token",
            token(
                "enabled",
                TenantToken {
                    context: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "expired",
            token(
                "enabled",
                TenantToken {
                    expired: true,
                    ..Default::default()
                },
            ),
        ),
        (
            "other tenant's token",
            app.tenant_token(&other, "POST", "/lifecycle/enabled", TenantToken::default()),
        ),
    ];
    for (what, t) in cases {
        assert_eq!(
            app.lifecycle("enabled", Some(&t), &install_body(&site, "enabled"))
                .await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
        assert_eq!(
            app.tenant(&site.client_key).await.unwrap().tenant.state,
            TenantState::Installed,
            "{what}"
        );
    }
    let ok = token("enabled", TenantToken::default());
    assert_eq!(
        app.lifecycle("enabled", Some(&ok), &install_body(&site, "enabled"))
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.tenant(&site.client_key).await.unwrap().tenant.state,
        TenantState::Enabled
    );

    let off = token("disabled", TenantToken::default());
    assert_eq!(
        app.lifecycle("disabled", Some(&off), &install_body(&site, "disabled"))
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.tenant(&site.client_key).await.unwrap().tenant.state,
        TenantState::Disabled
    );
    // A disabled tenant's iframe tokens are refused; the other tenant is unaffected.
    let path = "/panel?issueKey=DATA-1&issueId=10001";
    let t = app.tenant_token(&site, "GET", path, TenantToken::default());
    let resp = app.get(path, &t).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.tenant(&other.client_key).await.unwrap().tenant.state,
        TenantState::Installed
    );
    app.cleanup().await;
}

async fn install_with_base_url_path(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            base_path: "/clearance".into(),
            ..Default::default()
        },
    )
    .await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    // aud with a trailing slash is accepted too.
    let mut resite = site.clone();
    resite.shared_secret = "second".into();
    let token = app.install_token(
        &resite,
        "installed",
        InstallToken {
            aud: Some(format!("{}/", app.base_url)),
            ..Default::default()
        },
    );
    assert_eq!(
        app.lifecycle(
            "installed",
            Some(&token),
            &install_body(&resite, "installed")
        )
        .await,
        StatusCode::NO_CONTENT
    );
    let path = "/panel?issueKey=DATA-1&issueId=10001&projectKey=DATA";
    let t = app.tenant_token(&resite, "GET", path, TenantToken::default());
    let resp = app.get(path, &t).await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.cleanup().await;
}

async fn install_keys_are_cached_by_kid(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in ["a", "b", "c"] {
        assert_eq!(app.install(&Site::new(name)).await, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        *app.key_requests.lock().unwrap(),
        vec![crate::helpers::GOOD_KID.to_string()],
        "fetched once"
    );
    // Unknown kids are asked for (and not cached); kids that could change the fetched path never reach the server.
    let site = Site::new("d");
    let unknown = "11111111-2222-4333-8444-555555555555";
    for kid in [unknown, unknown, "../../etc/passwd", "a/b", "x?y=1"] {
        let token = app.install_token(
            &site,
            "installed",
            InstallToken {
                kid: Some(kid.into()),
                ..Default::default()
            },
        );
        assert_eq!(
            app.lifecycle("installed", Some(&token), &install_body(&site, "installed"))
                .await,
            StatusCode::UNAUTHORIZED
        );
    }
    let seen = app.key_requests.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            crate::helpers::GOOD_KID.to_string(),
            unknown.to_string(),
            unknown.to_string()
        ]
    );
    app.cleanup().await;
}
