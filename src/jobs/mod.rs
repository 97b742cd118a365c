//! Durable background jobs: handlers registered by kind, a runner that claims due jobs with a lease, runs them with a
//! heartbeat and a timeout, and retries with exponential backoff (honouring `Retry-After`) until they are dead. Long
//! jobs run in a lane of their own, a few per tenant, so they never hold up the short ones. Jobs sharing an order key
//! run one at a time in order; a rate limit (HTTP 429) is waited out without using up a try, within a time budget.

mod backoff;
mod job;
pub mod kinds;
mod lane;
mod rerun;
mod runner;

use std::{future::Future, pin::Pin, time::Duration};

pub use crate::config::{DEFAULT_WAIT_BUDGET, LaneSlots};
pub use backoff::Backoff;
pub use job::{Job, RunJob, payload};
pub use lane::{JobKind, Lane};
pub use rerun::rerun_dead;
pub use runner::{Runner, RunnerConfig};

pub use crate::store::{JobOrder, WaitingOn};
use crate::{error::AuthError, store::JobRow};

/// Why a job attempt failed, and whether to try again.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later; `after` is the delay the remote side asked for (Jira's or Slack's `Retry-After`).
    #[error("{error}")]
    Retry {
        /// What went wrong.
        error: String,
        /// Requested delay, if any.
        after: Option<Duration>,
    },
    /// Jira or Slack asked to wait (HTTP 429): run again no sooner than `after`, without using up a try, for as long
    /// as the runner's wait budget allows.
    #[error("{} asked Clearance to wait (rate limit)", .on.service())]
    Wait {
        /// Who asked.
        on: WaitingOn,
        /// The delay they asked for (`Retry-After`), if any.
        after: Option<Duration>,
    },
    /// Trying again cannot help (bad payload, object gone for good); the job is dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        Self::Retry {
            error: format!("{e:#}"),
            after: None,
        }
    }
}

impl From<crate::store::StoreError> for JobError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Retry {
            error: e.to_string(),
            after: None,
        }
    }
}

/// A Forge site without a live system token gets one with Forge's next call (at least hourly): wait for it rather
/// than spend the job's attempts.
impl From<AuthError> for JobError {
    fn from(e: AuthError) -> Self {
        let after = matches!(e, AuthError::NoForgeToken(_))
            .then_some(std::time::Duration::from_secs(10 * 60));
        Self::Retry {
            error: e.to_string(),
            after,
        }
    }
}

/// How long a job waits after Jira refused a call for a scope the installed app lacks.
pub const MISSING_SCOPE_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// What a handler returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

/// A job handler: gets the shared context and the claimed job (payload holds ids; reload state and no-op if gone).
pub type Handler<C> = std::sync::Arc<dyn Fn(C, JobRow) -> JobFuture + Send + Sync>;
