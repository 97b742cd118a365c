//! Side effects through the extraction engine, on the real servers. The attacks of issue 15 are real at the server
//! (a MariaDB account with FILE reads /etc/passwd with `LOAD_FILE` inside `START TRANSACTION READ ONLY`; PostgreSQL's
//! `pg_read_file` does the same for a superuser), and the engine refuses them — dry run and extraction — before it
//! contacts the server: the same SQL against an address where nothing listens gets the same refusal. And a setting
//! changed in one Clearance session (even committed) is never seen by the next: each opens its own connection.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use clearance::extract::{
    pipeline::{self, ExtractError, Progress},
    preview::{PreviewRequest, preview},
    protect::Protection,
    source::Session,
};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection};

use crate::{
    data_sources::powers::mysql_reader, extract_run, helpers::dead_address, sandbox_warehouse::Db,
};

fn preview_request(url: &str, sql: &str) -> PreviewRequest {
    PreviewRequest {
        source_url: SecretString::from(url.to_owned()),
        policy: crate::helpers::operator_policy(),
        timeout: Duration::from_secs(30),
        sql: sql.into(),
        ids: None,
        masking: BTreeMap::new(),
        scan_rows: 100,
        show_rows: 10,
        mask_flagged: true,
    }
}

/// `sql` is refused by the guard naming `name` (at line 1, column `column`) in a dry run and an extraction against
/// `url`, and in a dry run against `dead` (nothing listens there: the refusal came before any connection).
async fn refused_before_the_server(url: &str, dead: &str, sql: &str, name: &str, column: u64) {
    for target in [url, dead] {
        match preview(&preview_request(target, sql)).await {
            Err(ExtractError::Sql(r)) => {
                assert!(
                    r.message.contains(name)
                        && r.message.contains("acts outside the query's result"),
                    "{sql}: {r}"
                );
                assert_eq!(r.at, Some((1, column)), "{sql}: {r}");
            }
            other => panic!("{sql} on {target}: expected a guard refusal, got {other:?}"),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.zip.age");
    let e = pipeline::extract(
        &extract_run::request(url, sql),
        Protection::AgePassphrase(SecretString::from("a passphrase that is long enough")),
        &out,
        Arc::new(Progress::default()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, ExtractError::Sql(r) if r.message.contains(name)),
        "{sql}: {e}"
    );
    assert!(!out.exists());
}

#[tokio::test]
async fn mariadb_load_file_is_refused_before_the_server() {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let name = match &db {
        Db::MySql { name, .. } => name.clone(),
        _ => unreachable!(),
    };
    let root = db.url();
    let mut c = MySqlConnection::connect(&root).await.unwrap();
    let (reader, user) = mysql_reader(&mut c, &root, &name).await;
    c.execute(AssertSqlSafe(format!("GRANT FILE ON *.* TO {user}")))
        .await
        .unwrap();

    // The attack, sent straight to a read-only session: the server delivers the file.
    let sql = "SELECT LOAD_FILE('/etc/passwd') AS f";
    let mut s = crate::helpers::session(&reader, Duration::from_secs(5))
        .await
        .unwrap();
    let Session::MySql(conn) = &mut s else {
        unreachable!()
    };
    let file: Option<Vec<u8>> = sqlx::query_scalar(sql).fetch_one(conn).await.unwrap();
    assert!(
        String::from_utf8_lossy(&file.unwrap_or_default()).contains("root:"),
        "with FILE the server reads /etc/passwd inside START TRANSACTION READ ONLY"
    );
    s.close().await;

    let dead = format!("mysql://root@{}/{name}", dead_address().await);
    refused_before_the_server(&reader, &dead, sql, "LOAD_FILE", 8).await;
    refused_before_the_server(
        &reader,
        &dead,
        "SELECT id FROM t WHERE SLEEP(1) = 0",
        "SLEEP",
        24,
    )
    .await;
    refused_before_the_server(
        &reader,
        &dead,
        "SELECT @n := id AS n FROM t",
        "assigns a variable",
        8,
    )
    .await;

    c.execute(AssertSqlSafe(format!("DROP USER {user}")))
        .await
        .unwrap();
    c.close().await.unwrap();
    db.drop().await;
}

#[tokio::test]
async fn postgres_read_file_and_set_config_are_refused_before_the_server() {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let superuser = db.url();
    let sql = "SELECT pg_read_file('/etc/passwd') AS f";
    let mut s = crate::helpers::session(&superuser, Duration::from_secs(5))
        .await
        .unwrap();
    let Session::Postgres(conn) = &mut s else {
        unreachable!()
    };
    let file: String = sqlx::query_scalar(sql).fetch_one(conn).await.unwrap();
    assert!(
        file.contains("root:"),
        "a superuser reads server files inside BEGIN READ ONLY"
    );
    s.close().await;

    let dead = format!("postgres://postgres@{}/wh", dead_address().await);
    refused_before_the_server(&superuser, &dead, sql, "pg_read_file", 8).await;
    refused_before_the_server(
        &superuser,
        &dead,
        "SELECT set_config('statement_timeout', '0', false) AS s",
        "set_config",
        8,
    )
    .await;
    refused_before_the_server(
        &superuser,
        &dead,
        "SELECT 1 AS x WHERE pg_catalog.set_config('statement_timeout', '0', false) IS NOT NULL",
        "set_config",
        21,
    )
    .await;
    db.drop().await;
}

/// One value from a session, by engine.
async fn read(s: &mut Session, sql: &str) -> Option<String> {
    match s {
        Session::Postgres(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await,
        Session::MySql(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await,
        Session::Sqlite(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await,
    }
    .unwrap()
}

/// Run `change` (statements that set session state, committing where the engine allows) in one session, then
/// `probe` in the next: the next must show `fresh`, and its connection id (`id`, where the engine has one) must differ.
async fn settings_do_not_outlive_the_session(
    url: &str,
    change: &[&str],
    probe: &str,
    fresh: Option<&str>,
    id: Option<&str>,
) {
    let timeout = Duration::from_secs(5);
    let mut first = crate::helpers::session(url, timeout).await.unwrap();
    for sql in change {
        first.execute(sql, timeout).await.unwrap();
    }
    assert_ne!(
        read(&mut first, probe).await.as_deref(),
        fresh,
        "{probe} changed in the first session"
    );
    let first_id = match id {
        Some(id) => read(&mut first, id).await,
        None => None,
    };
    first.close().await;
    let mut next = crate::helpers::session(url, timeout).await.unwrap();
    assert_eq!(
        read(&mut next, probe).await.as_deref(),
        fresh,
        "{probe} in the next session"
    );
    if let Some(id) = id {
        assert_ne!(read(&mut next, id).await, first_id, "a new connection");
    }
    next.close().await;
}

#[tokio::test]
async fn session_settings_do_not_outlive_a_session() {
    if let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await {
        let url = db.url();
        // Committed, so that only a new connection can forget them.
        let change = [
            "SELECT set_config('statement_timeout', '0', false)",
            "COMMIT",
            "SET clearance_test.leak = 'yes'",
        ];
        let id = Some("SELECT pg_backend_pid()::text");
        let timeout = "SELECT current_setting('statement_timeout')";
        settings_do_not_outlive_the_session(&url, &change, timeout, Some("5s"), id).await;
        let leak = "SELECT current_setting('clearance_test.leak', true)";
        settings_do_not_outlive_the_session(&url, &change, leak, None, id).await;
        // Two dry runs: two connections.
        let mut pids = Vec::new();
        for _ in 0..2 {
            let p = preview(&preview_request(&url, "SELECT pg_backend_pid() AS pid"))
                .await
                .unwrap();
            pids.push(p.rows[0][0].clone());
        }
        assert_ne!(pids[0], pids[1]);
        db.drop().await;
    }
    if let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await {
        let url = db.url();
        let change = [
            "SET @leak = 'yes'",
            "SET SESSION max_statement_time = 0",
            "COMMIT",
        ];
        let id = Some("SELECT CAST(CONNECTION_ID() AS CHAR)");
        let leak = "SELECT CAST(@leak AS CHAR)";
        settings_do_not_outlive_the_session(&url, &change, leak, None, id).await;
        let limit = "SELECT CAST(@@max_statement_time AS CHAR)";
        settings_do_not_outlive_the_session(&url, &change, limit, Some("5.000000"), id).await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let p = preview(&preview_request(&url, "SELECT CONNECTION_ID() AS id"))
                .await
                .unwrap();
            ids.push(p.rows[0][0].clone());
        }
        assert_ne!(ids[0], ids[1]);
        db.drop().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wh.db");
    crate::data_sources::probe::sqlite_file(&file).await;
    let url = format!("sqlite://{}", file.display());
    settings_do_not_outlive_the_session(
        &url,
        &["PRAGMA query_only = OFF"],
        "SELECT CAST(query_only AS TEXT) FROM pragma_query_only",
        Some("1"),
        None,
    )
    .await;
}
