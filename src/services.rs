//! What domain code and jobs use of the running service: the configuration, the store, the outbound HTTP client,
//! metrics, and a Jira client for any tenant (through whichever front door it came in by). HTTP code holds more
//! (`web::AppState`); the domain gets only this, or the workflow's [`Context`](crate::requests::Context) built on it.

use std::sync::Arc;

use anyhow::Context as _;

use crate::{
    config::Config,
    error::AuthError,
    jira::{JiraClient, JiraSites},
    metrics::Metrics,
    store::{Store, StoredTenant},
    tenant::Tenant,
};

/// The service's shared parts, cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// Validated configuration.
    pub cfg: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The one outbound HTTP client (Jira, Slack, key servers).
    pub http: reqwest::Client,
    /// Prometheus metrics of this instance.
    pub metrics: Arc<Metrics>,
    /// Where each tenant's Jira is and how to authorize calls to it.
    pub sites: Arc<dyn JiraSites>,
}

impl Services {
    /// A Jira client for `tenant` (reads its stored credentials).
    pub async fn jira(&self, tenant: &Tenant) -> anyhow::Result<JiraClient> {
        let stored = self
            .store
            .tenant_by_client_key(&tenant.client_key)
            .await?
            .with_context(|| format!("tenant {} is gone", tenant.client_key))?;
        Ok(self.jira_for(&stored).await?)
    }

    /// A Jira client for a tenant already loaded: Connect signs with its sealed secret; Forge uses the installation's
    /// newest system token at its verified API base URL.
    pub async fn jira_for(&self, stored: &StoredTenant) -> Result<JiraClient, AuthError> {
        let site = self.sites.site(stored).await?;
        Ok(JiraClient::new(self.http.clone(), site).with_metrics(self.metrics.clone()))
    }
}
