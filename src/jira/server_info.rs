//! The site's own URL from Jira's `serverInfo`, which Jira answers without credentials: a Forge remote reads it
//! from its API base before it has anything to sign with.

use serde_json::Value;
use url::Url;

use super::{JiraError, JiraOp, JiraRequest};

/// `GET {api_base}/rest/api/3/serverInfo` without credentials (no metrics either: nothing of a tenant's is
/// called): the `baseUrl` Jira names, `None` when its answer has none.
#[tracing::instrument(skip_all)]
pub async fn server_base_url(
    http: &reqwest::Client,
    api_base: &Url,
) -> Result<Option<String>, JiraError> {
    let path = JiraRequest::new(JiraOp::ServerInfo).path_and_query()?;
    let url = format!("{}{path}", api_base.as_str().trim_end_matches('/'));
    let resp = http.get(&url).send().await?.error_for_status()?;
    let info: Value = resp.json().await?;
    Ok(info
        .get("baseUrl")
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}
