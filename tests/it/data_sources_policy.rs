//! The deployment's source policy, tried as a hostile site admin would: files on Clearance's host, ports on its
//! loopback, cloud metadata, URL parameters that move the host, names that resolve to loopback — each refused with
//! the same words, so the answers tell nothing about what is there; and a stored source is checked again when used.

use clearance::{
    extract::source_policy::{NOT_ALLOWED, SourcePolicy},
    sources::{self, SourceInput},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Api;
use crate::{helpers::Backend, on_each_backend};

on_each_backend!(
    oracles_answer_alike,
    sources_that_reach_the_host_are_refused,
    a_stored_source_is_checked_again_when_used,
    sqlite_only_inside_the_operators_folders,
);

/// An app with the default policy (what `serve` has), plus one SQLite folder.
async fn api(backend: Backend, sqlite_dir: &str) -> Api {
    Api::start_with(
        backend,
        vec![
            (
                "source_deny",
                "loopback,link-local,own-database-server".to_string(),
            ),
            ("source_sqlite_dirs", sqlite_dir.to_string()),
        ],
    )
    .await
}

/// `POST /api/admin/sources/test` of an unsaved source: the answer's problem and message.
async fn test_unsaved(api: &Api, kind: &str, url: &str) -> (Value, Value) {
    let body = json!({"kind": kind, "url": url, "environment": "staging"});
    let (status, answer) = api
        .admin("POST", "/api/admin/sources/test", Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{url}: {answer}");
    (answer["problem"].clone(), answer["message"].clone())
}

fn refused() -> (Value, Value) {
    (json!("not_allowed"), json!(NOT_ALLOWED))
}

async fn oracles_answer_alike(backend: Backend) {
    let api = api(backend, "").await;
    // A file that exists and one that does not.
    for url in ["sqlite:///etc/passwd", "sqlite:///no/such/file.db"] {
        assert_eq!(test_unsaved(&api, "sqlite", url).await, refused(), "{url}");
    }
    // A port with a non-database service, one with nothing, one with PostgreSQL.
    for port in [22, 1, 5432] {
        let url = format!("postgres://postgres@127.0.0.1:{port}/test");
        assert_eq!(
            test_unsaved(&api, "postgres", &url).await,
            refused(),
            "{url}"
        );
    }
    api.app.cleanup().await;
}

async fn sources_that_reach_the_host_are_refused(backend: Backend) {
    let api = api(backend, "").await;
    for (kind, url) in [
        ("postgres", "postgres://u:p@localhost:5432/test"),
        ("postgres", "postgres://u:p@[::1]:5432/test"),
        ("postgres", "postgres://u:p@0.0.0.0:5432/test"),
        ("postgres", "postgres://u:p@169.254.169.254/latest"),
        ("postgres", "postgres://u:p@10.255.255.1/wh?host=127.0.0.1"),
        (
            "postgres",
            "postgres://u:p@10.255.255.1/wh?hostaddr=127.0.0.1",
        ),
        (
            "postgres",
            "postgres://u:p@10.255.255.1/wh?host=/var/run/postgresql",
        ),
        ("mysql", "mysql://root@127.0.0.1:3306/test"),
        ("mysql", "mysql://root@localhost/test"),
    ] {
        assert_eq!(test_unsaved(&api, kind, url).await, refused(), "{url}");
        // Nor can it be saved, staging or not.
        let body = json!({"kind": kind, "url": url, "environment": "staging", "allowedProjects": ["DATA"]});
        let (status, answer) = api
            .admin("PUT", "/api/admin/sources/probe", Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {answer}");
        assert_eq!(answer["error"], json!(format!("url: {NOT_ALLOWED}")));
        assert!(api.stored("probe").await.is_none());
    }
    // Clearance's own database, however its URL is spelled.
    let own = api.app.database_url.clone();
    let kind = if own.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(test_unsaved(&api, kind, &own).await, refused(), "{own}");
    api.app.cleanup().await;
}

async fn a_stored_source_is_checked_again_when_used(backend: Backend) {
    let api = api(backend, "").await;
    // Stored around the API (as a source saved under a wider policy, or a name that resolved elsewhere then).
    let url = std::env::var("CLEARANCE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let input = SourceInput::from_json(
        json!({"kind": "postgres", "url": url, "environment": "staging", "allowedProjects": ["DATA"]})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    sources::put(
        &api.app.state.store,
        &api.keys(),
        &SourcePolicy::operator(),
        &api.tenant,
        "admin",
        "old",
        input,
    )
    .await
    .unwrap();
    let (status, answer) = api.admin("POST", "/api/admin/sources/old/test", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (answer["problem"].clone(), answer["message"].clone()),
        refused()
    );
    api.app.cleanup().await;
}

async fn sqlite_only_inside_the_operators_folders(backend: Backend) {
    let allowed = tempfile::tempdir().unwrap();
    let dir = allowed.path().canonicalize().unwrap();
    let file = dir.join("wh.db");
    super::probe::sqlite_file(&file).await;
    let api = api(backend, &dir.display().to_string()).await;
    let inside = format!("sqlite://{}", file.display());
    let (status, answer) = api
        .admin(
            "POST",
            "/api/admin/sources/test",
            Some(json!({"kind": "sqlite", "url": inside, "environment": "production"})),
        )
        .await;
    assert_eq!(
        (status, answer["ok"].clone()),
        (StatusCode::OK, json!(true)),
        "{answer}"
    );
    for url in [
        format!("sqlite://{}/../../etc/passwd", dir.display()),
        "sqlite:///etc/passwd".to_owned(),
    ] {
        assert_eq!(test_unsaved(&api, "sqlite", &url).await, refused(), "{url}");
    }
    api.app.cleanup().await;
}
