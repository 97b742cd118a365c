//! How the simulated site signs what it sends the app: request-bound HS256 tokens (iframes, webhooks, enable and
//! disable) and context tokens for `AP.context.getToken()`. One place, checked against Atlassian's vectors.

use serde_json::{Value, json};

use super::{
    JiraSim,
    forge_events::{issue_type_id, project_id},
    model::Issue,
};
use clearance_atlassian::{jwt::Claims, qsh};

/// Lifetime of request-bound tokens, as Jira issues them.
const REQUEST_TOKEN_SECS: u64 = 180;
/// Lifetime of context tokens.
const CONTEXT_TOKEN_SECS: u64 = 900;

impl JiraSim {
    /// The token Jira puts on a request to the app: HS256 with the install's shared secret, `iss` = clientKey,
    /// `sub` = the acting user, and the qsh of `method` on `url` relative to the app's base URL (its path stripped).
    /// `None` when no app is installed or `url` is not a URL.
    pub fn sign_app_request(&self, method: &str, url: &str, sub: Option<&str>) -> Option<String> {
        let s = self.state();
        let app = s.app.as_ref()?;
        let parsed = url::Url::parse(url).ok()?;
        let base_path = url::Url::parse(&app.base_url)
            .ok()?
            .path()
            .trim_end_matches('/')
            .to_owned();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: s.client_key.clone(),
            sub: sub.map(str::to_owned),
            qsh: Some(qsh::query_string_hash(
                method,
                parsed.path(),
                parsed.query().unwrap_or(""),
                &base_path,
            )),
            iat: Some(now),
            exp: now + REQUEST_TOKEN_SECS,
            context: Some(json!({})),
        };
        sign(&claims, &app.shared_secret)
    }

    /// A context token for `viewer`, as `AP.context.getToken()` returns it (qsh = `context-qsh`). `None` when the app
    /// is not installed and enabled.
    pub fn context_token(&self, viewer: &str, context: Value) -> Option<String> {
        let s = self.state();
        let app = s.app.as_ref().filter(|a| a.enabled)?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: s.client_key.clone(),
            sub: Some(viewer.to_owned()),
            qsh: Some(qsh::CONTEXT_QSH.to_owned()),
            iat: Some(now),
            exp: now + CONTEXT_TOKEN_SECS,
            context: Some(context),
        };
        sign(&claims, &app.shared_secret)
    }

    /// The context token the issue page of `key` gives its panel for `viewer`: `context.jira.issue` and
    /// `context.jira.project` as Jira fills them. `None` when the viewer may not see the issue (Jira shows them no
    /// page to mint it on) or the app is not installed and enabled.
    pub fn issue_context_token(&self, viewer: &str, key: &str) -> Option<String> {
        let issue = self.issue_seen_by(viewer, key)?;
        self.context_token(viewer, issue_context(&issue))
    }
}

/// The `context` claim of a context token minted on an issue's page.
pub(super) fn issue_context(issue: &Issue) -> Value {
    json!({"jira": {
        "issue": {"id": issue.id.to_string(), "key": issue.key, "issuetype": {"id": issue_type_id(&issue.issue_type)}},
        "project": {"id": project_id(&issue.project), "key": issue.project},
    }})
}

fn sign(claims: &Claims, secret: &str) -> Option<String> {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &key).ok()
}
