//! Where a request can be: the states of the workflow, their stored names, and which are still open.

use std::fmt;

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

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored state name Clearance does not know.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown request state {0:?}")]
pub struct UnknownState(pub String);

impl TryFrom<String> for State {
    type Error = UnknownState;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or(UnknownState(name))
    }
}

#[cfg(test)]
mod tests {
    use super::{State, UnknownState};

    #[test]
    fn every_state_round_trips_by_its_name() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_eq!(State::try_from(s.as_str().to_owned()), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        let names: std::collections::HashSet<_> = State::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), State::ALL.len());
    }

    #[test]
    fn an_unknown_name_is_refused_by_name() {
        let e = State::try_from("reviewing".to_owned()).unwrap_err();
        assert_eq!(e, UnknownState("reviewing".into()));
        assert_eq!(e.to_string(), "unknown request state \"reviewing\"");
    }
}
