//! The issue a host's token says its UI is shown on. Connect context JWTs carry it at `context.jira.issue.id`,
//! Forge invocation tokens at `context.extension.issue.id`; both write the id as a string.

use serde_json::Value;

use super::AuthError;
use crate::jira::IssueId;

/// `context.{scope}.issue.id` of a verified token's context. `None` when the context names no issue; an issue
/// without a usable id is refused, never read as "no issue".
pub(super) fn issue_in(context: Option<&Value>, scope: &str) -> Result<Option<IssueId>, AuthError> {
    let Some(issue) = context
        .and_then(|c| c.get(scope))
        .and_then(|s| s.get("issue"))
        .filter(|i| !i.is_null())
    else {
        return Ok(None);
    };
    issue
        .get("id")
        .and_then(IssueId::from_json)
        .map(Some)
        .ok_or_else(|| AuthError::Invalid(format!("context.{scope}.issue has no issue id")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::issue_in;
    use crate::jira::IssueId;

    #[test]
    fn the_issue_is_read_from_the_context_scope() {
        let connect = json!({"jira": {"issue": {"id": "10001", "key": "DATA-1"}, "project": {"key": "DATA"}}});
        assert_eq!(
            issue_in(Some(&connect), "jira").unwrap(),
            IssueId::parse("10001")
        );
        let forge = json!({"cloudId": "c", "extension": {"type": "jira:issuePanel", "issue": {"id": "10002"}}});
        assert_eq!(
            issue_in(Some(&forge), "extension").unwrap(),
            IssueId::parse("10002")
        );
        // The other host's place is not read.
        assert_eq!(issue_in(Some(&forge), "jira").unwrap(), None);
    }

    #[test]
    fn no_issue_is_none_and_a_broken_issue_is_refused() {
        for none in [
            json!({}),
            json!({"jira": {}}),
            json!({"jira": {"project": {"key": "DATA"}}}),
            json!({"jira": {"issue": null}}),
        ] {
            assert_eq!(issue_in(Some(&none), "jira").unwrap(), None, "{none}");
        }
        assert_eq!(issue_in(None, "jira").unwrap(), None);
        for bad in [
            json!({"jira": {"issue": {"key": "DATA-1"}}}),
            json!({"jira": {"issue": {"id": "DATA-1"}}}),
            json!({"jira": {"issue": {"id": "0"}}}),
            json!({"jira": {"issue": "10001"}}),
        ] {
            assert!(issue_in(Some(&bad), "jira").is_err(), "{bad}");
        }
    }
}
