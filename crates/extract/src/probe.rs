//! "Test connection" for a data source: connect within 5 s, read the server version, time a round trip, and, when
//! read-only access is required (production sources), check that the account cannot write nor act outside its
//! queries (server files, programs, other sessions, other servers). Failures are sorted
//! into what an admin can act on: unreachable, TLS, authentication, missing database, not read-only.

#[path = "probe_powers.rs"]
mod powers;
#[path = "probe_read_only.rs"]
mod read_only;

use std::{
    io::ErrorKind,
    time::{Duration, Instant},
};

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    ConnectOptions, Connection, Executor, MySqlConnection, PgConnection, SqliteConnection,
    mysql::MySqlDatabaseError, sqlite::SqliteConnectOptions,
};
use tokio::time::timeout_at;

use super::{
    source::{SourceError, dialect_of},
    source_policy::{SourcePolicy, Target},
    sql_guard::Dialect,
};

/// The whole test (connecting and the checks) must finish within this.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(5);

/// A successful test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeReport {
    /// What the server says it is (`PostgreSQL 15.4 …`, `10.11.6-MariaDB`, `SQLite 3.45.0`).
    pub server_version: String,
    /// How long connecting took.
    pub connect_time: Duration,
    /// One `SELECT 1` round trip.
    pub latency: Duration,
    /// Whether the account was checked and found unable to write (false when the check was not required).
    pub read_only_verified: bool,
}

/// Why the test failed, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Clearance cannot use this URL.
    #[error("{0}")]
    BadUrl(String),
    /// The deployment's source policy does not allow this source.
    #[error("{0}")]
    NotAllowed(String),
    /// No answer: DNS failure, connection refused, timeout.
    #[error("{0}")]
    Unreachable(String),
    /// The TLS handshake failed or TLS is required but not offered.
    #[error("{0}")]
    Tls(String),
    /// The server refused the user name or password.
    #[error("{0}")]
    AuthFailed(String),
    /// The database (or SQLite file) does not exist.
    #[error("{0}")]
    DatabaseMissing(String),
    /// The account can write or act outside its queries, and the source is for production.
    #[error("{0}")]
    NotReadOnly(String),
    /// Connected, but the checks did not finish in time.
    #[error("{0}")]
    Slow(String),
    /// Anything else, with the server's words.
    #[error("{0}")]
    Failed(String),
}

impl ProbeError {
    /// A stable code for the kind of failure (`unreachable`, `auth_failed`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUrl(_) => "bad_url",
            Self::NotAllowed(_) => "not_allowed",
            Self::Unreachable(_) => "unreachable",
            Self::Tls(_) => "tls",
            Self::AuthFailed(_) => "auth_failed",
            Self::DatabaseMissing(_) => "database_missing",
            Self::NotReadOnly(_) => "not_read_only",
            Self::Slow(_) => "slow",
            Self::Failed(_) => "failed",
        }
    }
}

/// An open connection of any engine.
enum Conn {
    Postgres(PgConnection),
    MySql(MySqlConnection),
    Sqlite(SqliteConnection),
}

/// Where the URL points, for messages: `host:port` or the SQLite path (never credentials).
fn target_of(url: &str, dialect: Dialect) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return "the server".into();
    };
    let default_port = match dialect {
        Dialect::Postgres => 5432,
        Dialect::MySql => 3306,
        Dialect::Sqlite => {
            return super::source::sqlite_path(url).unwrap_or(url).to_owned();
        }
    };
    format!(
        "{}:{}",
        u.host_str().unwrap_or("localhost"),
        u.port().unwrap_or(default_port)
    )
}

/// Test the source at `url`, once `policy` admits it. With `require_read_only`, an account that can write fails the
/// test. Every message is Clearance's own, per kind of failure: nothing the server (or whatever answers at that
/// address) sent is echoed.
pub async fn test_connection(
    policy: &SourcePolicy,
    url: &SecretString,
    require_read_only: bool,
) -> Result<ProbeReport, ProbeError> {
    let raw = url.expose_secret();
    let dialect = dialect_of(raw).map_err(|e| ProbeError::BadUrl(e.to_string()))?;
    let target = target_of(raw, dialect);
    let admitted = policy.target(url).await.map_err(|e| match e {
        SourceError::NotAllowed(m) => ProbeError::NotAllowed(m),
        SourceError::Url(m) => ProbeError::BadUrl(m),
        SourceError::Database(m) if dialect == Dialect::Sqlite => ProbeError::DatabaseMissing(m),
        other => ProbeError::Unreachable(other.to_string()),
    })?;
    let deadline = tokio::time::Instant::now() + PROBE_DEADLINE;
    let started = Instant::now();
    let mut conn = timeout_at(deadline, connect(&admitted, &target))
        .await
        .map_err(|_| {
            ProbeError::Unreachable(format!(
                "{target} did not answer within {} s: check the host and port, and that no firewall blocks \
                 Clearance's address",
                PROBE_DEADLINE.as_secs()
            ))
        })??;
    let connect_time = started.elapsed();
    let checks = async {
        let version = server_version(&mut conn).await?;
        let t = Instant::now();
        ping(&mut conn).await?;
        let latency = t.elapsed();
        let verified = if require_read_only {
            let writes = match &mut conn {
                Conn::Postgres(c) => {
                    let mut found = read_only::postgres_writes(c).await?;
                    found.extend(powers::postgres_powers(c).await?);
                    found
                }
                Conn::MySql(c) => read_only::mysql_writes(c).await?,
                // Opened read-only: nothing can be written through this connection.
                Conn::Sqlite(_) => Vec::new(),
            };
            if !writes.is_empty() {
                return Err(ProbeError::NotReadOnly(read_only::explain(
                    dialect, &writes,
                )));
            }
            true
        } else {
            false
        };
        Ok(ProbeReport {
            server_version: version,
            connect_time,
            latency,
            read_only_verified: verified,
        })
    };
    let result = timeout_at(deadline, checks).await.unwrap_or_else(|_| {
        Err(ProbeError::Slow(format!(
            "connected to {target}, but the checks did not finish within {} s: the server is overloaded or its \
             catalog is very large; try again",
            PROBE_DEADLINE.as_secs()
        )))
    });
    close(conn).await;
    result
}

