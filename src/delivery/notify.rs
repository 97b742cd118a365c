//! The `deliver_secret` job: after the bundle is attached, the people it is for get its secret by Slack direct
//! message — a one-time reveal link by default — and the request becomes `delivered`, or waits in
//! `awaiting_delivery` with the reason when someone cannot be reached.

use chrono::Utc;
use serde_json::json;

use crate::store::{DeliveryRow, NewJob};

/// Job kind.
pub const KIND: &str = "deliver_secret";

/// The job that sends `d`'s secret (queued with the upload's record).
pub fn job(d: &DeliveryRow) -> NewJob {
    NewJob {
        kind: KIND.into(),
        tenant_id: Some(d.tenant_id.clone()),
        payload: json!({"tenant_id": d.tenant_id, "delivery_id": d.id}),
        dedupe_key: Some(format!("secret:{}", d.id)),
        priority: 0,
        run_at: Utc::now(),
        max_attempts: 50,
    }
}
