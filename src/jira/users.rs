//! People on the site: an account's e-mail address (only for apps Atlassian approved for it), display name and
//! groups.

use serde::Deserialize;

use super::{JiraClient, JiraError, JiraOp, JiraRequest};

#[derive(Deserialize)]
struct Email {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    #[serde(default)]
    display_name: Option<String>,
}

impl JiraClient {
    /// `GET /rest/api/3/user/email`: the account's e-mail address (`None` if Jira sends none). Jira answers 403
    /// ([`JiraError::Forbidden`]) unless Atlassian approved the app for this API, 404 ([`JiraError::NotFound`])
    /// for an account that does not exist or that the app may not see, and refuses the app
    /// ([`JiraError::MissingScope`]) when its descriptor lacks `ACCESS_EMAIL_ADDRESSES` (Connect) or its manifest
    /// `read:email-address:jira` (Forge).
    #[tracing::instrument(skip_all)]
    pub async fn user_email(&self, account_id: &str) -> Result<Option<String>, JiraError> {
        let req = JiraRequest::new(JiraOp::UserEmail).query("accountId", account_id);
        let found: Email = self.get_json(req).await?;
        Ok(found.email.filter(|e| !e.trim().is_empty()))
    }

    /// `GET /rest/api/3/user`: the account's display name (`None` if Jira hides it).
    #[tracing::instrument(skip_all)]
    pub async fn user_display_name(&self, account_id: &str) -> Result<Option<String>, JiraError> {
        let req = JiraRequest::new(JiraOp::User).query("accountId", account_id);
        let found: User = self.get_json(req).await?;
        Ok(found.display_name.filter(|n| !n.trim().is_empty()))
    }

    /// `GET /rest/api/3/user/groups`: the names of the account's groups.
    #[tracing::instrument(skip_all)]
    pub async fn user_groups(&self, account_id: &str) -> Result<Vec<String>, JiraError> {
        let req = JiraRequest::new(JiraOp::UserGroups).query("accountId", account_id);
        let groups: Vec<Group> = self.get_json(req).await?;
        Ok(groups.into_iter().map(|g| g.name).collect())
    }
}
