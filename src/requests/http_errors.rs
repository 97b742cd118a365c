//! How the workflow's failures answer over HTTP: a command's or a dry run's refusal keeps its words and gets the
//! status that says why.

use super::{
    commands::ExecError, dry_run::DryRunError, machine::CommandError, plan_inputs::InputError,
};
use crate::{error::AppError, extract::pipeline::ExtractError};

/// Refusals keep their words; a Jira failure is a bad gateway; storage and the rest are internal.
impl From<ExecError> for AppError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Command(CommandError::Forbidden(m)) => Self::Forbidden(m),
            ExecError::Command(CommandError::NotNow(m) | CommandError::Stale(m)) => {
                Self::Conflict(m)
            }
            ExecError::Command(CommandError::Invalid(m)) => Self::Unprocessable(m),
            ExecError::NotFound(issue) => Self::no_request(issue),
            ExecError::Jira(j) => Self::Upstream(format!("cannot read your Jira groups: {j}")),
            ExecError::Store(s) => s.into(),
            ExecError::Other(o) => Self::Internal(o),
        }
    }
}

/// The dry run's failures: refusals as for commands; a plan that cannot run (source, ID file, the query itself:
/// refused SQL, unknown column, timeout, unreachable source) is 422 with the engine's words; Jira failing is 502.
impl From<DryRunError> for AppError {
    fn from(e: DryRunError) -> Self {
        match e {
            DryRunError::Exec(e) => e.into(),
            DryRunError::Inputs(InputError::Source(e)) => e.into(),
            DryRunError::Inputs(InputError::IdFile(m)) => Self::Unprocessable(m),
            DryRunError::Inputs(e @ InputError::Jira(_)) => Self::Upstream(e.to_string()),
            DryRunError::Inputs(InputError::Other(e)) => Self::Internal(e),
            DryRunError::Extract { error, message } => match error {
                ExtractError::Write(_)
                | ExtractError::Io(_)
                | ExtractError::Bundle(_)
                | ExtractError::Interrupted(_) => Self::Internal(anyhow::Error::new(error)),
                _ => Self::Unprocessable(message),
            },
        }
    }
}
