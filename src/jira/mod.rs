//! Jira Cloud REST client. It knows Jira's API, not how Jira authenticates us: a host adapter supplies a
//! [`JiraSite`](crate::jira::JiraSite) (REST base URL + a [`JiraAuth`](crate::jira::JiraAuth) that authorizes each request).

pub mod adf;
mod client;
mod issue_id;
mod permissions;
mod users;

use std::{sync::Arc, time::Duration};

use reqwest::{Method, StatusCode, header::HeaderValue};
use url::Url;

pub use client::{Attachment, AttachmentMeta, JiraClient, Myself};
pub use issue_id::IssueId;

/// Authorizes one outgoing request (a token signed for this exact request, or a bearer token; the host adapter decides).
pub trait JiraAuth: Send + Sync {
    /// The `Authorization` header value for `method` on `url`.
    fn authorization(&self, method: &Method, url: &Url) -> Result<HeaderValue, JiraError>;
}

/// Where and how to call one tenant's Jira.
#[derive(Clone)]
pub struct JiraSite {
    /// REST base URL (the tenant `baseUrl` for Connect); may carry a path.
    pub base_url: Url,
    /// Request authorizer from the host adapter.
    pub auth: Arc<dyn JiraAuth>,
}

/// A failed Jira call, sorted by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum JiraError {
    /// Jira refused our credentials (401).
    #[error("Jira refused the app's credentials (401): {0}")]
    Unauthorized(String),
    /// The app lacks permission (403).
    #[error("Jira denied permission (403): {0}")]
    Forbidden(String),
    /// The resource does not exist (404).
    #[error("not found in Jira (404): {0}")]
    NotFound(String),
    /// Rate limited (429 or 503 with Retry-After); retry after the given delay.
    #[error("Jira rate limit; retry after {retry_after:?}")]
    RateLimited {
        /// Delay Jira asked for, if it said.
        retry_after: Option<Duration>,
    },
    /// Any other unexpected status.
    #[error("Jira answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: StatusCode,
        /// Start of the response body.
        body: String,
    },
    /// Network failure or timeout.
    #[error("cannot reach Jira: {0}")]
    Transport(#[from] reqwest::Error),
    /// The request could not be signed.
    #[error("cannot authorize the Jira request: {0}")]
    Auth(String),
    /// The response was not the JSON we expected.
    #[error("unexpected Jira response: {0}")]
    Decode(String),
    /// A download is larger than the caller accepts; it was not read whole.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The most the caller accepts.
        limit: u64,
    },
}
