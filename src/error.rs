//! `AppError`: every handler error, mapped to a status and a body that never leaks internals or auth reasons.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{
    extract::pipeline::ExtractError,
    host::AuthError,
    requests::{
        commands::ExecError, dry_run::DryRunError, machine::CommandError, plan_inputs::InputError,
    },
    slack::SettingsError,
    sources::SourcesError,
    store::StoreError,
};

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Authentication failed; the reason is logged, the response says only 401.
    #[error("unauthorized: {0}")]
    Unauthorized(AuthError),
    /// The request is malformed; the message is for the caller.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Nothing here.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller is known but may not do this; the message says why.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Not possible in the current state, or based on something that changed since.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Well-formed but unacceptable input; the message names the field.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// A service we depend on (Jira) failed; the message says which.
    #[error("upstream: {0}")]
    Upstream(String),
    /// A check that must pass could not be made (Jira did not answer whether the caller may see an issue): refused,
    /// never waved through; the message says to try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Our fault; logged with its cause chain, opaque to the caller.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// Handler result.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        if e.is_internal() {
            Self::Internal(anyhow::Error::new(e))
        } else {
            Self::Unauthorized(e)
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

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

/// Refusals keep their words (bad input 422, unknown source 404, project not allowed 403, concurrent change 409).
impl From<SourcesError> for AppError {
    fn from(e: SourcesError) -> Self {
        match e {
            SourcesError::Invalid(m) => Self::Unprocessable(m),
            SourcesError::NotFound(m) => Self::NotFound(m),
            SourcesError::NotAllowed(m) => Self::Forbidden(m),
            SourcesError::Conflict(m) => Self::Conflict(m),
            SourcesError::Store(s) => s.into(),
            e @ SourcesError::Sealed { .. } => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

/// Bad input and a token Slack refused are 422 (nothing changed), an unknown mapping 404, Slack unreachable while
/// checking a token 502.
impl From<SettingsError> for AppError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(m) => Self::Unprocessable(m),
            SettingsError::NotFound(m) => Self::NotFound(m),
            e @ SettingsError::Unchecked(_) => Self::Upstream(e.to_string()),
            SettingsError::Store(s) => s.into(),
            e @ SettingsError::NoMasterKey(_) => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

impl AppError {
    /// The one answer for an issue id that names no request the caller may see: the same whether the issue has no
    /// request, does not exist, or is one the caller cannot see in Jira, so ids cannot be probed.
    pub fn no_request(issue: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("issue {issue} is not a data request"))
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Unauthorized(reason) => tracing::warn!(%reason, "request refused"),
            Self::BadRequest(msg) => tracing::info!(%msg, "bad request"),
            Self::NotFound(_) | Self::Forbidden(_) | Self::Conflict(_) | Self::Unprocessable(_) => {
            }
            Self::Upstream(msg) => tracing::warn!(%msg, "upstream failure"),
            Self::Unavailable(msg) => {
                tracing::warn!(%msg, "refused: a required check could not be made")
            }
            Self::Internal(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "internal error")
            }
        }
        let message = match &self {
            Self::Unauthorized(_) => "authentication failed".to_owned(),
            Self::BadRequest(m) => m.clone(),
            Self::NotFound(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::Unprocessable(m)
            | Self::Upstream(m)
            | Self::Unavailable(m) => m.clone(),
            Self::Internal(_) => "internal error; see the server log".to_owned(),
        };
        let mut resp = (status, Json(json!({ "error": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("JWT"));
        }
        resp
    }
}
