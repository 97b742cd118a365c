//! `team_notice`: tell the site's Slack channel about a request, in audit order.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::{JobOrder, NewJob, RequestRow},
};

/// The audit event to announce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamNotice {
    /// The request's tenant.
    pub tenant_id: String,
    /// The request.
    pub request_id: String,
    /// The audit event's number in the tenant's chain.
    pub seq: i64,
}

impl Job for TeamNotice {
    const KIND: JobKind = JobKind::TeamNotice;
}

impl TeamNotice {
    /// The notice of audit event `seq` about `row`: one per event, eight tries, after the request's earlier ones.
    pub fn job(row: &RequestRow, seq: i64) -> NewJob {
        let p = Self {
            tenant_id: row.tenant_id.clone(),
            request_id: row.id.clone(),
            seq,
        };
        NewJob {
            dedupe_key: Some(format!("{}:{seq}", row.id)),
            order: Some(JobOrder {
                key: format!("{}:{}", Self::KIND.name(), row.id),
                seq,
            }),
            ..super::new_job(&p, &row.tenant_id, 8)
        }
    }
}
