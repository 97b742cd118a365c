//! Jira's numeric issue id (`10001`), as it appears in panel URLs, token contexts and the permissions API.

use std::fmt;

/// A Jira issue id: a positive number (Jira sends it as a string in JSON, as a number in the permissions API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssueId(u64);

impl IssueId {
    /// Accept 1-20 ASCII digits naming a positive 64-bit number; anything else (signs, spaces, `0`) is not an id.
    pub fn parse(s: &str) -> Option<Self> {
        if !(1..=20).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u64>().ok().filter(|n| *n > 0).map(Self)
    }

    /// An id from JSON: a string of digits (how Jira writes ids) or a positive integer.
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        match v {
            serde_json::Value::String(s) => Self::parse(s),
            serde_json::Value::Number(n) => n.as_u64().filter(|n| *n > 0).map(Self),
            _ => None,
        }
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::IssueId;

    #[test]
    fn ids_are_positive_numbers_in_canonical_form() {
        assert_eq!(IssueId::parse("10001").map(IssueId::get), Some(10001));
        assert_eq!(
            IssueId::parse("007").map(|i| i.to_string()),
            Some("7".into())
        );
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1a",
            "DATA-1",
            "99999999999999999999",
            "123456789012345678901",
        ] {
            assert_eq!(IssueId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_from_json_strings_or_numbers() {
        assert_eq!(IssueId::from_json(&json!("10001")), IssueId::parse("10001"));
        assert_eq!(IssueId::from_json(&json!(10001)), IssueId::parse("10001"));
        for bad in [
            json!(0),
            json!(-3),
            json!(1.5),
            json!(null),
            json!({"id": 1}),
            json!("x"),
        ] {
            assert_eq!(IssueId::from_json(&bad), None, "{bad}");
        }
    }
}
