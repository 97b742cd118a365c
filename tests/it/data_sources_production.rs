//! Saving a production source runs its connection test, through the admin API: a superuser / root account, an
//! account holding a power beyond reading (pg_read_server_files, FILE) and an unreachable server are refused with
//! what the test found, nothing stored and nothing audited; the same URL saves as staging; switching a stored source
//! to production (or changing anything of a production source) tests it again with its stored URL; a read-only
//! account saves, audited as tested.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection};

use super::{
    Api,
    powers::{drop_pg_role, mysql_reader, pg_reader},
};
use crate::{
    helpers::{Backend, dead_address},
    on_each_backend,
    sandbox_warehouse::Db,
};

on_each_backend!(
    production_sqlite_and_unreachable_sources,
    production_postgres_sources_must_be_read_only,
    production_mariadb_sources_must_be_read_only,
);

const ROLE_PASSWORD: &str = "ro-Secret-1";

async fn put(api: &Api, name: &str, body: Value) -> (StatusCode, Value) {
    let (status, text) = api
        .call(
            clearance_sandbox::jira::people::ADMIN,
            "PUT",
            &format!("/api/admin/sources/{name}"),
            Some(body),
        )
        .await;
    assert!(!text.contains(ROLE_PASSWORD), "{text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The save is refused as unprocessable, naming the problem code and `words`; nothing new is stored or audited.
async fn refused(api: &Api, name: &str, body: Value, code: &str, words: &str) {
    let before = (api.stored(name).await, api.audit_actions().await.len());
    let (status, answer) = put(api, name, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let m = answer["error"].as_str().unwrap_or_default();
    assert!(
        m.starts_with("url: the connection test of this production source failed"),
        "{m}"
    );
    assert!(m.contains(&format!("({code})")) && m.contains(words), "{m}");
    assert_eq!(
        (api.stored(name).await, api.audit_actions().await.len()),
        before
    );
}

async fn saved(api: &Api, name: &str, body: Value, tested: bool) {
    let (status, answer) = put(api, name, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (action, _, detail) = api.audit_actions().await.pop().unwrap();
    assert!(action.starts_with("source."), "{action}");
    assert!(
        detail.contains(&format!("\"connectionTested\":{tested}")),
        "{detail}"
    );
}

fn source(kind: &str, url: &str, environment: &str) -> Value {
    json!({"kind": kind, "url": url, "environment": environment, "allowedProjects": ["DATA"]})
}

async fn production_sqlite_and_unreachable_sources(backend: Backend) {
    let api = Api::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wh.db");
    super::probe::sqlite_file(&file).await;
    let url = format!("sqlite://{}", file.display());
    saved(&api, "lite", source("sqlite", &url, "production"), true).await;

    let dead = format!(
        "postgres://reader:{ROLE_PASSWORD}@{}/wh",
        dead_address().await
    );
    refused(
        &api,
        "gone",
        source("postgres", &dead, "production"),
        "unreachable",
        "could not connect",
    )
    .await;
    saved(&api, "gone", source("postgres", &dead, "staging"), false).await;
    // Switched to production with the stored URL: tested, refused, left as it was.
    refused(
        &api,
        "gone",
        json!({"environment": "production"}),
        "unreachable",
        "could not connect",
    )
    .await;
    assert_eq!(
        api.stored("gone").await.unwrap().environment,
        clearance::sources::Environment::Staging
    );
    api.app.cleanup().await;
}

async fn production_postgres_sources_must_be_read_only(backend: Backend) {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let (admin, name) = match &db {
        Db::Postgres { admin, name } => (admin.clone(), name.clone()),
        _ => unreachable!(),
    };
    let api = Api::start(backend).await;
    let superuser = db.url();
    refused(
        &api,
        "wh",
        source("postgres", &superuser, "production"),
        "not_read_only",
        "superuser",
    )
    .await;
    saved(&api, "wh", source("postgres", &superuser, "staging"), false).await;
    refused(
        &api,
        "wh",
        json!({"environment": "production"}),
        "not_read_only",
        "superuser",
    )
    .await;

    let mut c = PgConnection::connect(&superuser).await.unwrap();
    let (reader, role) = pg_reader(&mut c, &superuser, &name).await;
    saved(
        &api,
        "wh",
        json!({"url": reader, "environment": "production"}),
        true,
    )
    .await;
    c.execute(AssertSqlSafe(format!(
        "GRANT pg_read_server_files TO {role}"
    )))
    .await
    .unwrap();
    // Any change to a production source tests it again, with the stored URL.
    refused(
        &api,
        "wh",
        json!({"maxRows": 5}),
        "not_read_only",
        "pg_read_server_files",
    )
    .await;
    c.execute(AssertSqlSafe(format!(
        "REVOKE pg_read_server_files FROM {role}"
    )))
    .await
    .unwrap();
    saved(&api, "wh", json!({"maxRows": 5}), true).await;
    assert_eq!(api.stored("wh").await.unwrap().max_rows, 5);
    c.close().await.unwrap();
    api.app.cleanup().await;
    db.drop().await;
    drop_pg_role(&admin, &role).await;
}

async fn production_mariadb_sources_must_be_read_only(backend: Backend) {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let name = match &db {
        Db::MySql { name, .. } => name.clone(),
        _ => unreachable!(),
    };
    let api = Api::start(backend).await;
    let root = db.url();
    refused(
        &api,
        "wh",
        source("mysql", &root, "production"),
        "not_read_only",
        "ALL PRIVILEGES on *.*",
    )
    .await;
    let mut c = MySqlConnection::connect(&root).await.unwrap();
    let (reader, user) = mysql_reader(&mut c, &root, &name).await;
    c.execute(AssertSqlSafe(format!("GRANT FILE ON *.* TO {user}")))
        .await
        .unwrap();
    refused(
        &api,
        "wh",
        source("mysql", &reader, "production"),
        "not_read_only",
        "FILE on *.*",
    )
    .await;
    c.execute(AssertSqlSafe(format!("REVOKE FILE ON *.* FROM {user}")))
        .await
        .unwrap();
    saved(&api, "wh", source("mysql", &reader, "production"), true).await;
    c.execute(AssertSqlSafe(format!("DROP USER {user}")))
        .await
        .unwrap();
    c.close().await.unwrap();
    api.app.cleanup().await;
    db.drop().await;
}
