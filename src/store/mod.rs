//! All of Clearance's own SQL: one `Store` over SQLite (embedded default) or PostgreSQL, chosen by the URL scheme.
//!
//! Queries are written once in the dialect both engines accept (`$n` placeholders, `ON CONFLICT`, `RETURNING`) and
//! run on whichever pool is configured; the schema lives in `migrations/{sqlite,postgres}/`.

mod age_keys;
#[cfg(test)]
pub(crate) mod arb_json;
mod audit;
pub mod audit_chain;
mod checkpoint;
mod dashboard;
mod data_sources;
mod deliveries;
mod erasure_salt;
mod forge;
mod intake;
mod job_claim;
mod jobs;
mod names;
mod plan_snapshots;
mod requests;
mod retention;
mod secret_links;
mod site_settings;
mod slack;
mod stats;
mod tenants;
mod tx;
mod writer;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

pub use age_keys::AgeKeyRow;
pub use audit::{AuditEvent, NewAuditEvent};
pub use dashboard::{DashboardRequest, DeliveredRows, ExpiringDelivery, RequestEvent};
pub use data_sources::StoredDataSource;
pub use deliveries::DeliveryRow;
pub use erasure_salt::StoredSalt;
pub use forge::{ForgeContact, ForgeInstallation, Sealed};
pub use intake::WebhookEvent;
pub use job_claim::ClaimScope;
pub use jobs::{AttemptRow, Finish, JobOrder, JobRow, NewJob, WaitingOn};
pub use requests::{IssueSnapshot, RequestRow, Upserted};
pub use retention::RetentionPolicy;
pub use secret_links::SecretLinkRow;
pub use site_settings::RecipeRow;
pub use slack::{SlackBot, SlackUserMapping, StoredSlackSettings};
pub use stats::QueueStats;
pub use tenants::{InstallRecord, RolePolicy, SealedSecret, StoredTenant};
pub use tx::Tx;
pub(crate) use tx::with_tx;
pub use writer::IntakeWriter;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Errors from the store, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL could not be used.
    #[error("cannot open database: {0}")]
    Open(String),
    /// A query failed.
    #[error("database error while {op}: {source}")]
    Query {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not what the schema promises.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt {
        /// Table the row came from.
        table: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) trait QueryContext<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T> QueryContext<T> for std::result::Result<T, sqlx::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Query { op, source })
    }
}

/// The database behind Clearance.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite file (one instance): a pool for reads and most writes, and the intake writer, which owns a
    /// connection of its own and commits webhook deliveries in groups.
    Sqlite(SqlitePool, IntakeWriter),
    /// PostgreSQL (one or many instances).
    Postgres(PgPool),
}

/// Run the same code against whichever pool the store holds; `$pool` is bound to the concrete pool.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool, _) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Store {
    /// Open the database named by `url` (`sqlite://path` creates the file and its folder; `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Open(format!("bad SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let file = opts.get_filename().to_path_buf();
            if let Some(dir) = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty() && file.as_path() != Path::new(":memory:"))
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Open(format!("cannot create folder {}: {e}", dir.display()))
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts.clone())
                .await
                .map_err(|e| StoreError::Open(format!("SQLite {}: {e}", file.display())))?;
            let writer = IntakeWriter::start(&opts, pool.clone())
                .await
                .map_err(|e| StoreError::Open(format!("SQLite {}: {e}", file.display())))?;
            Ok(Self::Sqlite(pool, writer))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Open(format!("bad PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::Open(format!("PostgreSQL: {e}")))?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::Open(
                "database URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    /// Which engine this is, for logs and health output.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite(..) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Self::Sqlite(..) => &SQLITE_MIGRATIONS,
            Self::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Apply pending migrations; returns how many there were.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_versions().await?.len();
        with_pool!(self, pool => self.migrator().run(pool).await?);
        Ok(self.applied_versions().await?.len().saturating_sub(before))
    }

    async fn applied_versions(&self) -> Result<Vec<i64>> {
        let exists: bool = with_pool!(self, pool => {
            let q = match self {
                Self::Sqlite(..) => "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                Self::Postgres(_) => "SELECT to_regclass('_sqlx_migrations') IS NOT NULL",
            };
            sqlx::query_scalar(q).fetch_one(pool).await.op("checking for the migrations table")?
        });
        if !exists {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .op("reading applied migrations"))
    }

    /// Readiness: the database answers and every embedded migration has been applied.
    pub async fn check_ready(&self) -> std::result::Result<(), String> {
        let applied = self.applied_versions().await.map_err(|e| e.to_string())?;
        let missing: Vec<i64> = self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("migrations not applied: {missing:?}"))
        }
    }

    /// Replace sealed values in one transaction with `sql`, an `UPDATE` taking `$1` = the row's key, `$2` = the old
    /// sealed value and `$3` = the new one (so a row whose value changed meanwhile is left alone). Returns how many
    /// rows were re-sealed.
    pub(crate) async fn reseal(
        &self,
        sql: &'static str,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.op("starting re-seal")?;
            let mut n = 0;
            for (key, old, new) in entries {
                n += sqlx::query(sql).bind(key).bind(&old.0).bind(&new.0).execute(&mut *tx).await
                    .op("re-sealing a secret")?.rows_affected();
            }
            tx.commit().await.op("committing re-seal")?;
            Ok(n)
        })
    }

    /// Close the pool (waits for connections to be returned) and, on SQLite, the intake writer (after it has written
    /// what is queued).
    pub async fn close(&self) {
        if let Self::Sqlite(_, writer) = self {
            writer.close().await;
        }
        with_pool!(self, pool => pool.close().await)
    }
}
