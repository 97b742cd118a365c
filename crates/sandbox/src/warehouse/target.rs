//! Where the demo data goes: the URL's scheme picks the engine, and one connection is opened with load-friendly
//! session settings. Errors name the URL with its password hidden, ready to print.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::{Context, bail};
use sqlx::{
    Connection, Executor, MySqlConnection, PgConnection, SqliteConnection,
    mysql::MySqlConnectOptions,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use super::schema::Engine;

/// A database URL understood by the generator.
pub(crate) struct Target {
    pub engine: Engine,
    /// The URL with any password replaced by `***`, for messages.
    pub shown: String,
    url: String,
}

/// An open connection to the target.
pub(crate) enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    MySql(MySqlConnection),
}

impl Target {
    /// Recognise `sqlite:`, `postgres://` / `postgresql://` and `mysql://` / `mariadb://` URLs.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let url = url.trim();
        let shown = redact(url);
        let (engine, url) = if url.starts_with("sqlite:") {
            (Engine::Sqlite, url.to_owned())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Engine::Postgres, url.to_owned())
        } else if url.starts_with("mysql://") {
            (Engine::MySql, url.to_owned())
        } else if let Some(rest) = url.strip_prefix("mariadb://") {
            (Engine::MySql, format!("mysql://{rest}"))
        } else {
            bail!(
                "unsupported database URL {shown:?}: expected sqlite://PATH, postgres://USER@HOST/DB or \
                 mysql://USER@HOST/DB (mariadb:// also works)"
            );
        };
        match engine {
            Engine::Sqlite => {
                let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
                if path.split('?').next().unwrap_or_default().is_empty() {
                    bail!(
                        "database URL {shown:?} names no file: use sqlite://PATH, e.g. sqlite://data/demo.db"
                    );
                }
            }
            Engine::MySql => {
                let database = url::Url::parse(&url).map(|u| u.path().trim_matches('/').to_owned());
                if database.is_ok_and(|d| d.is_empty()) {
                    bail!(
                        "database URL {shown:?} names no database: use mysql://USER@HOST/DATABASE"
                    );
                }
            }
            Engine::Postgres => {}
        }
        Ok(Self { engine, shown, url })
    }

    /// Open one connection: SQLite creates the file and its folder, in WAL mode without fsync (a demo file); the
    /// servers get session settings that speed up bulk loading.
    pub async fn connect(&self) -> anyhow::Result<Conn> {
        let shown = &self.shown;
        let bad_url = || format!("invalid database URL {shown}");
        let cannot = || format!("cannot connect to {shown}");
        Ok(match self.engine {
            Engine::Sqlite => {
                let opts = SqliteConnectOptions::from_str(&self.url)
                    .db(bad_url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Off)
                    .foreign_keys(false)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-65536");
                let file = opts.get_filename().to_path_buf();
                if let Some(dir) = file
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty() && file != Path::new(":memory:"))
                {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create folder {}", dir.display()))?;
                }
                Conn::Sqlite(SqliteConnection::connect_with(&opts).await.db(cannot)?)
            }
            Engine::Postgres => {
                let opts = PgConnectOptions::from_str(&self.url).db(bad_url)?;
                let mut conn = PgConnection::connect_with(&opts).await.db(cannot)?;
                conn.execute("SET synchronous_commit = off")
                    .await
                    .db(cannot)?;
                Conn::Postgres(conn)
            }
            Engine::MySql => {
                let opts = MySqlConnectOptions::from_str(&self.url)
                    .db(bad_url)?
                    .charset("utf8mb4");
                let mut conn = MySqlConnection::connect_with(&opts).await.db(cannot)?;
                conn.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
                    .await
                    .db(cannot)?;
                Conn::MySql(conn)
            }
        })
    }
}

impl Conn {
    /// Run statements one by one, outside any transaction; `what` names the step in the error.
    pub async fn run_all(
        &mut self,
        statements: &[String],
        what: &str,
        shown: &str,
    ) -> anyhow::Result<()> {
        for sql in statements {
            let sql = sqlx::AssertSqlSafe(sql.as_str());
            let done = match self {
                Self::Sqlite(c) => c.execute(sql).await.map(drop),
                Self::Postgres(c) => c.execute(sql).await.map(drop),
                Self::MySql(c) => c.execute(sql).await.map(drop),
            };
            done.db(|| format!("cannot {what} in {shown}"))?;
        }
        Ok(())
    }

    /// The first column of every row of `sql`, as text.
    pub async fn strings(
        &mut self,
        sql: &str,
        what: &str,
        shown: &str,
    ) -> anyhow::Result<Vec<String>> {
        let sql = sqlx::AssertSqlSafe(sql);
        let rows = match self {
            Self::Sqlite(c) => sqlx::query_scalar(sql).fetch_all(c).await,
            Self::Postgres(c) => sqlx::query_scalar(sql).fetch_all(c).await,
            Self::MySql(c) => sqlx::query_scalar(sql).fetch_all(c).await,
        };
        rows.db(|| format!("cannot {what} in {shown}"))
    }

    /// Close the connection cleanly (flushes SQLite's WAL on the last connection).
    pub async fn close(self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(c) => c.close().await,
            Self::Postgres(c) => c.close().await,
            Self::MySql(c) => c.close().await,
        }
        .db(|| "cannot close the database connection".to_owned())
    }
}

/// Adds what failed to a driver error, as one line: the database's own message when it sent one (without the
/// driver's repetition of it), else the driver's.
pub(crate) trait DbContext<T> {
    fn db(self, what: impl FnOnce() -> String) -> anyhow::Result<T>;
}

impl<T> DbContext<T> for Result<T, sqlx::Error> {
    fn db(self, what: impl FnOnce() -> String) -> anyhow::Result<T> {
        self.map_err(|e| {
            let why = match e.as_database_error() {
                Some(d) => match d.code() {
                    Some(code) => format!("{} (code {code})", d.message()),
                    None => d.message().to_owned(),
                },
                None => e.to_string(),
            };
            anyhow::anyhow!("{}: {why}", what())
        })
    }
}

/// The URL with its password (if any) replaced by `***`; unparsable input is shown up to its first `@` hidden.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            if u.set_password(Some("***")).is_ok() {
                u.to_string()
            } else {
                url.to_owned()
            }
        }
        Ok(_) => url.to_owned(),
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1:3306/x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(redact("sqlite://data/demo.db"), "sqlite://data/demo.db");
    }

    #[test]
    fn schemes() {
        assert_eq!(
            Target::parse("mariadb://root@h/db")
                .map(|t| t.url)
                .ok()
                .as_deref(),
            Some("mysql://root@h/db")
        );
        assert!(Target::parse("sqlite::memory:").is_ok());
        assert!(Target::parse("sqlite://").is_err());
        assert!(Target::parse("mysql://root@h:3306/").is_err());
        let err = Target::parse("oracle://u:pw@h/db")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("unsupported database URL") && !err.contains("pw"),
            "{err}"
        );
    }
}
