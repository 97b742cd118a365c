//! The issue panel's API as people use it in tests: context tokens from the simulated Jira for one issue, the
//! request view, commands and the dry run.

use clearance_sandbox::jira::JiraSim;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// One issue's panel API on one app, seen through the simulated site's context tokens.
pub(crate) struct Panel<'a> {
    pub(crate) sim: &'a JiraSim,
    pub(crate) app: &'a TestApp,
    pub(crate) issue_id: &'a str,
}

impl Panel<'_> {
    /// A context token of `who` viewing the issue.
    pub(crate) fn token(&self, who: &str) -> String {
        self.sim
            .context_token(who, json!({"jira": {"issue": {"id": self.issue_id}}}))
            .unwrap()
    }

    /// `GET /api/panel/requests/{issue}` as `who`.
    pub(crate) async fn view(&self, who: &str) -> (StatusCode, Value) {
        let resp = self
            .app
            .http
            .get(
                self.app
                    .url(&format!("/api/panel/requests/{}", self.issue_id)),
            )
            .header("Authorization", format!("JWT {}", self.token(who)))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/panel/requests/{issue_id}{path}` with any token and body.
    pub(crate) async fn post_raw(
        &self,
        token: &str,
        issue_id: &str,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .http
            .post(
                self.app
                    .url(&format!("/api/panel/requests/{issue_id}{path}")),
            )
            .header("Authorization", format!("JWT {token}"));
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let resp = req.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    /// A command as `who`.
    pub(crate) async fn command(&self, who: &str, body: Value) -> (StatusCode, Value) {
        self.post_raw(
            &self.token(who),
            self.issue_id,
            "/commands",
            Some(body.to_string()),
        )
        .await
    }

    /// A command as `who` that must succeed.
    pub(crate) async fn ok(&self, who: &str, body: Value) -> Value {
        let (status, v) = self.command(who, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{who} {body}: {v}");
        v
    }

    /// A dry run of the saved plan as `who`.
    pub(crate) async fn dry_run(&self, who: &str) -> (StatusCode, Value) {
        self.post_raw(&self.token(who), self.issue_id, "/dry-run", None)
            .await
    }

    /// The request's audit trail as the analyst's panel shows it: (action, detail), oldest first.
    pub(crate) async fn audit_actions(&self) -> Vec<(String, Value)> {
        let (_, v) = self.view(clearance_sandbox::jira::people::ANALYST).await;
        v["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["detail"].clone(),
                )
            })
            .collect()
    }
}
