//! Where a tenant's Jira is and how to authorize calls to it, as the front door the tenant came in by decides
//! (Connect signs with the tenant's shared secret, Forge uses the installation's system token). The host adapters
//! implement this; the domain asks it for a client and never learns which door it was.

use std::{future::Future, pin::Pin};

use super::JiraSite;
use crate::{error::AuthError, store::StoredTenant};

/// What [`JiraSites::site`] returns.
pub type SiteFuture<'a> = Pin<Box<dyn Future<Output = Result<JiraSite, AuthError>> + Send + 'a>>;

/// Resolves a stored tenant to its Jira site.
pub trait JiraSites: Send + Sync {
    /// The tenant's Jira site: REST base URL and request authorizer.
    fn site<'a>(&'a self, tenant: &'a StoredTenant) -> SiteFuture<'a>;
}
