//! `remind_expiry`: remind people that a bundle is about to be removed.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::{DeliveryRow, NewJob},
};

/// The delivery to remind of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemindExpiry {
    /// Its tenant.
    pub tenant_id: String,
    /// The delivery.
    pub delivery_id: String,
}

impl Job for RemindExpiry {
    const KIND: JobKind = JobKind::RemindExpiry;
}

impl RemindExpiry {
    /// The job for `d`: one queued per delivery, 6 tries.
    pub fn job(d: &DeliveryRow) -> NewJob {
        let p = Self {
            tenant_id: d.tenant_id.clone(),
            delivery_id: d.id.clone(),
        };
        super::delivery_job(&p, d, 6)
    }
}
