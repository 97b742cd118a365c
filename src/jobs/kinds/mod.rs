//! Every job kind's payload, one file each, with how it is queued (tenant, de-duplication, priority, tries, order).
//! The handlers live with the code they run (`requests/`, `delivery/`); queuing a job needs only this module, so the
//! workflow can queue a delivery's job without depending on the delivery code.

mod deliver_secret;
mod expire_delivery;
mod extract;
mod issue_writeback;
mod reconcile;
mod remind_expiry;
mod sync_issue;
mod team_notice;

pub use deliver_secret::DeliverSecret;
pub use expire_delivery::ExpireDelivery;
pub use extract::Extract;
pub use issue_writeback::IssueWriteback;
pub use reconcile::Reconcile;
pub use remind_expiry::RemindExpiry;
pub use sync_issue::SyncIssue;
pub use team_notice::TeamNotice;

use chrono::Utc;

use super::job::{Job, to_json};
use crate::store::{DeliveryRow, NewJob};

/// A job of `payload`'s kind for `tenant_id`, due now, without de-duplication or order.
fn new_job<J: Job>(payload: &J, tenant_id: &str, max_attempts: i32) -> NewJob {
    NewJob {
        kind: J::KIND.name().into(),
        tenant_id: Some(tenant_id.to_owned()),
        payload: to_json(payload),
        dedupe_key: None,
        priority: 0,
        run_at: Utc::now(),
        max_attempts,
        order: None,
    }
}

/// A job about one delivery: one queued per delivery.
fn delivery_job<J: Job>(payload: &J, d: &DeliveryRow, max_attempts: i32) -> NewJob {
    NewJob {
        dedupe_key: Some(d.id.clone()),
        ..new_job(payload, &d.tenant_id, max_attempts)
    }
}
