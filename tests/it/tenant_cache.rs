//! The verified-tenant cache behind every inbound token: a secret rotated by a re-install elsewhere is picked up at
//! once, lifecycle events handled here apply at once, and changes stored by another instance apply within the TTL.

use clearance::{
    crypto::tenant_secret_context,
    store::{InstallRecord, SealedSecret},
    tenant::TenantState,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{Backend, Options, Site, TenantToken, TestApp, install_body},
    on_each_backend,
};

on_each_backend!(
    secret_rotated_elsewhere_is_picked_up_at_once,
    lifecycle_events_here_apply_at_once,
    changes_stored_elsewhere_apply_within_the_ttl,
);

const PATH: &str = "/webhooks/issue-created";

/// Post one webhook delivery signed with `site`'s secret; the status Clearance answered.
async fn deliver(app: &TestApp, site: &Site) -> StatusCode {
    let token = app.tenant_token(site, "POST", PATH, TenantToken::default());
    let id = uuid::Uuid::new_v4().as_u128() % 1_000_000_000;
    app.http
        .post(app.url(PATH))
        .header("Authorization", format!("JWT {token}"))
        .header(
            "X-Atlassian-Webhook-Identifier",
            uuid::Uuid::new_v4().to_string(),
        )
        .json(&json!({"webhookEvent": "jira:issue_created", "issue": {"id": id.to_string()}}))
        .send()
        .await
        .expect("webhook request")
        .status()
}

/// What another instance does on a re-install: store the new secret (this instance hears nothing).
async fn reinstall_elsewhere(app: &TestApp, site: &Site) {
    let keys = app.state.cfg.master_keys.clone().expect("master keys");
    app.state
        .store
        .upsert_installed_tenant(&InstallRecord {
            client_key: site.client_key.clone(),
            shared_secret: SealedSecret(keys.seal(
                &tenant_secret_context(&site.client_key),
                &site.shared_secret,
            )),
            base_url: site.base_url.parse().expect("url"),
            display_url: site.base_url.parse().expect("url"),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .expect("store");
}

/// Send a lifecycle event signed the way Jira signs it.
async fn lifecycle(app: &TestApp, site: &Site, event: &str) -> StatusCode {
    let token = match event {
        "installed" | "uninstalled" => app.install_token(site, event, Default::default()),
        _ => app.tenant_token(
            site,
            "POST",
            &format!("/lifecycle/{event}"),
            TenantToken::default(),
        ),
    };
    app.lifecycle(event, Some(&token), &install_body(site, event))
        .await
}

async fn secret_rotated_elsewhere_is_picked_up_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let old = Site::new("acme");
    assert_eq!(app.install(&old).await, StatusCode::NO_CONTENT);
    // This verification puts the tenant and its (old) secret in the cache.
    assert_eq!(deliver(&app, &old).await, StatusCode::NO_CONTENT);
    let mut new = old.clone();
    new.shared_secret = "rotated-by-another-instance".into();
    reinstall_elsewhere(&app, &new).await;
    // Well within the TTL: the new secret's token fails against the cached secret, so the stored one is read again.
    assert_eq!(deliver(&app, &new).await, StatusCode::NO_CONTENT);
    // That read replaced the cached secret: the old one is refused from now on.
    assert_eq!(deliver(&app, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&app, &new).await, StatusCode::NO_CONTENT);
    app.cleanup().await;
}

async fn lifecycle_events_here_apply_at_once(backend: Backend) {
    // A TTL far longer than the test: only invalidation can make these changes visible.
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings: vec![("tenant_cache_secs", "60".into())],
            ..Default::default()
        },
    )
    .await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&app, &site).await, StatusCode::NO_CONTENT);
    assert_eq!(
        lifecycle(&app, &site, "disabled").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::UNAUTHORIZED,
        "disabled"
    );
    assert_eq!(
        lifecycle(&app, &site, "enabled").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::NO_CONTENT,
        "enabled"
    );
    assert_eq!(
        lifecycle(&app, &site, "uninstalled").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::UNAUTHORIZED,
        "uninstalled"
    );
    // A re-install with a new secret: the new one works at once and the old one is refused at once.
    let mut rotated = site.clone();
    rotated.shared_secret = "rotated-here".into();
    assert_eq!(app.install(&rotated).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&app, &rotated).await, StatusCode::NO_CONTENT);
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::UNAUTHORIZED,
        "old secret"
    );
    app.cleanup().await;
}

async fn changes_stored_elsewhere_apply_within_the_ttl(backend: Backend) {
    let ttl = std::time::Duration::from_secs(1);
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings: vec![("tenant_cache_secs", ttl.as_secs().to_string())],
            ..Default::default()
        },
    )
    .await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&app, &site).await, StatusCode::NO_CONTENT);
    // Another instance handles `disabled`; this one may go on accepting the tenant until its entry expires.
    app.state
        .store
        .set_tenant_state(&site.client_key, TenantState::Disabled)
        .await
        .expect("store");
    // Every entry read before the change is older than the TTL once this sleep ends.
    tokio::time::sleep(ttl + std::time::Duration::from_millis(200)).await;
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::UNAUTHORIZED,
        "disabled elsewhere"
    );
    app.state
        .store
        .set_tenant_state(&site.client_key, TenantState::Enabled)
        .await
        .expect("store");
    tokio::time::sleep(ttl + std::time::Duration::from_millis(200)).await;
    assert_eq!(
        deliver(&app, &site).await,
        StatusCode::NO_CONTENT,
        "enabled elsewhere"
    );
    app.cleanup().await;
}
