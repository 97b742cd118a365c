//! Where a request can be: the states of the workflow, their stored names, and which are still open.

use serde::{Deserialize, Serialize};

/// Where a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Picked up from Jira, nobody has looked at it yet.
    New,
    /// An analyst is reviewing it and writing the plan.
    InReview,
    /// Personal data is involved; a privacy officer must approve the plan.
    AwaitingPrivacyApproval,
    /// The plan (by its digest) may be run.
    Approved,
    /// The extraction is running.
    Extracting,
    /// The bundle is on the issue, but its secret has not reached everyone yet (the reason says who and why).
    AwaitingDelivery,
    /// The bundle is on the issue and its secret was sent.
    Delivered,
    /// The bundle was removed after its retention period.
    Expired,
    /// Not feasible or not allowed; the reason says why.
    Rejected,
    /// The extraction or delivery failed; the reason says what to do.
    Failed,
    /// The trigger label was removed or the issue deleted.
    Cancelled,
}

impl State {
    /// Every state, in workflow order.
    pub const ALL: [State; 11] = [
        State::New,
        State::InReview,
        State::AwaitingPrivacyApproval,
        State::Approved,
        State::Extracting,
        State::AwaitingDelivery,
        State::Delivered,
        State::Expired,
        State::Rejected,
        State::Failed,
        State::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::InReview => "in_review",
            State::AwaitingPrivacyApproval => "awaiting_privacy_approval",
            State::Approved => "approved",
            State::Extracting => "extracting",
            State::AwaitingDelivery => "awaiting_delivery",
            State::Delivered => "delivered",
            State::Expired => "expired",
            State::Rejected => "rejected",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A bundle is attached to the issue.
    pub fn has_attachment(self) -> bool {
        matches!(self, State::AwaitingDelivery | State::Delivered)
    }

    /// Still in progress: a Jira-side cancellation applies.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::New
                | State::InReview
                | State::AwaitingPrivacyApproval
                | State::Approved
                | State::Extracting
                | State::Failed
        )
    }
}
