//! Issue comments: add one (an ADF document), and read the latest ones as plain text (a retried write-back looks
//! for its own).

use serde::{Deserialize, de::IgnoredAny};
use serde_json::{Value, json};

use super::{JiraClient, JiraError, JiraOp, JiraRequest, adf};

/// A comment as Clearance reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The body as plain text (ADF flattened by [`adf::plain_text`]).
    pub text: String,
}

/// The body of `POST /rest/api/3/issue/{issue}/comment` for the ADF document `doc`.
pub fn comment_body(doc: Value) -> Value {
    json!({ "body": doc })
}

impl JiraClient {
    /// `POST /rest/api/3/issue/{issue}/comment`: add a comment whose body is the ADF document `doc` (built with
    /// [`adf`]). Jira's answer (the created comment) is not read beyond being JSON.
    #[tracing::instrument(skip_all, fields(issue))]
    pub async fn add_comment(&self, issue: &str, doc: Value) -> Result<(), JiraError> {
        let req = JiraRequest::new(JiraOp::AddComment).param(issue);
        let _: IgnoredAny = self.post_json(req, &comment_body(doc)).await?;
        Ok(())
    }

    /// `GET /rest/api/3/issue/{issue}/comment?orderBy=-created`: the issue's latest comments, newest first, at
    /// most `max_results` of them.
    #[tracing::instrument(skip_all, fields(issue))]
    pub async fn latest_comments(
        &self,
        issue: &str,
        max_results: u32,
    ) -> Result<Vec<Comment>, JiraError> {
        #[derive(Deserialize)]
        struct Page {
            comments: Vec<Found>,
        }
        #[derive(Deserialize)]
        struct Found {
            body: Value,
        }
        let req = JiraRequest::new(JiraOp::Comments)
            .param(issue)
            .query("orderBy", "-created")
            .query("maxResults", max_results);
        let page: Page = self.get_json(req).await?;
        Ok(page
            .comments
            .iter()
            .map(|c| Comment {
                text: adf::plain_text(&c.body),
            })
            .collect())
    }
}
