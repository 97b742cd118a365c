//! `reconcile`: search a site for the changes its webhooks missed.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::NewJob,
};

/// The site to search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconcile {
    /// Its tenant.
    pub tenant_id: String,
}

impl Job for Reconcile {
    const KIND: JobKind = JobKind::Reconcile;
}

impl Reconcile {
    /// The job for `tenant_id`: one queued per tenant, after other work, three tries.
    pub fn job(tenant_id: &str) -> NewJob {
        let p = Self {
            tenant_id: tenant_id.to_owned(),
        };
        NewJob {
            dedupe_key: Some(tenant_id.to_owned()),
            priority: -1,
            ..super::new_job(&p, tenant_id, 3)
        }
    }
}
