//! The erasure salt is sealed at rest, bound to its tenant, and never replaced: concurrent first uses agree on one
//! salt; a salt stored in clear before salts were sealed keeps its value (so recorded subjects stay findable) and is
//! sealed on first use or by `clearance rotate-key`; a salt that cannot be opened is reported, never remade.

use aws_lc_rs::hmac;
use clearance::{
    crypto::{MasterKeys, erasure_salt_context},
    delivery::erasure_key::{erasure_key, existing_erasure_key, subject_hash},
    rotation::reseal_all,
    store::{Store, StoredSalt},
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::{
    data_sources::sealed::raw_sql,
    helpers::{Backend, Site, TestApp},
    on_each_backend,
};

on_each_backend!(
    the_salt_is_sealed_and_bound_to_its_tenant,
    concurrent_first_uses_agree_on_one_salt,
    a_clear_salt_keeps_its_value_and_is_sealed,
);

/// A salt as written before salts were sealed (the passphrase alphabet, in groups).
const CLEAR: &str = "k7qm-x2ph-9tzr-c4wd-j8nf-v3bs";

async fn tenant(app: &TestApp, name: &str) -> String {
    let site = Site::new(name);
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    app.tenant(&site.client_key).await.unwrap().tenant.id
}

/// Set a tenant's stored salt to `value` with plain SQL.
async fn put_salt(store: &Store, tenant_id: &str, value: &str) {
    let sql = "UPDATE tenants SET erasure_salt = $2 WHERE id = $1";
    raw_sql(store, sql, tenant_id, value).await;
}

/// The stored salt's sealed value (panics if it is in clear or missing).
async fn sealed_salt(store: &Store, tenant_id: &str) -> String {
    match store.existing_erasure_salt(tenant_id).await.unwrap() {
        Some(StoredSalt::Sealed(s)) => s.0,
        other => panic!("the erasure salt of {tenant_id} is not sealed: {other:?}"),
    }
}

/// The hash of "4711" under a salt.
fn hash_under(salt: &str) -> String {
    subject_hash(&hmac::Key::new(hmac::HMAC_SHA256, salt.as_bytes()), "4711")
}

async fn the_salt_is_sealed_and_bound_to_its_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let keys = MasterKeys::parse(&app.master_key, &[]).unwrap();
    let (a, b) = (tenant(&app, "a").await, tenant(&app, "b").await);
    assert!(
        existing_erasure_key(store, &keys, &a)
            .await
            .unwrap()
            .is_none()
    );
    let first = subject_hash(&erasure_key(store, &keys, &a).await.unwrap(), "4711");
    let sealed = sealed_salt(store, &a).await;
    let salt = keys.open(&erasure_salt_context(&a), &sealed).unwrap();
    assert_eq!(
        first,
        hash_under(salt.expose_secret()),
        "the stored salt keys the hashes"
    );
    let again = existing_erasure_key(store, &keys, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subject_hash(&again, "4711"), first);
    assert_eq!(
        sealed_salt(store, &a).await,
        sealed,
        "a sealed salt is left as it is"
    );

    // Copied onto another tenant, it does not open; the error says so, and nothing is remade in its place.
    put_salt(store, &b, &sealed).await;
    let err = existing_erasure_key(store, &keys, &b).await.unwrap_err();
    assert!(err.to_string().contains("erasure salt"), "{err}");
    assert!(erasure_key(store, &keys, &b).await.is_err());
    assert_eq!(sealed_salt(store, &b).await, sealed, "never replaced");
    app.cleanup().await;
}

async fn concurrent_first_uses_agree_on_one_salt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let keys = MasterKeys::parse(&app.master_key, &[]).unwrap();
    let (fresh, clear) = (tenant(&app, "fresh").await, tenant(&app, "clear").await);
    put_salt(&app.state.store, &clear, CLEAR).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, keys) = (app.state.store.clone(), keys.clone());
        let (fresh, clear) = (fresh.clone(), clear.clone());
        tasks.push(tokio::spawn(async move {
            let make = erasure_key(&store, &keys, &fresh).await.unwrap();
            // Half make the clear tenant's key, half only read it: both seal it in place.
            let old = if i % 2 == 0 {
                erasure_key(&store, &keys, &clear).await.unwrap()
            } else {
                existing_erasure_key(&store, &keys, &clear)
                    .await
                    .unwrap()
                    .unwrap()
            };
            (subject_hash(&make, "4711"), subject_hash(&old, "4711"))
        }));
    }
    let mut hashes = Vec::new();
    for t in tasks {
        hashes.push(t.await.unwrap());
    }
    let store = &app.state.store;
    let salt = keys
        .open(
            &erasure_salt_context(&fresh),
            &sealed_salt(store, &fresh).await,
        )
        .unwrap();
    let stored = (hash_under(salt.expose_secret()), hash_under(CLEAR));
    assert!(
        hashes.iter().all(|h| *h == stored),
        "{hashes:?} vs {stored:?}"
    );
    let sealed = sealed_salt(store, &clear).await;
    let opened = keys.open(&erasure_salt_context(&clear), &sealed).unwrap();
    assert_eq!(opened.expose_secret(), CLEAR);
    app.cleanup().await;
}

async fn a_clear_salt_keeps_its_value_and_is_sealed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let old = MasterKeys::parse(&app.master_key, &[]).unwrap();
    let (used, idle) = (tenant(&app, "used").await, tenant(&app, "idle").await);
    put_salt(store, &used, CLEAR).await;
    put_salt(store, &idle, CLEAR).await;

    // First use: the hash a subject was recorded under before still comes out; the salt is now sealed.
    let key = existing_erasure_key(store, &old, &used)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subject_hash(&key, "4711"), hash_under(CLEAR));
    let sealed = sealed_salt(store, &used).await;
    assert!(!sealed.contains(CLEAR));
    let opened = old.open(&erasure_salt_context(&used), &sealed).unwrap();
    assert_eq!(opened.expose_secret(), CLEAR);

    // Rotation seals the one never used, and re-seals the other, both to the same salt.
    let (both, only_new) = app.rotated_keys();
    let report = reseal_all(store, &both).await.unwrap();
    assert_eq!((report.sealed_clear, report.raced), (1, 0), "{report:?}");
    for t in [&used, &idle] {
        let sealed = sealed_salt(store, t).await;
        assert!(only_new.is_current(&sealed));
        let opened = only_new.open(&erasure_salt_context(t), &sealed).unwrap();
        assert_eq!(opened.expose_secret(), CLEAR);
        let key = existing_erasure_key(store, &only_new, t)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(subject_hash(&key, "4711"), hash_under(CLEAR));
    }
    // Nothing left to do.
    let again = reseal_all(store, &both).await.unwrap();
    assert_eq!((again.resealed, again.sealed_clear), (0, 0));
    app.cleanup().await;
}
