//! People on the site: an account's e-mail address (only for apps Atlassian approved for it) and display name.

use serde::Deserialize;

use super::{JiraClient, JiraError};

#[derive(Deserialize)]
struct Email {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    #[serde(default)]
    display_name: Option<String>,
}

/// `accountId=…`, encoded.
fn account_query(account_id: &str) -> String {
    let encoded =
        percent_encoding::utf8_percent_encode(account_id, percent_encoding::NON_ALPHANUMERIC);
    format!("accountId={encoded}")
}

impl JiraClient {
    /// `GET /rest/api/3/user/email`: the account's e-mail address (`None` if Jira sends none). Jira answers 403
    /// ([`JiraError::Forbidden`]) unless Atlassian approved the app for this API, and 404 ([`JiraError::NotFound`])
    /// for an account that does not exist or that the app may not see.
    #[tracing::instrument(skip_all)]
    pub async fn user_email(&self, account_id: &str) -> Result<Option<String>, JiraError> {
        let path = format!("/rest/api/3/user/email?{}", account_query(account_id));
        let found: Email = self.get_json(&path).await?;
        Ok(found.email.filter(|e| !e.trim().is_empty()))
    }

    /// `GET /rest/api/3/user`: the account's display name (`None` if Jira hides it).
    #[tracing::instrument(skip_all)]
    pub async fn user_display_name(&self, account_id: &str) -> Result<Option<String>, JiraError> {
        let path = format!("/rest/api/3/user?{}", account_query(account_id));
        let found: User = self.get_json(&path).await?;
        Ok(found.display_name.filter(|n| !n.trim().is_empty()))
    }
}
