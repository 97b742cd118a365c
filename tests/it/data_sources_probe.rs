//! "Test connection" against real servers: success with the server's version on SQLite, PostgreSQL and MariaDB;
//! each failure sorted into what to fix (unreachable, TLS, authentication, missing database) within a few seconds;
//! production sources refused while the account can write and accepted with a SELECT-only account.

use std::{
    str::FromStr,
    time::{Duration, Instant},
};

use clearance::extract::probe::{ProbeError, ProbeReport, test_connection};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlConnection, PgConnection};

use crate::{helpers::dead_address, sandbox_warehouse::Db};

/// Create a SQLite database with one table at `path`.
pub(crate) async fn sqlite_file(path: &std::path::Path) {
    let url = format!("sqlite://{}", path.display());
    let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    c.execute("CREATE TABLE t (id INTEGER)").await.unwrap();
    c.close().await.unwrap();
}

/// Probe `url`, checking it answers within the deadline and never echoes `secret`.
pub(super) async fn probe(
    url: &str,
    production: bool,
    secret: &str,
) -> Result<ProbeReport, ProbeError> {
    let started = Instant::now();
    let result = test_connection(
        &crate::helpers::operator_policy(),
        &SecretString::from(url),
        production,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{url}: took {:?}",
        started.elapsed()
    );
    if let Err(e) = &result {
        assert!(secret.is_empty() || !e.to_string().contains(secret), "{e}");
    }
    result
}

pub(super) fn expect_problem(result: Result<ProbeReport, ProbeError>, code: &str, words: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            assert!(e.to_string().contains(words), "{e}");
        }
        Ok(r) => panic!("expected {code}, got {r:?}"),
    }
}

/// `admin` with another user, password and/or database.
pub(super) fn with(
    admin: &str,
    user: Option<&str>,
    password: Option<&str>,
    db: Option<&str>,
) -> String {
    let mut u = url::Url::parse(admin).unwrap();
    if let Some(user) = user {
        u.set_username(user).unwrap();
    }
    u.set_password(password).unwrap();
    if let Some(db) = db {
        u.set_path(&format!("/{db}"));
    }
    u.to_string()
}

#[tokio::test]
async fn sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wh.db");
    sqlite_file(&file).await;
    let url = format!("sqlite://{}", file.display());
    let ok = probe(&url, true, "").await.unwrap();
    assert!(ok.server_version.starts_with("SQLite 3"), "{ok:?}");
    assert!(ok.read_only_verified);
    let staging = probe(&url, false, "").await.unwrap();
    assert!(!staging.read_only_verified);

    let missing = format!("sqlite://{}", dir.path().join("nope.db").display());
    expect_problem(
        probe(&missing, false, "").await,
        "database_missing",
        "no SQLite file at",
    );
    assert!(
        !dir.path().join("nope.db").exists(),
        "the probe must not create the file"
    );
    let text = dir.path().join("notes.db");
    std::fs::write(
        &text,
        "this is not a database, just some text long enough to have a header",
    )
    .unwrap();
    let not_db = format!("sqlite://{}", text.display());
    expect_problem(
        probe(&not_db, false, "").await,
        "database_missing",
        "not a SQLite database",
    );
}

#[tokio::test]
async fn unreachable_servers() {
    let dead = dead_address().await;
    for url in [
        format!("postgres://u:pw-xyz@{dead}/wh"),
        format!("mysql://u:pw-xyz@{dead}/wh"),
    ] {
        expect_problem(
            probe(&url, false, "pw-xyz").await,
            "unreachable",
            "could not connect",
        );
    }
    // No such host: a DNS failure (or a timeout where DNS itself is unreachable), either way "unreachable".
    expect_problem(
        probe(
            "postgres://u:pw-xyz@no-such-host.invalid/wh",
            false,
            "pw-xyz",
        )
        .await,
        "unreachable",
        "could not be resolved",
    );
}

