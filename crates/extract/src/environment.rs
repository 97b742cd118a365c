//! Which environment a data source belongs to: staging (test data) or production (real data, read-only accounts only).

/// Which environment a source belongs to; production sources must be read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Test data; the read-only check is not required.
    Staging,
    /// Real data; the account must not be able to write.
    Production,
}

impl Environment {
    /// `staging` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// The environment with this name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "staging" => Some(Self::Staging),
            "production" => Some(Self::Production),
            _ => None,
        }
    }
}
