//! Secrets at rest under rotating master keys: rotation re-seals everything, old keys stop being needed, and a
//! value that cannot be opened aborts the rotation without writing anything.

use clearance::{
    crypto::MasterKeys,
    rotation::{RotationReport, reseal_all},
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::{
    helpers::{Backend, Site, TenantToken, TestApp},
    on_each_backend,
};

on_each_backend!(
    rotation_reseals_every_secret,
    rotation_without_old_key_writes_nothing
);

async fn rotation_reseals_every_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sites = [Site::new("a"), Site::new("b"), Site::new("c")];
    for s in &sites {
        assert_eq!(app.install(s).await, StatusCode::NO_CONTENT);
    }
    let new_key = MasterKeys::generate();
    let keys = MasterKeys::parse(
        new_key.expose_secret(),
        std::slice::from_ref(&app.master_key),
    )
    .unwrap();
    let report = reseal_all(&app.state.store, &keys).await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            resealed: 3,
            sealed_clear: 0,
            current: 0,
            raced: 0
        }
    );
    // Idempotent.
    assert_eq!(
        reseal_all(&app.state.store, &keys).await.unwrap(),
        RotationReport {
            resealed: 0,
            sealed_clear: 0,
            current: 3,
            raced: 0
        }
    );

    // Every value now opens with the new key alone, and decrypts to the secret Jira sent.
    let only_new = MasterKeys::parse(new_key.expose_secret(), &[]).unwrap();
    for s in &sites {
        let stored = app.tenant(&s.client_key).await.unwrap();
        assert!(only_new.is_current(&stored.shared_secret.0));
        let context = clearance::crypto::tenant_secret_context(&s.client_key);
        assert_eq!(
            only_new
                .open(&context, &stored.shared_secret.0)
                .unwrap()
                .expose_secret(),
            s.shared_secret
        );
    }
    // The running app still has only the old key: it can no longer open the secrets, and says so with a 500
    // (our fault), not a 401 that would blame Jira.
    let path = "/api/panel/context";
    let t = app.tenant_token(
        &sites[0],
        "GET",
        path,
        TenantToken {
            context: true,
            ..Default::default()
        },
    );
    let resp = app.get(path, &t).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    app.cleanup().await;
}

async fn rotation_without_old_key_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("a");
    app.install(&site).await;
    let before = app.state.store.sealed_tenant_secrets().await.unwrap();
    let keys = MasterKeys::parse(MasterKeys::generate().expose_secret(), &[]).unwrap();
    let err = reseal_all(&app.state.store, &keys).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("CLEARANCE_PREVIOUS_MASTER_KEYS"),
        "{err:#}"
    );
    assert_eq!(
        app.state.store.sealed_tenant_secrets().await.unwrap(),
        before
    );
    app.cleanup().await;
}
