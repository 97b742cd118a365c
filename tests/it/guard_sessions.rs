//! Clearance's read-only sessions read text as the SQL guard does whatever the server, the account or the source URL
//! would make the default: each pinned setting has a query here that the engine reads otherwise without the pin.

use std::{str::FromStr, time::Duration};

use clearance::extract::{
    read::Reader,
    source::Session,
    sql_columns::result_columns,
    sql_guard::{self, Dialect},
};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor};

use crate::{
    guard_modes::{Mode, ServerModes},
    sandbox_warehouse::Db,
};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn reader(url: &str, dialect: Dialect) -> Reader {
    Reader::open(
        &crate::helpers::operator_policy(),
        &SecretString::from(url.to_owned()),
        TIMEOUT,
    )
    .await
    .unwrap_or_else(|e| panic!("open {dialect:?}: {e}"))
}

/// The guard admits `sql` and the engine returns the columns the guard reads.
async fn reads_as_the_guard(reader: &mut Reader, sql: &str, dialect: Dialect) -> Vec<String> {
    let statement = sql_guard::parse(sql, dialect).unwrap_or_else(|r| panic!("{sql}: {r}"));
    let guard = result_columns(&statement, dialect).expect("named columns");
    let engine: Vec<String> = reader
        .describe(sql)
        .await
        .unwrap_or_else(|e| panic!("{dialect:?} engine: {sql}: {e}"))
        .into_iter()
        .map(|c| c.name)
        .collect();
    let guard: Vec<String> = guard.into_iter().map(|g| g.expect("named")).collect();
    assert_eq!(engine, guard, "{dialect:?}: {sql}");
    engine
}

async fn session_value(reader: &mut Reader, sql: &'static str) -> String {
    match reader {
        Reader::Server(Session::Postgres(c), _) => sqlx::query_scalar(sql).fetch_one(c).await,
        Reader::Server(Session::MySql(c), _) => sqlx::query_scalar(sql).fetch_one(c).await,
        _ => panic!("a server session"),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn guard_sessions_postgres_pin_how_text_is_read() {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let url = db.url();
    let Db::Postgres { name, .. } = &db else {
        unreachable!()
    };
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
    for sql in [
        format!("ALTER DATABASE {name} SET standard_conforming_strings = off"),
        format!("ALTER DATABASE {name} SET backslash_quote = off"),
    ] {
        admin
            .execute(AssertSqlSafe(sql))
            .await
            .expect("alter database");
    }
    admin.close().await.expect("close");

    let mut r = reader(&url, Dialect::Postgres).await;
    // standard_conforming_strings: off, '\' would escape the quote and the string would run on to the next one.
    reads_as_the_guard(&mut r, r"SELECT 'a\' AS c1, 'b' AS c2", Dialect::Postgres).await;
    // backslash_quote: off, \' in E'' would be refused.
    reads_as_the_guard(&mut r, r"SELECT E'it\'s' AS c1", Dialect::Postgres).await;
    r.close().await;

    // client_encoding from the URL's options (SJIS could hide a backslash inside a multi-byte character) does not
    // win over the UTF8 sqlx sends at startup.
    let sjis = format!("{url}?options=-c%20client_encoding%3DSJIS");
    let mut r = reader(&sjis, Dialect::Postgres).await;
    assert_eq!(session_value(&mut r, "SHOW client_encoding").await, "UTF8");
    assert_eq!(
        session_value(&mut r, "SHOW standard_conforming_strings").await,
        "on"
    );
    r.close().await;
    db.drop().await;
}

#[tokio::test]
async fn guard_sessions_mysql_pin_how_text_is_read() {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let url = db.url();
    let mut admin = sqlx::MySqlConnection::connect(&url).await.expect("connect");
    admin
        .execute("CREATE TABLE t (id INT, email VARCHAR(200))")
        .await
        .expect("table");
    admin.close().await.expect("close");
    let mut modes = ServerModes::start(&url).await;
    let account = modes.account(&db, Mode::Both).await;
    let mut r = reader(&account, Dialect::MySql).await;
    // NO_BACKSLASH_ESCAPES: \' would end the string.
    reads_as_the_guard(&mut r, r"SELECT 'a\'b' AS c1, 2 AS c2", Dialect::MySql).await;
    // ANSI_QUOTES: "x" would be a column name.
    reads_as_the_guard(&mut r, r#"SELECT "x" AS c1 FROM t"#, Dialect::MySql).await;
    // The whole sql_mode is Clearance's, not the account's or sqlx's.
    assert_eq!(
        session_value(&mut r, "SELECT @@SESSION.sql_mode").await,
        "PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION"
    );
    r.close().await;
    modes.finish().await;

    // The URL's charset: in GBK the last byte of 丁 (E4 B8 81) and the backslash after it are one character, so the
    // quote after them would end the string.
    let gbk = format!("{url}?charset=gbk");
    let mut r = reader(&gbk, Dialect::MySql).await;
    reads_as_the_guard(
        &mut r,
        "SELECT '丁\\' AS c1, 1 AS c2 -- ' AS c3",
        Dialect::MySql,
    )
    .await;
    assert_eq!(
        session_value(&mut r, "SELECT @@SESSION.character_set_client").await,
        "utf8mb4"
    );
    r.close().await;
    db.drop().await;
}

#[tokio::test]
async fn guard_sessions_sqlite_reads_double_quotes_as_names() {
    let db = Db::sqlite();
    let url = db.url();
    let path = url.trim_start_matches("sqlite://");
    std::fs::create_dir_all(std::path::Path::new(path).parent().expect("parent")).expect("mkdir");
    let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .expect("url")
        .create_if_missing(true)
        .connect()
        .await
        .expect("create");
    c.execute("CREATE TABLE t (id INTEGER, email TEXT)")
        .await
        .expect("table");
    c.close().await.expect("close");
    let mut r = reader(&url, Dialect::Sqlite).await;
    // The guard reads "nosuch" as a column; with SQLite's legacy double-quoted strings the engine would read a string.
    let sql = r#"SELECT "nosuch" AS c1 FROM t"#;
    assert!(sql_guard::check(sql, Dialect::Sqlite).is_ok());
    let err = r.describe(sql).await.expect_err("no such column");
    assert!(err.to_string().contains("no such column"), "{err}");
    reads_as_the_guard(
        &mut r,
        r#"SELECT "email" AS c1, [id] AS c2 FROM t"#,
        Dialect::Sqlite,
    )
    .await;
    r.close().await;
}
