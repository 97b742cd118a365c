//! Read-only sessions on a data source: every extraction runs inside a read-only transaction (PostgreSQL and
//! MySQL/MariaDB) or on a SQLite file opened read-only with `query_only`, with a server-side statement timeout where
//! the engine has one and a client-side deadline always.
//!
//! Each session also pins the settings that decide how the server splits SQL text into tokens, so that neither the
//! server's nor the account's defaults (nor options in the source URL) can make the engine read an approved query
//! otherwise than the SQL guard's parser did (see [`PG_LEXING`] and [`MYSQL_LEXING`]). SQLite extractions read
//! through `rusqlite` ([`super::sqlite_read`]), which switches off double-quoted string literals; the sqlx SQLite
//! session here (tests only) cannot (sqlx has no such option).

use std::time::Duration;

use sqlx::{
    ConnectOptions, Connection, Executor, MySqlConnection, PgConnection, SqliteConnection,
    sqlite::SqliteConnectOptions,
};

use super::{probe::connect_failure, source_policy::Target, sql_guard::Dialect};

/// How long connecting may take before the source counts as unreachable.
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);

/// PostgreSQL settings that change how text is tokenized, pinned for every session:
///
/// - `standard_conforming_strings = on`: a backslash in `'…'` is an ordinary character, as sqlparser reads it
///   (off, `'\'' …` would be a string that runs on past the next quote);
/// - `backslash_quote = on`: `\'` inside `E'…'` is a quote, as sqlparser reads it (instead of an error or, with an
///   unsafe client encoding, a refusal).
///
/// Dollar quoting, `U&''` strings and nested comments have no settings. The client encoding needs no pin: sqlx sends
/// `client_encoding=UTF8` in the startup packet, which outranks database and role defaults and the URL's `options`
/// (tests/it/guard_sessions.rs).
pub const PG_LEXING: &str = "SET standard_conforming_strings = on; SET backslash_quote = on";

/// MySQL/MariaDB settings that change how text is tokenized, pinned for every session. `sql_mode` is set whole, so no
/// server, account or sqlx default survives: without `ANSI_QUOTES` (`"…"` is a string, as sqlparser's MySQL dialect
/// reads it), without `NO_BACKSLASH_ESCAPES` (a backslash escapes the next character in a string, as sqlparser reads
/// it: `supports_string_literal_backslash_escape`), with `PIPES_AS_CONCAT` (`||` joins strings, as sqlparser reads it;
/// sqlx adds it at connect too) and `NO_ENGINE_SUBSTITUTION` (sqlx's other addition), and no MariaDB compatibility
/// mode (`ORACLE`, `MSSQL`…), which would change the syntax wholesale. `NAMES utf8mb4`: the bytes sqlx sends are read
/// as UTF-8 whatever `charset` the URL names (in GBK or SJIS a backslash can hide inside a multi-byte character).
pub const MYSQL_LEXING: &str =
    "SET NAMES utf8mb4, SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'";

/// What went wrong with a source, in words an analyst or admin can act on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The URL is not one Clearance can use.
    #[error("bad data source URL: {0}")]
    Url(String),
    /// Connecting or a query failed.
    #[error("{0}")]
    Database(String),
    /// The deployment's source policy does not allow this source (always the same words).
    #[error("{0}")]
    NotAllowed(String),
    /// The server cancelled the statement, or the client deadline passed.
    #[error("the query ran longer than the source's limit of {0:?} and was cancelled")]
    Timeout(Duration),
}

fn db_error(e: sqlx::Error) -> SourceError {
    SourceError::Database(match &e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    })
}

/// An open read-only session: one connection, one read-only transaction.
pub enum Session {
    /// PostgreSQL, inside `BEGIN READ ONLY` with `statement_timeout`.
    Postgres(PgConnection),
    /// MySQL/MariaDB, inside `START TRANSACTION READ ONLY` with the engine's statement time limit.
    MySql(MySqlConnection),
    /// SQLite opened read-only with `PRAGMA query_only`.
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgres(_) => "Session::Postgres",
            Self::MySql(_) => "Session::MySql",
            Self::Sqlite(_) => "Session::Sqlite",
        })
    }
}

/// The dialect of a source URL (`postgres://`, `mysql://` / `mariadb://`, `sqlite://`).
pub fn dialect_of(url: &str) -> Result<Dialect, SourceError> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "mysql" | "mariadb" => Ok(Dialect::MySql),
        "sqlite" => Ok(Dialect::Sqlite),
        _ => Err(SourceError::Url(
            "use postgres://, mysql:// (also MariaDB) or sqlite://".into(),
        )),
    }
}

/// The file a `sqlite://PATH` (or `sqlite:PATH`) URL names, without its query string; `None` for other URLs.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    rest.split('?').next()
}

