//! `sync_issue`: bring a request in line with its Jira issue.

use serde::{Deserialize, Serialize};

use crate::{
    jobs::{Job, JobKind},
    store::NewJob,
};

/// The issue to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIssue {
    /// Its tenant.
    pub tenant_id: String,
    /// The Jira issue id.
    pub issue_id: String,
}

impl Job for SyncIssue {
    const KIND: JobKind = JobKind::SyncIssue;
}

impl SyncIssue {
    /// The job for `issue_id` of `tenant_id`: one queued per issue, eight tries.
    pub fn job(tenant_id: &str, issue_id: &str) -> NewJob {
        let p = Self {
            tenant_id: tenant_id.to_owned(),
            issue_id: issue_id.to_owned(),
        };
        NewJob {
            dedupe_key: Some(format!("{tenant_id}:{issue_id}")),
            ..super::new_job(&p, tenant_id, 8)
        }
    }
}
