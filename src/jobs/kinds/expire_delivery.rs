//! `expire_delivery`: remove a delivered bundle (retention ended, issue closed, erasure).

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::{DeliveryRow, NewJob},
};

/// The delivery to remove, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireDelivery {
    /// Its tenant.
    pub tenant_id: String,
    /// The delivery.
    pub delivery_id: String,
    /// `retention`, `issue closed` or `erasure`.
    pub why: String,
}

impl Job for ExpireDelivery {
    const KIND: JobKind = JobKind::ExpireDelivery;
}

impl ExpireDelivery {
    /// The job that removes `d` now, for `why`: one queued per delivery, twenty tries.
    pub fn job(d: &DeliveryRow, why: &str) -> NewJob {
        let p = Self {
            tenant_id: d.tenant_id.clone(),
            delivery_id: d.id.clone(),
            why: why.to_owned(),
        };
        super::delivery_job(&p, d, 20)
    }
}
