//! Host adapters: how a Jira site authenticates to Clearance and how Clearance calls it.
//!
//! Only this module knows Atlassian Connect (descriptor, lifecycle, HS256/RS256 JWT, query string hash) and Forge
//! Remote (invocation tokens, JWKS, installations, system tokens). The rest of the app receives a verified [`Caller`](crate::host::Caller) and a [`crate::jira::JiraClient`] and never learns which
//! front door a request came through.

pub mod connect;
mod context_issue;
mod extract;
pub mod forge;
mod sites;

pub use crate::error::AuthError;
pub use extract::{ForgeInvocation, HostRequest, Refused, UiRequest};
pub use sites::HostSites;

use axum::{Router, extract::FromRef};

use crate::{
    jira::IssueId,
    tenant::{AccountId, Tenant},
};

/// Routes the hosts call directly (Connect: descriptor and lifecycle callbacks).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    connect::Connect: FromRef<S>,
{
    connect::Connect::router()
}

/// Who is calling, as proven by the host's token: the tenant, and the acting user when there is one.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The verified tenant (never taken from a request body).
    pub tenant: Tenant,
    /// The acting Atlassian account (`sub`), absent for calls without a logged-in user (webhooks, lifecycle).
    pub account_id: Option<AccountId>,
    /// The issue the calling UI is shown on, as the host's signed token says (a Connect context JWT's
    /// `context.jira.issue.id`, a Forge invocation's `context.extension.issue.id`): Jira puts it there only for a
    /// person who can see that issue. `None` when the token names no issue (admin pages, general pages, webhooks).
    pub context_issue: Option<IssueId>,
}
