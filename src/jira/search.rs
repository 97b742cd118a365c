//! JQL search for issue ids (`GET /rest/api/3/search/jql`), one page at a time with Jira's `nextPageToken`.

use serde_json::Value;

use super::{JiraClient, JiraError, JiraOp, JiraRequest};

/// One page of a search for issue ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssueIdPage {
    /// The ids of the issues found (those Jira sent as strings).
    pub issue_ids: Vec<String>,
    /// The token for the next page, if Jira sent one.
    pub next_page_token: Option<String>,
    /// Whether this is the last page: Jira did not say `isLast: false`.
    pub is_last: bool,
}

impl IssueIdPage {
    /// A page in Jira's JSON, read leniently.
    fn from_json(page: &Value) -> Self {
        Self {
            issue_ids: page["issues"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|issue| issue["id"].as_str().map(str::to_owned))
                .collect(),
            next_page_token: page["nextPageToken"].as_str().map(str::to_owned),
            is_last: page["isLast"] != false,
        }
    }
}

impl JiraClient {
    /// The ids of the issues `jql` finds, at most `max_results` per page; pass the previous page's
    /// [`next_page_token`](IssueIdPage::next_page_token) for the next one.
    #[tracing::instrument(skip_all)]
    pub async fn search_issue_ids(
        &self,
        jql: &str,
        max_results: u32,
        next_page_token: Option<&str>,
    ) -> Result<IssueIdPage, JiraError> {
        let mut req = JiraRequest::new(JiraOp::SearchJql)
            .query("jql", jql)
            .query("maxResults", max_results)
            .query("fields", "id");
        if let Some(token) = next_page_token {
            req = req.query("nextPageToken", token);
        }
        let page: Value = self.get_json(req).await?;
        Ok(IssueIdPage::from_json(&page))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::IssueIdPage;

    #[test]
    fn pages_are_read_leniently() {
        let page = IssueIdPage::from_json(&json!({
            "issues": [{"id": "10001"}, {"id": 10002}, {}], "nextPageToken": "t", "isLast": false
        }));
        assert_eq!(page.issue_ids, ["10001"]);
        assert_eq!(page.next_page_token.as_deref(), Some("t"));
        assert!(!page.is_last);
        assert!(IssueIdPage::from_json(&json!({"issues": []})).is_last);
        assert!(IssueIdPage::from_json(&json!({"isLast": "false"})).is_last);
    }
}
