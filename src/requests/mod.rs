//! The domain core: data requests mirrored from Jira issues. Webhooks are stored and turned into sync jobs (intake);
//! the sync job reads the issue through the Jira client and creates, refreshes or cancels the request; a periodic
//! reconciliation finds what dropped webhooks missed.

pub mod intake;
pub mod reconcile;
pub mod sync;

use crate::{
    app::AppState,
    jobs::{JobError, Runner},
    store::{Store, StoredTenant},
};

/// Request states (the state machine's commands arrive with the review and approval work).
pub mod state {
    /// Picked up from Jira, nobody has looked at it yet.
    pub const NEW: &str = "new";
    /// The trigger label was removed or the issue deleted; kept, not deleted.
    pub const CANCELLED: &str = "cancelled";
    /// States a request can still be cancelled from by Jira-side changes.
    pub const OPEN: [&str; 6] = [
        "new",
        "in_review",
        "awaiting_privacy_approval",
        "approved",
        "extracting",
        "failed",
    ];
}

/// Register the request jobs with a runner.
pub fn register(runner: &mut Runner<AppState>) {
    runner.register(sync::KIND, sync::run);
    runner.register(reconcile::KIND, reconcile::run);
}

/// The tenant a job works for: a tenant that is gone fails the job for good; an inactive one (disabled,
/// uninstalled) gives `None`, and the job has nothing to do.
async fn active_tenant(store: &Store, tenant_id: &str) -> Result<Option<StoredTenant>, JobError> {
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