impl Session {
    /// Open a read-only session on `target` (which the deployment's source policy admitted) whose statements are
    /// cancelled after `timeout`.
    pub async fn open(target: &Target, timeout: Duration) -> Result<Self, SourceError> {
        let connect = async {
            match target.dialect() {
                Dialect::Postgres => {
                    let opts = target.postgres().ok_or_else(mismatch)?;
                    let mut c = opts.connect().await.map_err(refused(Dialect::Postgres))?;
                    c.execute(PG_LEXING).await.map_err(db_error)?;
                    let ms = timeout.as_millis().max(1);
                    c.execute(sqlx::AssertSqlSafe(format!("SET statement_timeout = {ms}")))
                        .await
                        .map_err(db_error)?;
                    // Read-only twice over: the session's default, so even a transaction started after an
                    // (impossible, the guard refuses it) COMMIT in a simple-protocol COPY could not write, and the
                    // transaction itself.
                    c.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                        .await
                        .map_err(db_error)?;
                    c.execute("BEGIN READ ONLY").await.map_err(db_error)?;
                    Ok(Self::Postgres(c))
                }
                Dialect::MySql => {
                    let opts = target.mysql().ok_or_else(mismatch)?;
                    let mut c = opts.connect().await.map_err(refused(Dialect::MySql))?;
                    c.execute(MYSQL_LEXING).await.map_err(db_error)?;
                    let version: String = sqlx::query_scalar("SELECT VERSION()")
                        .fetch_one(&mut c)
                        .await
                        .map_err(db_error)?;
                    let limit = if version.to_ascii_lowercase().contains("mariadb") {
                        format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64())
                    } else {
                        format!(
                            "SET SESSION MAX_EXECUTION_TIME = {}",
                            timeout.as_millis().max(1)
                        )
                    };
                    c.execute(sqlx::AssertSqlSafe(limit))
                        .await
                        .map_err(db_error)?;
                    c.execute("START TRANSACTION READ ONLY")
                        .await
                        .map_err(db_error)?;
                    Ok(Self::MySql(c))
                }
                Dialect::Sqlite => {
                    let opts = SqliteConnectOptions::new()
                        .filename(target.sqlite().ok_or_else(mismatch)?)
                        .read_only(true)
                        .create_if_missing(false)
                        .pragma("query_only", "ON");
                    let c = opts.connect().await.map_err(refused(Dialect::Sqlite))?;
                    Ok(Self::Sqlite(c))
                }
            }
        };
        tokio::time::timeout(CONNECT_DEADLINE, connect)
            .await
            .map_err(|_| {
                SourceError::Database("the data source did not answer within 5 s".into())
            })?
    }

    /// Run a statement that returns nothing (for tests and probes), under the client-side deadline.
    pub async fn execute(&mut self, sql: &str, deadline: Duration) -> Result<u64, SourceError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let run = async {
            match self {
                Self::Postgres(c) => c.execute(sql).await.map(|r| r.rows_affected()),
                Self::MySql(c) => c.execute(sql).await.map(|r| r.rows_affected()),
                Self::Sqlite(c) => c.execute(sql).await.map(|r| r.rows_affected()),
            }
        };
        match tokio::time::timeout(deadline, run).await {
            Err(_) => Err(SourceError::Timeout(deadline)),
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) if is_timeout(&e) => Err(SourceError::Timeout(deadline)),
            Ok(Err(e)) => Err(db_error(e)),
        }
    }

    /// End the session (the read-only transaction is rolled back; nothing was written).
    pub async fn close(self) {
        let _ = match self {
            Self::Postgres(c) => c.close().await,
            Self::MySql(c) => c.close().await,
            Self::Sqlite(c) => c.close().await,
        };
    }
}

/// A failed connect in Clearance's words for its kind (never the server's bytes: an answer from something that is
/// not a database server must not be echoed to the admin).
fn refused(dialect: Dialect) -> impl Fn(sqlx::Error) -> SourceError {
    move |e| SourceError::Database(connect_failure(e, dialect, "the data source").to_string())
}

fn mismatch() -> SourceError {
    SourceError::Url("the source's engine does not match its URL".into())
}

/// A database error as a source error: a statement the server cancelled for running past `timeout` is a timeout.
pub fn classify(e: sqlx::Error, timeout: Duration) -> SourceError {
    if is_timeout(&e) {
        SourceError::Timeout(timeout)
    } else {
        db_error(e)
    }
}

/// Whether the server cancelled the statement for running too long.
fn is_timeout(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            // PostgreSQL query_canceled; MariaDB 1969 / MySQL 3024 (max statement time exceeded).
            d.code().as_deref() == Some("57014")
                || d.message().contains("max_statement_time")
                || d.message().contains("maximum statement execution time")
        }
        _ => false,
    }
}
