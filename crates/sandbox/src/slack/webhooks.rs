//! Incoming webhooks (`POST /services/{team}/{bot}/{secret}`): a JSON body (or a form with a `payload` field
//! holding JSON) posted into the webhook's channel. Answers are plain text as Slack's: `ok`, or an error code
//! with 400 (`invalid_payload`, `no_text`, `invalid_blocks`), 403 (`invalid_token`), 404 (`no_service`) or 429.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    SlackSim, blocks, faults::WEBHOOK_METHOD, model::MessageSource, request, state::Draft,
};

/// A plain-text answer.
fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The JSON payload of a webhook post: the body itself, or the `payload` field of a form.
fn payload(headers: &HeaderMap, body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let value: Value = if is_form {
        match request::form(body).remove("payload")? {
            Value::String(s) => serde_json::from_str(&s).ok()?,
            _ => return None,
        }
    } else {
        serde_json::from_slice(body).ok()?
    };
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Serve one webhook post.
pub(super) async fn post(
    State(sim): State<SlackSim>,
    Path((team, bot, secret)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = sim.lock();
    let found = state
        .webhooks
        .iter()
        .find(|(hook, key)| hook.team_id == team && hook.bot_id == bot && key.as_str() == secret);
    let Some((hook, _)) = found.cloned() else {
        return text(StatusCode::NOT_FOUND, "no_service");
    };
    state.calls.push(WEBHOOK_METHOD.to_owned());
    if let Some(secs) = state.faults.take_rate_limit(WEBHOOK_METHOD) {
        return super::api::rate_limited(secs, "rate_limited");
    }
    if state.faults.revoked_webhooks.contains(&hook.path) {
        return text(StatusCode::FORBIDDEN, "invalid_token");
    }
    let Some(payload) = payload(&headers, &body) else {
        return text(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let blocks = match payload.get("blocks") {
        None | Some(Value::Null) => None,
        Some(value) => match blocks::validate(value.clone()) {
            Ok(blocks) => blocks,
            Err(_) => return text(StatusCode::BAD_REQUEST, "invalid_blocks"),
        },
    };
    let text_field = match payload.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return text(StatusCode::BAD_REQUEST, "invalid_payload"),
    };
    if text_field.trim().is_empty() && blocks.is_none() {
        return text(StatusCode::BAD_REQUEST, "no_text");
    }
    let flag = |key: &str| payload.get(key).and_then(Value::as_bool);
    state.post(Draft {
        channel: hook.channel_id.clone(),
        user: None,
        bot_id: hook.bot_id.clone(),
        sender_name: hook.name.clone(),
        text: text_field,
        blocks,
        thread_ts: payload
            .get("thread_ts")
            .and_then(Value::as_str)
            .map(str::to_owned),
        unfurl_links: flag("unfurl_links"),
        unfurl_media: flag("unfurl_media"),
        source: MessageSource::Webhook,
    });
    sim.mark_changed();
    text(StatusCode::OK, "ok")
}