#[tokio::test]
async fn postgres() {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let (admin, name) = match &db {
        Db::Postgres { admin, name } => (admin.clone(), name.clone()),
        _ => unreachable!(),
    };
    let superuser = db.url();
    let ok = probe(&superuser, false, "").await.unwrap();
    assert!(ok.server_version.starts_with("PostgreSQL "), "{ok:?}");
    assert!(!ok.read_only_verified);
    expect_problem(
        probe(&superuser, true, "").await,
        "not_read_only",
        "superuser",
    );

    // A role that may only read.
    let role = format!("clearance_ro_{}", uuid::Uuid::new_v4().simple());
    let mut c = PgConnection::connect(&superuser).await.unwrap();
    c.execute(AssertSqlSafe(format!(
        "CREATE TABLE t (id INT); CREATE ROLE {role} LOGIN PASSWORD 'ro-Secret-1'; \
         GRANT CONNECT ON DATABASE {name} TO {role}; GRANT USAGE ON SCHEMA public TO {role}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
    )))
    .await
    .unwrap();
    let reader = with(&superuser, Some(&role), Some("ro-Secret-1"), None);
    let ok = probe(&reader, true, "ro-Secret-1").await.unwrap();
    assert!(ok.read_only_verified, "{ok:?}");
    c.execute(AssertSqlSafe(format!("GRANT INSERT ON t TO {role}")))
        .await
        .unwrap();
    expect_problem(
        probe(&reader, true, "ro-Secret-1").await,
        "not_read_only",
        "public.t",
    );
    c.execute(AssertSqlSafe(format!(
        "REVOKE INSERT ON t FROM {role}; GRANT CREATE ON SCHEMA public TO {role}"
    )))
    .await
    .unwrap();
    expect_problem(
        probe(&reader, true, "ro-Secret-1").await,
        "not_read_only",
        "CREATE on schema public",
    );
    c.close().await.unwrap();

    let nobody = with(
        &superuser,
        Some("clearance_no_such_role"),
        Some("pw-xyz"),
        None,
    );
    expect_problem(
        probe(&nobody, false, "pw-xyz").await,
        "auth_failed",
        "refused the login",
    );
    // A one-letter password: the message is Clearance's own, not the server's with every "p" starred out.
    let short = with(&superuser, Some("clearance_no_such_role"), Some("p"), None);
    let message = probe(&short, false, "").await.unwrap_err().to_string();
    assert!(
        message.ends_with("refused the login: check the user name and password in the URL")
            && !message.contains('*'),
        "{message}"
    );
    let no_db = with(&admin, None, None, Some("clearance_no_such_db"));
    expect_problem(
        probe(&no_db, false, "").await,
        "database_missing",
        "has no such database",
    );
    let tls = format!("{superuser}?sslmode=verify-full");
    expect_problem(probe(&tls, false, "").await, "tls", "TLS");

    db.drop().await;
    let mut c = PgConnection::connect(&admin).await.unwrap();
    c.execute(AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}")))
        .await
        .unwrap();
}

#[tokio::test]
async fn mariadb() {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let Db::MySql { admin, name } = &db else {
        unreachable!()
    };
    let root = db.url();
    let ok = probe(&root, false, "").await.unwrap();
    assert!(!ok.server_version.is_empty(), "{ok:?}");
    expect_problem(
        probe(&root, true, "").await,
        "not_read_only",
        "ALL PRIVILEGES on *.*",
    );

    let user = format!(
        "clr_ro_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut c = MySqlConnection::connect(&root).await.unwrap();
    for sql in [
        "CREATE TABLE t (id INT)".to_owned(),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'ro-Secret-1'"),
        format!("GRANT SELECT ON {name}.* TO '{user}'@'%'"),
    ] {
        c.execute(AssertSqlSafe(sql)).await.unwrap();
    }
    let reader = with(&root, Some(&user), Some("ro-Secret-1"), None);
    let ok = probe(&reader, true, "ro-Secret-1").await.unwrap();
    assert!(ok.read_only_verified, "{ok:?}");
    c.execute(AssertSqlSafe(format!(
        "GRANT INSERT, DELETE ON {name}.t TO '{user}'@'%'"
    )))
    .await
    .unwrap();
    expect_problem(
        probe(&reader, true, "ro-Secret-1").await,
        "not_read_only",
        "INSERT, DELETE on",
    );

    let wrong = with(admin, Some("root"), Some("wrong-Pw-123"), None);
    expect_problem(
        probe(&wrong, false, "wrong-Pw-123").await,
        "auth_failed",
        "refused the login",
    );
    let no_db = with(admin, None, None, Some("clearance_no_such_db"));
    expect_problem(
        probe(&no_db, false, "").await,
        "database_missing",
        "has no such database",
    );

    c.execute(AssertSqlSafe(format!("DROP USER '{user}'@'%'")))
        .await
        .unwrap();
    c.close().await.unwrap();
    db.drop().await;
}
