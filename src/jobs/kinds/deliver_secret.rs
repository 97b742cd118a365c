//! `deliver_secret`: send a delivered bundle's secret by Slack.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::{DeliveryRow, NewJob},
};

/// The delivery whose secret to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverSecret {
    /// Its tenant.
    pub tenant_id: String,
    /// The delivery.
    pub delivery_id: String,
}

impl Job for DeliverSecret {
    const KIND: JobKind = JobKind::DeliverSecret;
}

impl DeliverSecret {
    /// The job for `d`: one queued per delivery, 50 tries.
    pub fn job(d: &DeliveryRow) -> NewJob {
        let p = Self {
            tenant_id: d.tenant_id.clone(),
            delivery_id: d.id.clone(),
        };
        super::delivery_job(&p, d, 50)
    }
}
