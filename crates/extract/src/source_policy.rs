//! What a data source may reach: the deployment's source policy (set by the operator, not by site admins), checked
//! on the addresses a host name resolves to at every connect, so a name that resolves elsewhere the next time
//! (DNS rebinding) is checked again. A [`Target`] — connection options whose host is the checked address — can only
//! be made here, so nothing opens a source the policy has not admitted.
//!
//! Every refusal has the same words, whatever the reason: a site admin learns nothing about what is on the host or
//! its network (no file-exists oracle, no port oracle).

use std::{
    net::{IpAddr, SocketAddr},
    path::{Component, Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    mysql::{MySqlConnectOptions, MySqlSslMode},
    postgres::{PgConnectOptions, PgSslMode},
};
use url::Url;

use super::{
    source::{SourceError, dialect_of, sqlite_path},
    sql_guard::Dialect,
};
use crate::source_settings::{AllowRule, DenyRule, SourcePolicySettings};

/// How long resolving a host name may take.
const RESOLVE_DEADLINE: Duration = Duration::from_secs(3);

/// The one answer to every refusal.
pub const NOT_ALLOWED: &str = "this data source is not allowed by this deployment's source policy: ask the operator \
     of this Clearance deployment which hosts and folders data sources may use";

/// URL parameters that name files on Clearance's host (certificates may be given inline as PEM instead).
const FILE_PARAMS: [&str; 9] = [
    "sslrootcert",
    "ssl-root-cert",
    "sslca",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "socket",
];

/// Clearance's own database, which no source may be.
#[derive(Clone, Debug, Default)]
enum OwnDatabase {
    /// No store (the command line).
    #[default]
    None,
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server and database.
    Postgres {
        host: String,
        port: u16,
        database: String,
    },
}

/// The deployment's rules for data sources.
#[derive(Clone, Debug)]
pub struct SourcePolicy {
    settings: SourcePolicySettings,
    /// SQLite files anywhere (the operator's own command line).
    any_file: bool,
    own: OwnDatabase,
}

/// A source the policy admitted, ready to connect: for servers the host is the checked address (unless the URL
/// asks to verify the server's name against its certificate, which then stops a rebound name), for SQLite the
/// file's canonical path.
#[derive(Debug)]
pub struct Target(Inner);

#[derive(Debug)]
enum Inner {
    Postgres(Box<PgConnectOptions>),
    MySql(Box<MySqlConnectOptions>),
    Sqlite(PathBuf),
}

impl Target {
    /// PostgreSQL options, if this is a PostgreSQL source.
    pub(super) fn postgres(&self) -> Option<&PgConnectOptions> {
        match &self.0 {
            Inner::Postgres(o) => Some(o),
            _ => None,
        }
    }

    /// MySQL/MariaDB options, if this is one.
    pub(super) fn mysql(&self) -> Option<&MySqlConnectOptions> {
        match &self.0 {
            Inner::MySql(o) => Some(o),
            _ => None,
        }
    }

    /// The SQLite file, if this is a SQLite source.
    pub fn sqlite(&self) -> Option<&Path> {
        match &self.0 {
            Inner::Sqlite(p) => Some(p),
            _ => None,
        }
    }

    /// The engine.
    pub fn dialect(&self) -> Dialect {
        match &self.0 {
            Inner::Postgres(_) => Dialect::Postgres,
            Inner::MySql(_) => Dialect::MySql,
            Inner::Sqlite(_) => Dialect::Sqlite,
        }
    }
}

fn refused() -> SourceError {
    SourceError::NotAllowed(NOT_ALLOWED.into())
}

impl SourcePolicy {
    /// The policy `settings` for a deployment whose own database is at `own_database_url`.
    pub fn new(settings: SourcePolicySettings, own_database_url: &SecretString) -> Self {
        let url = own_database_url.expose_secret();
        let own = if let Some(path) = sqlite_path(url) {
            let path = PathBuf::from(path);
            OwnDatabase::Sqlite(path.canonicalize().unwrap_or(path))
        } else if let Ok(o) = PgConnectOptions::from_str(url) {
            OwnDatabase::Postgres {
                host: o.get_host().to_owned(),
                port: o.get_port(),
                database: o.get_database().unwrap_or_default().to_owned(),
            }
        } else {
            OwnDatabase::None
        };
        Self {
            settings,
            any_file: false,
            own,
        }
    }

    /// No restriction: for the operator's own command line (`clearance extract`), which runs with the operator's
    /// rights on the host anyway. Never for sources a site admin configures.
    pub fn operator() -> Self {
        Self {
            settings: SourcePolicySettings {
                allow: vec![AllowRule::Any],
                deny: Vec::new(),
                sqlite_dirs: Vec::new(),
            },
            any_file: true,
            own: OwnDatabase::None,
        }
    }

    /// Check `url` against the policy, resolving its host now; the target connects to the checked address.
    pub async fn target(&self, url: &SecretString) -> Result<Target, SourceError> {
        let raw = url.expose_secret();
        match dialect_of(raw)? {
            Dialect::Sqlite => self.sqlite(raw).map(|p| Target(Inner::Sqlite(p))),
            Dialect::Postgres => {
                let parsed = parsed_url(raw)?;
                refuse_file_params(&parsed)?;
                let mut o = PgConnectOptions::from_str(raw)
                    .map_err(|e| SourceError::Url(driver_words(&e)))?;
                // No password in the URL means none: not the operator's ~/.pgpass or PGPASSWORD.
                o = o.password(&url_password(&parsed));
                if o.get_socket().is_some() {
                    return Err(refused());
                }
                let database = o.get_database().unwrap_or_default().to_owned();
                let addr = self
                    .admit(o.get_host(), o.get_port(), Some(&database))
                    .await?;
                if !matches!(o.get_ssl_mode(), PgSslMode::VerifyFull) {
                    o = o.host(&addr.ip().to_string());
                }
                Ok(Target(Inner::Postgres(Box::new(o))))
            }
            Dialect::MySql => {
                let raw = raw.replacen("mariadb://", "mysql://", 1);
                let parsed = parsed_url(&raw)?;
                refuse_file_params(&parsed)?;
                // (sqlx's MySQL driver reads no password file nor environment variable.)
                let mut o = MySqlConnectOptions::from_str(&raw)
                    .map_err(|e| SourceError::Url(driver_words(&e)))?;
                if o.get_socket().is_some() {
                    return Err(refused());
                }
                let addr = self.admit(o.get_host(), o.get_port(), None).await?;
                if !matches!(o.get_ssl_mode(), MySqlSslMode::VerifyIdentity) {
                    o = o.host(&addr.ip().to_string());
                }
                Ok(Target(Inner::MySql(Box::new(o))))
            }
        }
    }

    /// The first resolved address of `host` the policy allows, or the refusal. With `database` (PostgreSQL), the
    /// own database is refused on any policy.
    async fn admit(
        &self,
        host: &str,
        port: u16,
        database: Option<&str>,
    ) -> Result<SocketAddr, SourceError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let named = self.settings.allow.iter().any(|r| match r {
            AllowRule::Any => true,
            AllowRule::Host(p) => p.matches(host),
            AllowRule::Net(_) => false,
        });
        let by_net = self
            .settings
            .allow
            .iter()
            .any(|r| matches!(r, AllowRule::Net(_)));
        if !named && !by_net {
            // Not worth resolving: no address could be allowed.
            return Err(refused());
        }
        let addrs = resolve(host, port).await?;
        let own_server = self.own_server().await;
        let own_db = matches!(
            (&self.own, database),
            (OwnDatabase::Postgres { database: own, .. }, Some(db)) if own == db
        );
        let allowed = |a: &SocketAddr| {
            let ip = a.ip().to_canonical();
            let at_own_server = own_server.contains(&(ip, port));
            let denied = self.settings.deny.iter().any(|d| {
                d.nets().iter().any(|n| n.contains(&ip))
                    || (*d == DenyRule::OwnDatabaseServer && at_own_server)
            });
            let in_net = self.settings.allow.iter().any(|r| match r {
                AllowRule::Net(n) => n.contains(&ip),
                _ => false,
            });
            let same_database = own_db && at_own_server;
            !denied && !same_database && (named || in_net)
        };
        // A name that also resolves to a refused address is refused whole: which address the driver would use is
        // not ours to choose when the certificate's name is checked.
        match addrs.first() {
            Some(first) if addrs.iter().all(allowed) => Ok(*first),
            _ => Err(refused()),
        }
    }

    /// The addresses and port of Clearance's own database server (PostgreSQL), resolved now.
    async fn own_server(&self) -> Vec<(IpAddr, u16)> {
        match &self.own {
            OwnDatabase::Postgres { host, port, .. } => resolve(host, *port)
                .await
                .map(|a| a.iter().map(|s| (s.ip().to_canonical(), *port)).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The canonical path of a SQLite source inside an allowed folder.
    fn sqlite(&self, raw: &str) -> Result<PathBuf, SourceError> {
        let path = PathBuf::from(sqlite_path(raw).unwrap_or_default());
        // Judged on the path as written first, so nothing outside the folders is touched (not even to see whether
        // it exists); `..` is refused outright.
        if !path.is_absolute() || path.components().any(|c| c == Component::ParentDir) {
            return Err(if self.any_file && !path.as_os_str().is_empty() {
                SourceError::Url("give the SQLite file's absolute path".into())
            } else {
                refused()
            });
        }
        let inside =
            |p: &Path| self.any_file || self.settings.sqlite_dirs.iter().any(|d| p.starts_with(d));
        if !inside(&path) {
            return Err(refused());
        }
        let real = path.canonicalize().map_err(|_| {
            SourceError::Database(
                "there is no SQLite file at this path, or Clearance may not read it: check the path".into(),
            )
        })?;
        // A link inside the folder that leads out of it.
        if !inside(&real) || self.is_own_file(&real) {
            return Err(refused());
        }
        Ok(real)
    }

    fn is_own_file(&self, real: &Path) -> bool {
        matches!(&self.own, OwnDatabase::Sqlite(own) if own == real)
    }
}

fn parsed_url(raw: &str) -> Result<Url, SourceError> {
    Url::parse(raw).map_err(|_| {
        SourceError::Url(
            "the URL cannot be read; use scheme://user:password@host:port/database".into(),
        )
    })
}

fn refuse_file_params(u: &Url) -> Result<(), SourceError> {
    for (k, v) in u.query_pairs() {
        let key = k.to_ascii_lowercase();
        if FILE_PARAMS.contains(&key.as_str()) && !v.trim_start().starts_with("-----BEGIN") {
            return Err(SourceError::Url(format!(
                "{k} names a file on Clearance's host, which a data source may not use: give certificates inline \
                 as PEM text, and connect over TCP"
            )));
        }
    }
    Ok(())
}

fn url_password(u: &Url) -> String {
    u.password()
        .and_then(|p| percent_encoding::percent_decode_str(p).decode_utf8().ok())
        .map(|p| p.into_owned())
        .unwrap_or_default()
}

/// A driver's URL complaint without the URL (which holds the password).
fn driver_words(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Configuration(_) => {
            "a URL parameter has a value the driver does not accept; check sslmode, port and the other parameters"
                .into()
        }
        _ => "the URL cannot be used".into(),
    }
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, SourceError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let unreachable = || {
        SourceError::Database(
            "the host name could not be resolved: check the host in the URL".into(),
        )
    };
    let found = tokio::time::timeout(RESOLVE_DEADLINE, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| unreachable())?
        .map_err(|_| unreachable())?
        .collect::<Vec<_>>();
    if found.is_empty() {
        return Err(unreachable());
    }
    Ok(found)
}

#[cfg(test)]
#[path = "source_policy_tests.rs"]
mod tests;
