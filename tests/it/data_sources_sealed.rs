//! Sealed source URLs: bound to their row (a value copied onto another row does not open, and the API says which
//! source is broken and how to repair it), resolved only for allowed Jira projects with a redacting `Debug`, and
//! re-sealed by key rotation.

use clearance::{
    crypto::MasterKeys,
    rotation::reseal_all,
    sources::{self, SourcesError},
    store::Store,
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Api, PASSWORD, pg_source};
use crate::{helpers::Backend, on_each_backend};

on_each_backend!(
    sealed_urls_are_bound_to_their_row,
    sources_are_resolved_per_project,
    rotation_reseals_source_urls,
);

/// Run one statement on the app's own database.
pub(crate) async fn raw_sql(store: &Store, sql: &str, a: &str, b: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match store {
        Store::Sqlite(pool, _) => sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

async fn sealed_urls_are_bound_to_their_row(backend: Backend) {
    let api = Api::start(backend).await;
    for name in ["a", "b"] {
        let (status, _) = api
            .admin(
                "PUT",
                &format!("/api/admin/sources/{name}"),
                Some(pg_source()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (a, b) = (
        api.stored("a").await.unwrap(),
        api.stored("b").await.unwrap(),
    );
    assert!(!a.url_sealed.0.contains(PASSWORD) && !a.url_sealed.0.contains("reader"));
    assert_ne!(a.url_sealed, b.url_sealed);
    let keys = api.keys();
    let store = &api.app.state.store;
    sources::resolve(store, &keys, &api.tenant, "b", "DATA")
        .await
        .unwrap();

    // b's row carrying a's sealed URL (same tenant, same plaintext) does not open.
    raw_sql(
        store,
        "UPDATE data_sources SET url_sealed = $1 WHERE id = $2",
        &a.url_sealed.0,
        &b.id,
    )
    .await;
    let err = sources::resolve(store, &keys, &api.tenant, "b", "DATA")
        .await
        .unwrap_err();
    assert!(matches!(err, SourcesError::Sealed { .. }), "{err:?}");
    assert!(
        err.to_string().contains("moved from another record"),
        "{err}"
    );
    sources::resolve(store, &keys, &api.tenant, "a", "DATA")
        .await
        .unwrap();
    // The list still answers and says which source is broken; a new URL repairs it.
    let (status, body) = api.admin("GET", "/api/admin/sources", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sources"][1]["url"], Value::Null, "{body}");
    assert!(
        body["sources"][1]["urlProblem"]
            .as_str()
            .unwrap()
            .contains("cannot be opened")
    );
    let (status, body) = api
        .admin("PUT", "/api/admin/sources/b", Some(json!({"maxRows": 3})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("send the url again"),
        "{body}"
    );
    let (status, _) = api
        .admin("PUT", "/api/admin/sources/b", Some(pg_source()))
        .await;
    assert_eq!(status, StatusCode::OK);
    sources::resolve(store, &keys, &api.tenant, "b", "DATA")
        .await
        .unwrap();
    api.app.cleanup().await;
}

async fn sources_are_resolved_per_project(backend: Backend) {
    let api = Api::start(backend).await;
    let (status, _) = api
        .admin("PUT", "/api/admin/sources/wh", Some(pg_source()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (keys, store) = (api.keys(), &api.app.state.store);
    let source = sources::resolve(store, &keys, &api.tenant, "wh", "FIN")
        .await
        .unwrap();
    assert!(source.url.expose_secret().contains(PASSWORD));
    assert_eq!(
        (source.max_rows, source.statement_timeout.as_secs()),
        (5000, 60)
    );
    let debug = format!("{source:?}");
    assert!(
        !debug.contains(PASSWORD) && debug.contains("reader:***@db.internal"),
        "{debug}"
    );

    let err = sources::resolve(store, &keys, &api.tenant, "wh", "HR")
        .await
        .unwrap_err();
    assert!(matches!(err, SourcesError::NotAllowed(_)), "{err:?}");
    assert!(err.to_string().contains("project HR"), "{err}");
    let err = sources::resolve(store, &keys, &api.tenant, "nope", "FIN")
        .await
        .unwrap_err();
    assert!(matches!(err, SourcesError::NotFound(_)), "{err:?}");
    // Another tenant's id sees nothing.
    let err = sources::resolve(store, &keys, "another-tenant", "wh", "FIN")
        .await
        .unwrap_err();
    assert!(matches!(err, SourcesError::NotFound(_)), "{err:?}");
    api.app.cleanup().await;
}

async fn rotation_reseals_source_urls(backend: Backend) {
    let api = Api::start(backend).await;
    for name in ["a", "b"] {
        let (status, _) = api
            .admin(
                "PUT",
                &format!("/api/admin/sources/{name}"),
                Some(pg_source()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let new_key = MasterKeys::generate();
    let both = MasterKeys::parse(
        new_key.expose_secret(),
        std::slice::from_ref(&api.app.master_key),
    )
    .unwrap();
    let report = reseal_all(&api.app.state.store, &both).await.unwrap();
    assert_eq!(
        (report.resealed, report.current, report.raced),
        (3, 0, 0),
        "one tenant secret, two URLs"
    );
    let only_new = MasterKeys::parse(new_key.expose_secret(), &[]).unwrap();
    for name in ["a", "b"] {
        assert!(only_new.is_current(&api.stored(name).await.unwrap().url_sealed.0));
        let s = sources::resolve(&api.app.state.store, &only_new, &api.tenant, name, "DATA")
            .await
            .unwrap();
        assert!(s.url.expose_secret().contains(PASSWORD));
    }
    api.app.cleanup().await;
}
