//! Jira Cloud REST client. It knows Jira's API, not how Jira authenticates us: a host adapter supplies a
//! [`JiraSite`](crate::jira::JiraSite) (REST base URL + a [`JiraAuth`](crate::jira::JiraAuth) that authorizes each request).

mod calls;
mod client;
mod comments;
mod issue;
mod issue_id;
mod job_error;
mod permissions;
mod properties;
mod request;
mod search;
mod server_info;
mod sites;
mod users;

pub use clearance_atlassian::{adf, operations, refusal, scopes};

use std::{sync::Arc, time::Duration};

use reqwest::{Method, StatusCode, header::HeaderValue};
use url::Url;

pub use calls::{Body, CallShape, FORGE_PLATFORM_SCOPES, JiraOp};
pub use client::{Attachment, AttachmentMeta, JiraClient, Myself};
pub use comments::{Comment, comment_body};
pub use issue::{Issue, IssueAttachment};
pub use issue_id::IssueId;
pub use properties::{REQUEST_PROPERTY, RequestProperty};
pub use request::JiraRequest;
pub use search::IssueIdPage;
pub use server_info::server_base_url;
pub use sites::{JiraSites, SiteFuture};

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
    /// The app's installation is not granted the scope the call needs (its Connect descriptor or Forge manifest
    /// does not declare it): only a site admin installing an app version that declares it helps.
    #[error(
        "Jira refused {method} {path} ({id}) because the app is not granted the scope it needs ({needs}); the \
         installed app's descriptor or manifest must declare it, so a site admin must update the app on the site. \
         Jira said ({status}): {body}"
    )]
    MissingScope {
        /// The operation's `operationId`.
        id: &'static str,
        /// Its method.
        method: &'static str,
        /// Its path template.
        path: &'static str,
        /// What it needs (Connect scope, OAuth alternatives).
        needs: String,
        /// Jira's status (401 from Atlassian's API gateway, 403 from Jira's Connect scope filter).
        status: StatusCode,
        /// Start of Jira's answer.
        body: String,
    },
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
    /// A call that is not the one its [`JiraOp`] declares (a path value missing, a query parameter or body field
    /// not declared): a bug in Clearance, refused before anything is sent.
    #[error("a Jira call that its operation list does not declare: {0}")]
    Undeclared(String),
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
