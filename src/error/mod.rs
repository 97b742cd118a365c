//! `AppError`: every handler error, mapped to a status and a body that never leaks internals or auth reasons. Each
//! module whose failures reach HTTP says how they map, next to its error type (`From<…> for AppError`).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE},
    response::{IntoResponse, Response},
};
use serde_json::json;

pub use auth::AuthError;

use crate::store::StoreError;

mod auth;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Authentication failed; the reason is logged, the response says only 401.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
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

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
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