async fn connect(admitted: &Target, target: &str) -> Result<Conn, ProbeError> {
    let dialect = admitted.dialect();
    let fail = |e| connect_failure(e, dialect, target);
    if let Some(o) = admitted.postgres() {
        let opts = o.clone().application_name("clearance-probe");
        return Ok(Conn::Postgres(opts.connect().await.map_err(fail)?));
    }
    if let Some(o) = admitted.mysql() {
        return Ok(Conn::MySql(o.connect().await.map_err(fail)?));
    }
    let file = admitted.sqlite().unwrap_or(std::path::Path::new(""));
    let opts = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .create_if_missing(false);
    Ok(Conn::Sqlite(opts.connect().await.map_err(fail)?))
}

/// Sort a failed connect into what the admin can do about it, in Clearance's words only: whatever answered (or did
/// not) at that address, its bytes are not echoed, and a closed port, a silent one and a service that is not a
/// database read the same (no port scanner).
pub fn connect_failure(e: sqlx::Error, dialect: Dialect, target: &str) -> ProbeError {
    let engine = match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::MySql => "MySQL/MariaDB",
        Dialect::Sqlite => "SQLite",
    };
    let tls = || {
        ProbeError::Tls(format!(
            "TLS with {target} failed: check the URL's sslmode / ssl-mode and the server's certificate"
        ))
    };
    match e {
        // rustls reports handshake and certificate failures as I/O errors.
        sqlx::Error::Io(io) if is_tls(&io) => tls(),
        sqlx::Error::Tls(_) => tls(),
        sqlx::Error::Configuration(_) => ProbeError::BadUrl(
            "the URL cannot be used: check its parameters (sslmode, port, options)".into(),
        ),
        sqlx::Error::Database(d) if dialect != Dialect::Sqlite => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            let mysql = d
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(|m| m.number());
            match (dialect, code.as_str(), mysql) {
                (Dialect::Postgres, "28P01" | "28000", _)
                | (Dialect::MySql, _, Some(1045 | 1698)) => ProbeError::AuthFailed(format!(
                    "{target} refused the login: check the user name and password in the URL"
                )),
                (Dialect::MySql, _, Some(1044 | 1130)) => ProbeError::AuthFailed(format!(
                    "{target} refused access: grant the account access from Clearance's address"
                )),
                (Dialect::Postgres, "3D000", _) | (Dialect::MySql, _, Some(1049)) => {
                    ProbeError::DatabaseMissing(format!(
                        "{target} has no such database: check the database name at the end of the URL"
                    ))
                }
                _ => ProbeError::Failed(format!(
                    "{target} refused the connection: check the account's rights and the server's log"
                )),
            }
        }
        sqlx::Error::Database(_) => ProbeError::DatabaseMissing(
            "the file cannot be opened as a SQLite database: check the path".into(),
        ),
        _ if dialect == Dialect::Sqlite => ProbeError::DatabaseMissing(
            "the file cannot be opened as a SQLite database: check the path".into(),
        ),
        _ => ProbeError::Unreachable(format!(
            "could not connect to {target}: check the host and port, that a {engine} server runs there, and that \
             it accepts connections from Clearance's address"
        )),
    }
}

fn is_tls(io: &std::io::Error) -> bool {
    let text = io.to_string().to_ascii_lowercase();
    io.kind() == ErrorKind::InvalidData
        || ["certificate", "tls", "handshake"]
            .iter()
            .any(|w| text.contains(w))
}

async fn server_version(conn: &mut Conn) -> Result<String, ProbeError> {
    let failed = |_| ProbeError::Failed("connected, but reading the server version failed".into());
    Ok(match conn {
        Conn::Postgres(c) => {
            let v: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(c)
                .await
                .map_err(failed)?;
            format!("PostgreSQL {v}")
        }
        Conn::MySql(c) => sqlx::query_scalar("SELECT VERSION()")
            .fetch_one(c)
            .await
            .map_err(failed)?,
        Conn::Sqlite(c) => {
            // Reading the schema proves the file is a database (the version alone does not touch it).
            let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master")
                .fetch_one(&mut *c)
                .await
                .map_err(|_| {
                    ProbeError::DatabaseMissing("the file is not a SQLite database".into())
                })?;
            let v: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(c)
                .await
                .map_err(failed)?;
            format!("SQLite {v}")
        }
    })
}

async fn ping(conn: &mut Conn) -> Result<(), ProbeError> {
    match conn {
        Conn::Postgres(c) => c.execute("SELECT 1").await.map(|_| ()),
        Conn::MySql(c) => c.execute("SELECT 1").await.map(|_| ()),
        Conn::Sqlite(c) => c.execute("SELECT 1").await.map(|_| ()),
    }
    .map_err(|_| ProbeError::Failed("connected, but a round trip (SELECT 1) failed".into()))
}

async fn close(conn: Conn) {
    let _ = match conn {
        Conn::Postgres(c) => c.close().await,
        Conn::MySql(c) => c.close().await,
        Conn::Sqlite(c) => c.close().await,
    };
}
