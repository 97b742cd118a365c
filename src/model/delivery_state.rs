//! Where a delivery (one bundle built from an approved plan) is: the states of its life and their stored names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a delivery is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// The extraction is writing the bundle.
    Building,
    /// The bundle is finished and waits to be attached to the issue.
    Built,
    /// The bundle is attached to the issue.
    Uploaded,
    /// The attachment was removed (end of retention, issue closed, erasure).
    Expired,
    /// The build or upload failed, or an erasure stopped it; the error says why.
    Failed,
}

impl DeliveryState {
    /// Every state, in the order a delivery passes through them.
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Building,
        DeliveryState::Built,
        DeliveryState::Uploaded,
        DeliveryState::Expired,
        DeliveryState::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Building => "building",
            DeliveryState::Built => "built",
            DeliveryState::Uploaded => "uploaded",
            DeliveryState::Expired => "expired",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored delivery state name Clearance does not know.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery state {0:?}")]
pub struct UnknownDeliveryState(pub String);

impl TryFrom<String> for DeliveryState {
    type Error = UnknownDeliveryState;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or(UnknownDeliveryState(name))
    }
}

#[cfg(test)]
mod tests {
    use super::{DeliveryState, UnknownDeliveryState};

    #[test]
    fn every_state_round_trips_by_its_name() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
            assert_eq!(DeliveryState::try_from(s.as_str().to_owned()), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        let names: std::collections::HashSet<_> =
            DeliveryState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), DeliveryState::ALL.len());
    }

    #[test]
    fn an_unknown_name_is_refused_by_name() {
        let e = DeliveryState::try_from("sent".to_owned()).unwrap_err();
        assert_eq!(e, UnknownDeliveryState("sent".into()));
        assert_eq!(e.to_string(), "unknown delivery state \"sent\"");
    }
}
