//! Whether a person may see an issue, as Jira decides it: `POST /rest/api/3/permissions/check` (Connect scope `READ`;
//! OAuth: no scope, granular `read:permission:jira`). Connect apps may ask about any account from their server;
//! other callers need *Administer Jira* to ask about someone else, and Jira answers 403 otherwise.

use serde::Deserialize;
use serde_json::json;

use super::{IssueId, JiraClient, JiraError, JiraOp, JiraRequest};

/// The project permission that lets a person see an issue (Jira's issue security applies on top of it).
const BROWSE_PROJECTS: &str = "BROWSE_PROJECTS";

/// `BulkProjectPermissionGrants`: one permission and the projects and issues it is granted on.
#[derive(Debug, Deserialize)]
struct ProjectGrant {
    permission: String,
    #[serde(default)]
    issues: Vec<u64>,
}

/// `BulkPermissionGrants` (the global permissions are not asked for, so not read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Grants {
    project_permissions: Vec<ProjectGrant>,
}

impl JiraClient {
    /// Whether `account_id` has Browse Projects on `issue` and may see it under its security level. An issue that
    /// does not exist is simply not granted (Jira ignores unknown ids).
    #[tracing::instrument(skip_all, fields(issue = %issue))]
    pub async fn can_browse_issue(
        &self,
        account_id: &str,
        issue: IssueId,
    ) -> Result<bool, JiraError> {
        let body = json!({
            "accountId": account_id,
            "projectPermissions": [{"permissions": [BROWSE_PROJECTS], "issues": [issue.get()]}],
        });
        let grants: Grants = self
            .post_json(JiraRequest::new(JiraOp::CheckPermissions), &body)
            .await?;
        Ok(grants
            .project_permissions
            .iter()
            .any(|g| g.permission == BROWSE_PROJECTS && g.issues.contains(&issue.get())))
    }
}
