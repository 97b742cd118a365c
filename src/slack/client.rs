//! The Slack Web API client: the shared `reqwest::Client`, the configured base URL, the bot token per call
//! (`Authorization: Bearer`), Slack's answers (`ok: false` with HTTP 200, 429 with `Retry-After`) sorted into
//! [`SlackError`], and every call recorded in the metrics.
//!
//! Reading methods go form-encoded, as every Web API method accepts; `chat.postMessage` goes as JSON (its `blocks`
//! are JSON), with the charset Slack asks for.

use std::{sync::Arc, time::Duration, time::Instant};

use reqwest::{
    StatusCode,
    header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use url::Url;

use super::{
    AUTH_CODES, BotToken, ChannelId, MessageTs, SlackError, SlackUserId,
    error::{RATE_LIMIT_CODES, error_chain},
};
use crate::{metrics::Metrics, services::Services};

/// The Slack Web API at one base URL.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base: Url,
    metrics: Option<Arc<Metrics>>,
}

/// Who a bot token belongs to (`auth.test`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AuthInfo {
    /// Workspace id, `T…`.
    pub team_id: String,
    /// Workspace name.
    pub team: String,
    /// The bot's own user id.
    #[serde(rename = "user_id")]
    pub bot_user_id: String,
}

/// A request body.
enum Body<'a> {
    Form(&'a [(&'a str, &'a str)]),
    Json(Value),
}

#[derive(Deserialize)]
struct LookupUser {
    id: String,
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
struct Lookup {
    user: LookupUser,
}

#[derive(Deserialize)]
struct Opened {
    channel: OpenedChannel,
}

#[derive(Deserialize)]
struct OpenedChannel {
    id: String,
}

#[derive(Deserialize)]
struct Posted {
    ts: String,
}

impl SlackClient {
    /// A client for the Web API at `base` (e.g. `https://slack.com/api`) over the shared `http` client.
    pub fn new(http: reqwest::Client, base: Url) -> Self {
        Self {
            http,
            base,
            metrics: None,
        }
    }

    /// The app's client: its HTTP client, the configured `slack_api_url`, its metrics.
    pub fn for_app(app: &Services) -> Self {
        let mut c = Self::new(app.http.clone(), app.cfg.slack_api_url.clone());
        c.metrics = Some(app.metrics.clone());
        c
    }

    /// `auth.test`: the workspace and bot user of `token` (checks the token).
    pub async fn auth_test(&self, token: &BotToken) -> Result<AuthInfo, SlackError> {
        self.call("auth.test", token, Body::Form(&[])).await
    }

    /// `users.lookupByEmail`: the Slack user with this e-mail address, `None` when the workspace has none (or only a
    /// deactivated one).
    pub async fn lookup_by_email(
        &self,
        token: &BotToken,
        email: &str,
    ) -> Result<Option<SlackUserId>, SlackError> {
        let found: Result<Lookup, _> = self
            .call(
                "users.lookupByEmail",
                token,
                Body::Form(&[("email", email)]),
            )
            .await;
        match found {
            Ok(l) if l.user.deleted => Ok(None),
            Ok(l) => SlackUserId::parse(&l.user.id)
                .map(Some)
                .ok_or_else(|| SlackError::Decode(format!("user id {:?}", l.user.id))),
            Err(SlackError::Api { code, .. }) if code == "users_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `conversations.open` with `users`: the bot's DM with `user` (opened if needed).
    pub async fn open_dm(
        &self,
        token: &BotToken,
        user: &SlackUserId,
    ) -> Result<ChannelId, SlackError> {
        let body = Body::Form(&[("users", user.as_ref())]);
        let opened: Opened = self.call("conversations.open", token, body).await?;
        ChannelId::parse(&opened.channel.id)
            .ok_or_else(|| SlackError::Decode(format!("channel id {:?}", opened.channel.id)))
    }

    /// `chat.postMessage`: `text` (the notification and fallback text) and optional Block Kit `blocks`; links are not
    /// unfurled (a preview could show more than the message says).
    pub async fn post_message(
        &self,
        token: &BotToken,
        channel: &ChannelId,
        text: &str,
        blocks: Option<Value>,
    ) -> Result<MessageTs, SlackError> {
        let body = post_message_body(channel, text, blocks);
        let posted: Posted = self
            .call("chat.postMessage", token, Body::Json(body))
            .await?;
        Ok(MessageTs(posted.ts))
    }

    #[tracing::instrument(skip_all, fields(method))]
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        token: &BotToken,
        body: Body<'_>,
    ) -> Result<T, SlackError> {
        let url = format!("{}/{method}", self.base.as_str().trim_end_matches('/'));
        let req = self
            .http
            .post(url)
            .header(AUTHORIZATION, format!("Bearer {}", token.expose()));
        let req = match body {
            Body::Form(pairs) => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.extend_pairs(pairs.iter());
                req.header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form.finish())
            }
            Body::Json(v) => req
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(v.to_string()),
        };
        let started = Instant::now();
        let sent = req.send().await;
        if let Some(m) = &self.metrics {
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            m.slack_call(method, status, started.elapsed());
        }
        let resp = sent.map_err(|e| SlackError::Transport(error_chain(&e)))?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(SlackError::RateLimited { retry_after });
        }
        if status.is_server_error() {
            return Err(SlackError::Transport(format!(
                "Slack answered HTTP {status}"
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| SlackError::Transport(error_chain(&e)))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            SlackError::Decode(format!(
                "{method} answered HTTP {status} without JSON ({e})"
            ))
        })?;
        answer(method, value)
    }
}

/// The JSON body of `chat.postMessage` (see [`SlackClient::post_message`]).
pub(super) fn post_message_body(channel: &ChannelId, text: &str, blocks: Option<Value>) -> Value {
    let mut body = json!({
        "channel": channel.as_ref(), "text": text, "unfurl_links": false, "unfurl_media": false,
    });
    if let Some(blocks) = blocks {
        body["blocks"] = blocks;
    }
    body
}

/// Sort a Web API answer: `ok: true` decoded into `T`, else the error code into [`SlackError`].
fn answer<T: DeserializeOwned>(method: &'static str, value: Value) -> Result<T, SlackError> {
    if value.get("ok").and_then(Value::as_bool) == Some(true) {
        return serde_json::from_value(value)
            .map_err(|e| SlackError::Decode(format!("{method}: {e}")));
    }
    let code = value
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error")
        .to_owned();
    if AUTH_CODES.contains(&code.as_str()) {
        let needed = value.get("needed").and_then(Value::as_str);
        return Err(SlackError::Auth {
            code,
            needed: needed.map(str::to_owned),
        });
    }
    if RATE_LIMIT_CODES.contains(&code.as_str()) {
        return Err(SlackError::RateLimited { retry_after: None });
    }
    Err(SlackError::Api { method, code })
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
