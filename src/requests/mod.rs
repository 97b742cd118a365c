//! The domain core: data requests mirrored from Jira issues. Webhooks are stored and turned into sync jobs (intake);
//! the sync job reads the issue through the Jira client and creates, refreshes or cancels the request; a periodic
//! reconciliation finds what dropped webhooks missed. People move requests through review and approval with commands
//! checked by the state machine, roles and separation of duties; every change is audited and written back to Jira.

pub mod commands;
mod context;
pub mod delivery_comment;
pub mod dry_run;
pub mod events;
mod http_errors;
pub mod intake;
pub mod machine;
pub mod people;
pub mod plan;
pub mod plan_inputs;
pub mod recipes;
pub mod reconcile;
pub mod roles;
pub mod scan;
pub mod settings;
pub use crate::model::state;
pub mod sync;
pub mod team_notice;
pub mod ttl_cache;
pub mod visibility;
pub mod waiting;
pub mod writeback;

#[cfg(test)]
mod adf_schema_tests;
#[cfg(test)]
mod jira_body_snapshot_tests;

pub use context::Context;

use crate::jobs::kinds::{IssueWriteback, Reconcile, SyncIssue, TeamNotice};
use crate::{
    jobs::{JobError, Runner},
    store::{Store, StoredTenant},
};

/// Register the request jobs with a runner.
pub fn register(runner: &mut Runner<Context>) {
    runner.register_job::<SyncIssue>();
    runner.register_job::<Reconcile>();
    runner.register_job::<IssueWriteback>();
    runner.register_job::<TeamNotice>();
}

/// The tenant a job works for: a tenant that is gone fails the job for good; an inactive one (disabled,
/// uninstalled) gives `None`, and the job has nothing to do.
pub(crate) async fn active_tenant(
    store: &Store,
    tenant_id: &str,
) -> Result<Option<StoredTenant>, JobError> {
    let stored = store
        .tenant_by_id(tenant_id)
        .await?
        .ok_or_else(|| JobError::Permanent(format!("tenant {tenant_id} is gone")))?;
    if !stored.tenant.state.is_active() {
        tracing::info!(tenant = %stored.tenant.client_key, "tenant not active; job skipped");
        return Ok(None);
    }
    Ok(Some(stored))
}
