//! Read-only sessions against real PostgreSQL, MariaDB and SQLite: statements that slip past the SQL guard (plain
//! writes, a writing function, a sequence) still cannot write, and long statements are cancelled.

use std::{str::FromStr, time::Duration};

use clearance::extract::{
    source::SourceError,
    sql_guard::{self, Dialect},
};
use sqlx::{ConnectOptions, Connection, Executor};

use crate::sandbox_warehouse::Db;

/// Create `t` (and, on PostgreSQL, a writing function and a sequence) with the admin connection.
async fn prepare(db: &Db) {
    let url = db.url();
    match db {
        Db::Sqlite(_) => {
            let path = url.trim_start_matches("sqlite://");
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true)
                .connect()
                .await
                .unwrap();
            c.execute("CREATE TABLE t (id INTEGER)").await.unwrap();
        }
        Db::Postgres { .. } => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            c.execute(
                "CREATE TABLE t (id INT); CREATE SEQUENCE s; \
                 CREATE FUNCTION writes() RETURNS INT LANGUAGE sql AS 'INSERT INTO t VALUES (1) RETURNING 1'",
            )
            .await
            .unwrap();
        }
        Db::MySql { .. } => {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
            c.execute("CREATE TABLE t (id INT)").await.unwrap();
        }
    }
}

async fn rows_in_t(db: &Db) -> i64 {
    let url = db.url();
    let sql = "SELECT COUNT(*) FROM t";
    match db {
        Db::Sqlite(_) => sqlx::query_scalar(sql)
            .fetch_one(&mut sqlx::SqliteConnection::connect(&url).await.unwrap())
            .await
            .unwrap(),
        Db::Postgres { .. } => sqlx::query_scalar(sql)
            .fetch_one(&mut sqlx::PgConnection::connect(&url).await.unwrap())
            .await
            .unwrap(),
        Db::MySql { .. } => sqlx::query_scalar(sql)
            .fetch_one(&mut sqlx::MySqlConnection::connect(&url).await.unwrap())
            .await
            .unwrap(),
    }
}

fn is_read_only_refusal(e: &SourceError) -> bool {
    let m = e.to_string().to_ascii_lowercase();
    m.contains("read-only") || m.contains("read only") || m.contains("readonly")
}

async fn writes_are_refused_and_slow_queries_cancelled(db: Db, engine: Dialect) {
    prepare(&db).await;
    let url = db.url();
    let mut attempts = vec![
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET id = 2",
        "DELETE FROM t",
    ];
    if engine == Dialect::Postgres {
        // A user-defined function that writes passes the SQL guard (it is a query); `nextval` is on the guard's
        // deny-list. Sent to the session directly, the read-only transaction stops both.
        assert_eq!(sql_guard::check("SELECT writes()", engine), Ok(()));
        assert!(sql_guard::check("SELECT nextval('s')", engine).is_err());
        attempts.extend(["SELECT writes()", "SELECT nextval('s')"]);
    }
    for sql in attempts {
        let mut s = crate::helpers::session(&url, Duration::from_secs(5))
            .await
            .unwrap();
        let err = s.execute(sql, Duration::from_secs(5)).await.expect_err(sql);
        assert!(is_read_only_refusal(&err), "{engine:?} {sql}: {err}");
        s.close().await;
    }
    assert_eq!(rows_in_t(&db).await, 0, "{engine:?}: nothing was written");

    // Long statements: the server's limit (PostgreSQL, MariaDB) or the client's deadline (SQLite).
    let slow = match engine {
        Dialect::Postgres => "SELECT pg_sleep(5)",
        Dialect::MySql => "SELECT SLEEP(5)",
        Dialect::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT COUNT(*) FROM c"
        }
    };
    let mut s = crate::helpers::session(&url, Duration::from_millis(300))
        .await
        .unwrap();
    let deadline = if engine == Dialect::Sqlite {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(4)
    };
    let err = s.execute(slow, deadline).await.expect_err("cancelled");
    assert!(matches!(err, SourceError::Timeout(_)), "{engine:?}: {err}");
    assert!(err.to_string().contains("cancelled"), "{err}");
    drop(s);
    db.drop().await;
}

#[tokio::test]
async fn read_only_sessions_on_sqlite() {
    writes_are_refused_and_slow_queries_cancelled(Db::sqlite(), Dialect::Sqlite).await;
}

#[tokio::test]
async fn read_only_sessions_on_postgres() {
    if let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await {
        writes_are_refused_and_slow_queries_cancelled(db, Dialect::Postgres).await;
    }
}

#[tokio::test]
async fn read_only_sessions_on_mariadb() {
    if let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await {
        writes_are_refused_and_slow_queries_cancelled(db, Dialect::MySql).await;
    }
}

#[tokio::test]
async fn unusable_sources_are_explained() {
    for (url, words) in [
        ("redis://127.0.0.1:6379", "postgres://"),
        ("sqlite:///definitely/not/here.db", "no sqlite file"),
        ("postgres://postgres@127.0.0.1:1/none", "could not connect"),
    ] {
        let err = crate::helpers::session(url, Duration::from_secs(1))
            .await
            .expect_err(url);
        assert!(
            err.to_string().to_ascii_lowercase().contains(words),
            "{url}: {err}"
        );
    }
}
