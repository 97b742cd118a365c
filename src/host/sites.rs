//! The front doors as the domain's [`JiraSites`]: a tenant that came in through Forge is called through the API
//! gateway with the installation's system token, any other through its site URL with a Connect JWT.

use super::{connect::Connect, forge::Forge};
use crate::{
    jira::{JiraSites, SiteFuture},
    store::StoredTenant,
};

/// Both adapters, picking the tenant's own.
#[derive(Clone)]
pub struct HostSites {
    /// The Atlassian Connect adapter.
    pub connect: Connect,
    /// The Forge Remote adapter.
    pub forge: Forge,
}

impl JiraSites for HostSites {
    fn site<'a>(&'a self, stored: &'a StoredTenant) -> SiteFuture<'a> {
        Box::pin(async move {
            if stored
                .tenant
                .client_key
                .starts_with(super::forge::CLIENT_KEY_PREFIX)
            {
                self.forge.jira_site(stored).await
            } else {
                self.connect.jira_site(stored)
            }
        })
    }
}
