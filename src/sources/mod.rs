//! Per-tenant data sources: the warehouses analysts may query, with their environment, allowed Jira projects, caps
//! and statement timeout. The connection URL is sealed at rest, shown back only redacted, and opened only to resolve
//! a source for the extraction engine or to test the connection. A production source is saved only once its
//! connection test passes (reachable, an account that can only read).

mod admit;
mod manage;
mod redact;
mod settings;

use std::{fmt, time::Duration};

use secrecy::SecretString;

pub use manage::{Saved, delete, list, put, resolve, test, test_stored};
pub use redact::redacted_url;
pub use settings::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_SECS, MAX_BYTES, MAX_ROWS, SourceInput,
    validate_name,
};

pub use clearance_extract::environment::Environment;

use crate::{crypto::CryptoError, extract::sql_guard::Dialect, store::StoreError};

/// A source resolved for use: its URL opened, its limits typed. `Debug` shows the URL redacted.
#[derive(Clone)]
pub struct DataSource {
    /// Name, unique per tenant.
    pub name: String,
    /// Engine and SQL dialect.
    pub dialect: Dialect,
    /// Connection URL with credentials.
    pub url: SecretString,
    /// Staging or production.
    pub environment: Environment,
    /// Jira project keys allowed to use it.
    pub allowed_projects: Vec<String>,
    /// Most rows one extraction may return.
    pub max_rows: u64,
    /// Most bytes one extraction may return.
    pub max_bytes: u64,
    /// Server-side statement timeout.
    pub statement_timeout: Duration,
}

impl DataSource {
    /// The URL with its password and secret query parameters replaced by `***`.
    pub fn redacted_url(&self) -> String {
        redacted_url(&self.url)
    }
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataSource")
            .field("name", &self.name)
            .field("dialect", &self.dialect)
            .field("url", &self.redacted_url())
            .field("environment", &self.environment)
            .field("allowed_projects", &self.allowed_projects)
            .field("max_rows", &self.max_rows)
            .field("max_bytes", &self.max_bytes)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

/// Why a data-source operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The input is not acceptable; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// No such source on this site.
    #[error("{0}")]
    NotFound(String),
    /// The source exists but may not be used here (project not allowed).
    #[error("{0}")]
    NotAllowed(String),
    /// Someone changed the same source at the same time.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored URL could not be opened (wrong master key, or the value was tampered with or moved).
    #[error("the stored URL of data source {name} cannot be opened: {source}")]
    Sealed {
        /// The source.
        name: String,
        /// Why.
        #[source]
        source: CryptoError,
    },
}

/// Refusals keep their words (bad input 422, unknown source 404, project not allowed 403, concurrent change 409).
impl From<SourcesError> for crate::error::AppError {
    fn from(e: SourcesError) -> Self {
        match e {
            SourcesError::Invalid(m) => crate::error::AppError::Unprocessable(m),
            SourcesError::NotFound(m) => crate::error::AppError::NotFound(m),
            SourcesError::NotAllowed(m) => crate::error::AppError::Forbidden(m),
            SourcesError::Conflict(m) => crate::error::AppError::Conflict(m),
            SourcesError::Store(s) => s.into(),
            e @ SourcesError::Sealed { .. } => {
                crate::error::AppError::Internal(anyhow::Error::new(e))
            }
        }
    }
}
