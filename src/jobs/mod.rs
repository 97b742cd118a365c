//! Durable background jobs: handlers registered by kind, a runner that claims due jobs with a lease, runs them with a
//! heartbeat and a timeout, and retries with exponential backoff (honouring `Retry-After`) until they are dead. Long
//! jobs run in a lane of their own, a few per tenant, so they never hold up the short ones. Jobs sharing an order key
//! run one at a time in order; a rate limit (HTTP 429) is waited out without using up a try, within a time budget.

mod backoff;
mod lane;
mod runner;

use std::{future::Future, pin::Pin, time::Duration};

pub use backoff::Backoff;
pub use lane::{JobKind, Lane, LaneSlots};
pub use runner::{DEFAULT_WAIT_BUDGET, Runner, RunnerConfig};

use crate::store::JobRow;
pub use crate::store::{JobOrder, WaitingOn};

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
impl From<crate::host::AuthError> for JobError {
    fn from(e: crate::host::AuthError) -> Self {
        let after = matches!(e, crate::host::AuthError::NoForgeToken(_))
            .then_some(std::time::Duration::from_secs(10 * 60));
        Self::Retry {
            error: e.to_string(),
            after,
        }
    }
}

/// A rate-limited Jira call waits as long as Jira asked, without using up a try; anything else retries with backoff.
impl From<crate::jira::JiraError> for JobError {
    fn from(e: crate::jira::JiraError) -> Self {
        match e {
            crate::jira::JiraError::RateLimited { retry_after } => Self::Wait {
                on: WaitingOn::Jira,
                after: retry_after,
            },
            // Only a site admin updating the app helps: try again rarely, so the fix is picked up without spending
            // the tries in minutes.
            e @ crate::jira::JiraError::MissingScope { .. } => Self::Retry {
                error: e.to_string(),
                after: Some(MISSING_SCOPE_RETRY_AFTER),
            },
            other => Self::Retry {
                error: other.to_string(),
                after: None,
            },
        }
    }
}

/// How long a job waits after Jira refused a call for a scope the installed app lacks.
pub const MISSING_SCOPE_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// What a handler returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

/// A job handler: gets the shared context and the claimed job (payload holds ids; reload state and no-op if gone).
pub type Handler<C> = std::sync::Arc<dyn Fn(C, JobRow) -> JobFuture + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jira::JiraError;

    #[test]
    fn jira_errors_wait_retry_or_wait_for_an_admin() {
        let after = Some(Duration::from_secs(30));
        assert!(matches!(
            JobError::from(JiraError::RateLimited { retry_after: after }),
            JobError::Wait { on: WaitingOn::Jira, after: a } if a == after
        ));
        let missing = JiraError::MissingScope {
            id: "getUserEmail",
            method: "GET",
            path: "/rest/api/3/user/email",
            needs: "ACCESS_EMAIL_ADDRESSES".into(),
            status: reqwest::StatusCode::FORBIDDEN,
            body: String::new(),
        };
        assert!(matches!(
            JobError::from(missing),
            JobError::Retry { after: Some(a), error } if a == MISSING_SCOPE_RETRY_AFTER && error.contains("update the app")
        ));
    }
}
