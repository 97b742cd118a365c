//! `extract`: run an approved plan, build the bundle and upload it to the issue.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::{NewJob, RequestRow},
};

/// Tries before the request is failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// The request to extract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extract {
    /// Its tenant.
    pub tenant_id: String,
    /// The request, just moved to `extracting`.
    pub request_id: String,
}

impl Job for Extract {
    const KIND: JobKind = JobKind::Extract;
}

impl Extract {
    /// The extract job for a request that just moved to `extracting` (queued in the same transaction): one per
    /// approval and version.
    pub fn job(row: &RequestRow) -> NewJob {
        let p = Self {
            tenant_id: row.tenant_id.clone(),
            request_id: row.id.clone(),
        };
        NewJob {
            dedupe_key: Some(format!(
                "{}:{}:{}",
                row.id,
                row.approved_digest.as_deref().unwrap_or_default(),
                row.version
            )),
            ..super::new_job(&p, &row.tenant_id, MAX_ATTEMPTS)
        }
    }
}
