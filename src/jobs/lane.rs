//! Job lanes: every job kind Clearance runs, the lane it runs in, and how many jobs each lane runs at once. Long jobs
//! (an extraction builds and uploads a bundle, for minutes) have slots of their own and a per-tenant limit, so one
//! site's extraction never holds up anyone's syncs, write-backs, notices, secrets or retention removals.

use crate::config::LaneSlots;

/// Every kind of job Clearance runs; the name is what the `jobs.kind` column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Bring a request in line with its Jira issue (`sync_issue`).
    SyncIssue,
    /// Search a site for changes its webhooks missed (`reconcile`).
    Reconcile,
    /// Write a request's state to its issue: property and comments (`issue_writeback`).
    IssueWriteback,
    /// Tell the site's Slack channel about a request (`team_notice`).
    TeamNotice,
    /// Run an approved plan, build the bundle and upload it to the issue (`extract`).
    Extract,
    /// Send a delivered bundle's secret by Slack (`deliver_secret`).
    DeliverSecret,
    /// Remove a delivered bundle when its retention ends (`expire_delivery`).
    ExpireDelivery,
    /// Remind people that a bundle is about to be removed (`remind_expiry`).
    RemindExpiry,
}

impl JobKind {
    /// Every kind, once.
    pub const ALL: [JobKind; 8] = [
        JobKind::SyncIssue,
        JobKind::Reconcile,
        JobKind::IssueWriteback,
        JobKind::TeamNotice,
        JobKind::Extract,
        JobKind::DeliverSecret,
        JobKind::ExpireDelivery,
        JobKind::RemindExpiry,
    ];

    /// The stored name (handlers register under it).
    pub const fn name(self) -> &'static str {
        match self {
            JobKind::SyncIssue => "sync_issue",
            JobKind::Reconcile => "reconcile",
            JobKind::IssueWriteback => "issue_writeback",
            JobKind::TeamNotice => "team_notice",
            JobKind::Extract => "extract",
            JobKind::DeliverSecret => "deliver_secret",
            JobKind::ExpireDelivery => "expire_delivery",
            JobKind::RemindExpiry => "remind_expiry",
        }
    }

    /// What a job of this kind is doing, for people ("waiting for Jira: …").
    pub const fn doing(self) -> &'static str {
        match self {
            JobKind::SyncIssue => "reading the issue",
            JobKind::Reconcile => "looking for missed changes",
            JobKind::IssueWriteback => "updating the issue",
            JobKind::TeamNotice => "telling the data team",
            JobKind::Extract => "extracting and attaching the file",
            JobKind::DeliverSecret => "sending the file's password",
            JobKind::ExpireDelivery => "removing the expired file",
            JobKind::RemindExpiry => "reminding people the file expires",
        }
    }

    /// The lane this kind runs in: the one place that decides it.
    pub const fn lane(self) -> Lane {
        match self {
            // Runs a warehouse query for up to the source's statement timeout, then uploads the bundle.
            JobKind::Extract => Lane::Long,
            JobKind::SyncIssue
            | JobKind::Reconcile
            | JobKind::IssueWriteback
            | JobKind::TeamNotice
            | JobKind::DeliverSecret
            | JobKind::ExpireDelivery
            | JobKind::RemindExpiry => Lane::Short,
        }
    }

    /// The kind stored as `name`, if Clearance knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Which slots of a worker a job runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Quick calls to Jira, Slack and the store: sync, reconcile, write-back, notices, secrets, retention.
    Short,
    /// Jobs that may run for minutes (extraction and upload), at most a few per tenant at once.
    Long,
}

impl Lane {
    /// Both lanes.
    pub const ALL: [Lane; 2] = [Lane::Short, Lane::Long];

    /// The lane of a job stored with kind `name`. A kind Clearance does not know (no handler: it ends dead at once)
    /// is short.
    pub fn of(name: &str) -> Lane {
        JobKind::from_name(name).map_or(Lane::Short, JobKind::lane)
    }

    /// The names of the kinds that run in this lane.
    pub fn kinds(self) -> Vec<&'static str> {
        JobKind::ALL
            .into_iter()
            .filter(|k| k.lane() == self)
            .map(JobKind::name)
            .collect()
    }
}

/// The slots of `lane` in one worker.
pub fn slots_of(slots: &LaneSlots, lane: Lane) -> usize {
    match lane {
        Lane::Short => slots.short.get(),
        Lane::Long => slots.long.get(),
    }
}

#[cfg(test)]
mod tests {
    use super::{JobKind, Lane};

    #[test]
    fn all_lists_each_kind_once_under_its_own_name() {
        for (i, k) in JobKind::ALL.iter().enumerate() {
            // A new kind fails to compile here until it is added to `ALL` (and `lane` gives it a lane).
            match k {
                JobKind::SyncIssue
                | JobKind::Reconcile
                | JobKind::IssueWriteback
                | JobKind::TeamNotice
                | JobKind::Extract
                | JobKind::DeliverSecret
                | JobKind::ExpireDelivery
                | JobKind::RemindExpiry => {}
            }
            assert_eq!(*k as usize, i, "{k:?} out of place in ALL");
            assert_eq!(JobKind::from_name(k.name()), Some(*k));
        }
    }

    #[test]
    fn extraction_is_the_long_lane_and_unknown_kinds_are_short() {
        assert_eq!(Lane::Long.kinds(), vec!["extract"]);
        assert_eq!(Lane::of("extract"), Lane::Long);
        assert_eq!(Lane::of("issue_writeback"), Lane::Short);
        assert_eq!(Lane::of("nobody-handles-this"), Lane::Short);
        assert_eq!(
            Lane::Short.kinds().len() + Lane::Long.kinds().len(),
            JobKind::ALL.len()
        );
    }
}
