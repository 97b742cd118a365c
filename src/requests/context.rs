//! What the workflow's code and jobs (requests and deliveries) work with: the service's shared parts, and the brief
//! caches and source policy the workflow's rules read.

use std::{ops::Deref, sync::Arc};

use super::{people::NameCache, roles::GroupCache, visibility::IssueAccess};
use crate::{extract::source_policy::SourcePolicy, services::Services};

/// The workflow's context, cheap to clone (job handlers get their own).
#[derive(Clone)]
pub struct Context {
    /// Configuration, store, HTTP client, metrics, Jira clients.
    pub services: Services,
    /// Users' Jira groups, cached briefly for role checks.
    pub groups: Arc<GroupCache>,
    /// People's display names, cached briefly for the panel.
    pub names: Arc<NameCache>,
    /// Jira's answers to who may see which issue, cached briefly for the panel API.
    pub issue_access: Arc<IssueAccess>,
    /// What data sources may reach, with this deployment's own database refused.
    pub source_policy: Arc<SourcePolicy>,
}

impl Context {
    /// The workflow's context over `services`, with empty caches.
    pub fn new(services: Services) -> Self {
        let source_policy = Arc::new(SourcePolicy::new(
            services.cfg.source_policy.clone(),
            &services.cfg.database_url,
        ));
        let issue_access = Arc::new(IssueAccess::new(services.cfg.issue_access_ttl));
        Self {
            services,
            groups: Arc::new(GroupCache::default()),
            names: Arc::default(),
            issue_access,
            source_policy,
        }
    }
}

impl Deref for Context {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}
