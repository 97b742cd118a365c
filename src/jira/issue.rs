//! An issue's fields as Clearance reads them (`GET /rest/api/3/issue/{issueIdOrKey}`): the fields a data request
//! is made of, and an issue's attachments.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Attachment, JiraClient, JiraError, JiraOp, JiraRequest, adf};

/// The fields [`JiraClient::issue`] asks for: those [`Issue`] reads.
const FIELDS: &str = "summary,description,reporter,labels,project,attachment,status";

/// What Clearance reads of an issue. Jira's answer is read leniently: a field that is missing or of another type
/// reads as empty (or `None`), never as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Issue {
    /// `DATA-7`.
    pub key: String,
    /// The issue's project key.
    pub project_key: String,
    /// One-line summary.
    pub summary: String,
    /// The description as plain text (ADF flattened by [`adf::plain_text`]).
    pub description: String,
    /// The reporter's account id.
    pub reporter: Option<String>,
    /// Labels (those that are strings).
    pub labels: Vec<String>,
    /// Attachments, as Jira describes them.
    pub attachments: Vec<IssueAttachment>,
    /// The key of the status's category (`new`, `indeterminate`, `done`).
    pub status_category: Option<String>,
}

/// One attachment of [`Issue::attachments`]: each field as Jira sent it, `None` when it sent none (or another type).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssueAttachment {
    /// Attachment id (Jira sends a string).
    pub id: Option<String>,
    /// File name.
    pub filename: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// When it was attached (Jira's timestamp text).
    pub created: Option<String>,
}

impl Issue {
    /// Whether the issue's status is in the *done* category (the issue is closed).
    pub fn is_done(&self) -> bool {
        self.status_category.as_deref() == Some("done")
    }

    /// The issue in Jira's JSON (`{key, fields: {…}}`), read leniently.
    fn from_json(issue: &Value) -> Self {
        let f = &issue["fields"];
        let string = |v: &Value| v.as_str().map(str::to_owned);
        Self {
            key: string(&issue["key"]).unwrap_or_default(),
            project_key: string(&f["project"]["key"]).unwrap_or_default(),
            summary: string(&f["summary"]).unwrap_or_default(),
            description: adf::plain_text(&f["description"]),
            reporter: string(&f["reporter"]["accountId"]),
            labels: f["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(string)
                .collect(),
            attachments: f["attachment"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| IssueAttachment {
                    id: string(&a["id"]),
                    filename: string(&a["filename"]),
                    size: a["size"].as_u64(),
                    mime_type: string(&a["mimeType"]),
                    created: string(&a["created"]),
                })
                .collect(),
            status_category: string(&f["status"]["statusCategory"]["key"]),
        }
    }
}

impl IssueAttachment {
    /// `{id, filename, size, mimeType, created}`, as Clearance stores an issue's attachments (`null` for a field
    /// Jira did not send).
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "filename": self.filename, "size": self.size, "mimeType": self.mime_type,
               "created": self.created})
    }
}

impl JiraClient {
    /// `GET /rest/api/3/issue/{issue}`: the fields of the issue (id or key) Clearance reads. An issue that does not
    /// exist, or that the app may not see, is [`JiraError::NotFound`].
    #[tracing::instrument(skip_all, fields(issue))]
    pub async fn issue(&self, issue: &str) -> Result<Issue, JiraError> {
        let req = JiraRequest::new(JiraOp::Issue)
            .param(issue)
            .query("fields", FIELDS);
        let found: Value = self.get_json(req).await?;
        Ok(Issue::from_json(&found))
    }

    /// The attachments on an issue (`GET /rest/api/3/issue/{key}?fields=attachment`).
    pub async fn issue_attachments(&self, issue: &str) -> Result<Vec<Attachment>, JiraError> {
        #[derive(Deserialize)]
        struct Found {
            fields: Fields,
        }
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            attachment: Vec<Attachment>,
        }
        let req = JiraRequest::new(JiraOp::Issue)
            .param(issue)
            .query("fields", "attachment");
        let found: Found = self.get_json(req).await?;
        Ok(found.fields.attachment)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_are_read_leniently() {
        let issue = Issue::from_json(&json!({
            "key": "DATA-7",
            "fields": {
                "summary": "Churn", "labels": ["data-request", 3, "x"], "project": {"key": "DATA"},
                "reporter": {"accountId": "557058:ana"},
                "description": {"type": "doc", "version": 1, "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "Hello"}]}]},
                "attachment": [{"id": "10", "filename": "ids.csv", "size": 12, "mimeType": "text/csv",
                                "created": "2026-12-01T00:00:00.000+0000", "author": {}}, {"id": 11}],
                "status": {"statusCategory": {"key": "done"}}
            }
        }));
        assert_eq!(issue.key, "DATA-7");
        assert_eq!(issue.project_key, "DATA");
        assert_eq!(issue.description, "Hello");
        assert_eq!(issue.reporter.as_deref(), Some("557058:ana"));
        assert_eq!(issue.labels, ["data-request", "x"]);
        assert!(issue.is_done());
        assert_eq!(
            issue.attachments[0].to_json(),
            json!({"id": "10", "filename": "ids.csv", "size": 12, "mimeType": "text/csv",
                   "created": "2026-12-01T00:00:00.000+0000"})
        );
        assert_eq!(
            issue.attachments[1].to_json(),
            json!({"id": null, "filename": null, "size": null, "mimeType": null, "created": null})
        );
        assert_eq!(Issue::from_json(&json!(null)), Issue::default());
    }
}
