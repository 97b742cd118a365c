//! Web API methods (`POST /api/{method}`): Slack's rate-limit, authentication and scope answers, then `auth.test`,
//! `users.lookupByEmail`, `conversations.open` and `chat.postMessage`. Errors are HTTP 200 with
//! `{"ok":false,"error":…}` (`missing_scope` adds `needed` and `provided`); only rate limits (429) and unknown
//! methods (404) use other statuses.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use super::{
    SlackSim, blocks,
    model::{Bot, MessageSource},
    request::{self, Params},
    state::Draft,
};

/// Longest `text` Slack accepts in `chat.postMessage`, in characters.
const MAX_TEXT_CHARS: usize = 40_000;

/// Most users `conversations.open` takes (a group DM of 8 plus the bot).
const MAX_GROUP_USERS: usize = 8;

/// A method's answer: the fields next to `"ok": true`, or an error code.
type Outcome = Result<Map<String, Value>, &'static str>;

type Method = fn(&SlackSim, &Bot, &Params) -> Outcome;

/// The scopes a simulated bot token is granted (what Clearance's Slack app asks for), before any
/// [`SlackSim::remove_scope`].
const BOT_SCOPES: &[&str] = &["chat:write", "im:write", "users:read", "users:read.email"];

/// Serve one Web API call.
pub(super) async fn call(
    State(sim): State<SlackSim>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (handler, scope): (Method, Option<&str>) = match method.as_str() {
        "auth.test" => (auth_test, None),
        "users.lookupByEmail" => (lookup_by_email, Some("users:read.email")),
        "conversations.open" => (conversations_open, Some("im:write")),
        "chat.postMessage" => (post_message, Some("chat:write")),
        _ => {
            let body = json!({"ok": false, "error": "unknown_method", "req_method": method});
            return (StatusCode::NOT_FOUND, Json(body)).into_response();
        }
    };
    let limited = {
        let mut state = sim.lock();
        state.calls.push(method.clone());
        state.faults.take_rate_limit(&method)
    };
    if let Some(secs) = limited {
        return rate_limited(secs, Json(json!({"ok": false, "error": "ratelimited"})));
    }
    let req = match request::parse(&headers, &body) {
        Ok(req) => req,
        Err(code) => return answer(Err(code), None),
    };
    let bot = match authenticate(&sim, req.token.as_deref()) {
        Ok(bot) => bot,
        Err(code) => return answer(Err(code), req.warning),
    };
    if let Some(refused) = scope.and_then(|s| missing_scope(&sim, &bot, s)) {
        return refused;
    }
    answer(handler(&sim, &bot, &req.params), req.warning)
}

/// Slack's answer when the token lacks `needed`: `missing_scope` with the scope needed and those the token has.
fn missing_scope(sim: &SlackSim, bot: &Bot, needed: &str) -> Option<Response> {
    let state = sim.lock();
    let removed = state.faults.removed_scopes.get(&bot.token)?;
    if !removed.contains(needed) {
        return None;
    }
    let provided: Vec<&str> = BOT_SCOPES
        .iter()
        .copied()
        .filter(|s| !removed.contains(*s))
        .collect();
    let body = json!({"ok": false, "error": "missing_scope", "needed": needed, "provided": provided.join(",")});
    Some(Json(body).into_response())
}

/// HTTP 429 with `Retry-After`, as Slack answers a rate-limited call.
pub(super) fn rate_limited(retry_after_secs: u64, body: impl IntoResponse) -> Response {
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    resp
}

/// The JSON answer of a call (HTTP 200 either way), with Slack's warning fields when there is a warning.
fn answer(outcome: Outcome, warning: Option<&'static str>) -> Response {
    let mut body = match outcome {
        Ok(mut fields) => {
            fields.insert("ok".into(), Value::Bool(true));
            fields
        }
        Err(code) => {
            let mut fields = Map::new();
            fields.insert("ok".into(), Value::Bool(false));
            fields.insert("error".into(), Value::from(code));
            fields
        }
    };
    if let Some(warning) = warning {
        body.insert("warning".into(), Value::from(warning));
        body.insert("response_metadata".into(), json!({ "warnings": [warning] }));
    }
    Json(Value::Object(body)).into_response()
}

/// The bot a token belongs to, or Slack's error: `not_authed`, `invalid_auth`, `token_revoked`, `token_expired` or
/// `account_inactive`.
fn authenticate(sim: &SlackSim, token: Option<&str>) -> Result<Bot, &'static str> {
    let token = token.ok_or("not_authed")?;
    let state = sim.lock();
    if state.faults.invalid_auth {
        return Err("invalid_auth");
    }
    let bot = state.bots.iter().find(|b| b.token == token);
    let bot = bot.cloned().ok_or("invalid_auth")?;
    let faults = &state.faults;
    if faults.revoked_tokens.contains(token) {
        return Err("token_revoked");
    }
    if faults.expired_tokens.contains(token) {
        return Err("token_expired");
    }
    if faults.inactive_tokens.contains(token) {
        return Err("account_inactive");
    }
    Ok(bot)
}

/// Turn a `json!({...})` object into answer fields.
fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn auth_test(sim: &SlackSim, bot: &Bot, _: &Params) -> Outcome {
    let state = sim.lock();
    let team = state.team(&bot.team_id).ok_or("invalid_auth")?;
    Ok(fields(json!({
        "url": format!("https://{}.slack.com/", team.domain),
        "team": team.name,
        "user": bot.name,
        "team_id": team.id,
        "user_id": bot.user_id,
        "bot_id": bot.bot_id,
        "is_enterprise_install": false,
    })))
}

fn lookup_by_email(sim: &SlackSim, bot: &Bot, params: &Params) -> Outcome {
    let email = params.text("email").unwrap_or_default();
    let email = email.trim();
    if email.is_empty() {
        return Err("invalid_arguments");
    }
    let state = sim.lock();
    let user = state
        .users
        .iter()
        .find(|u| u.team_id == bot.team_id && u.email.eq_ignore_ascii_case(email))
        .ok_or("users_not_found")?;
    Ok(fields(json!({
        "user": {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": false,
            "real_name": user.real_name,
            "is_bot": false,
            "is_app_user": false,
            "profile": {
                "email": user.email,
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": user.name,
                "display_name_normalized": user.name,
                "team": user.team_id,
            },
        }
    })))
}

fn conversations_open(sim: &SlackSim, bot: &Bot, params: &Params) -> Outcome {
    let mut state = sim.lock();
    let users = params.text("users").unwrap_or_default();
    let users: Vec<String> = users
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    let (id, existed) = if users.is_empty() {
        let channel = params.text("channel").ok_or("users_list_not_supplied")?;
        let conv = state
            .conversation(channel.trim())
            .ok_or("channel_not_found")?;
        if conv.team_id != bot.team_id || !conv.members.contains(&bot.user_id) {
            return Err("channel_not_found");
        }
        (conv.id.clone(), true)
    } else {
        if users.len() > MAX_GROUP_USERS {
            return Err("too_many_users");
        }
        let known = |id: &String| {
            state
                .users
                .iter()
                .any(|u| &u.id == id && u.team_id == bot.team_id)
        };
        if !users.iter().all(known) {
            return Err("user_not_found");
        }
        let mut members = users;
        members.push(bot.user_id.clone());
        state.open_group(&bot.team_id, members)
    };
    if !existed {
        sim.mark_changed();
    }
    let mut out = fields(json!({ "channel": { "id": id } }));
    if existed {
        out.insert("no_op".into(), Value::Bool(true));
        out.insert("already_open".into(), Value::Bool(true));
    }
    Ok(out)
}

fn post_message(sim: &SlackSim, bot: &Bot, params: &Params) -> Outcome {
    let channel = params.text("channel").unwrap_or_default();
    let channel = channel.trim();
    if channel.is_empty() {
        return Err("channel_not_found");
    }
    let blocks = match params.json("blocks") {
        None => None,
        Some(Err(())) => return Err("invalid_blocks_format"),
        Some(Ok(value)) => blocks::validate(value)?,
    };
    let text = params.text("text").unwrap_or_default();
    if text.trim().is_empty() && blocks.is_none() {
        return Err("no_text");
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err("msg_too_long");
    }
    let mut state = sim.lock();
    let channel = state
        .resolve_channel(bot, channel)
        .ok_or("channel_not_found")?;
    // Resolving may have opened a DM; the message follows under the same lock.
    sim.mark_changed();
    if state.faults.bot_not_in.contains(&channel) {
        return Err("not_in_channel");
    }
    let message = state.post(Draft {
        channel,
        user: Some(bot.user_id.clone()),
        bot_id: bot.bot_id.clone(),
        sender_name: bot.name.clone(),
        text,
        blocks,
        thread_ts: params.text("thread_ts").filter(|t| !t.trim().is_empty()),
        unfurl_links: params.flag("unfurl_links"),
        unfurl_media: params.flag("unfurl_media"),
        source: MessageSource::WebApi,
    });
    let mut posted = fields(json!({
        "type": "message",
        "user": bot.user_id,
        "bot_id": bot.bot_id,
        "app_id": bot.app_id,
        "team": bot.team_id,
        "text": message.text,
        "ts": message.ts,
    }));
    if let Some(blocks) = &message.blocks {
        posted.insert("blocks".into(), blocks.clone());
    }
    if let Some(thread_ts) = &message.thread_ts {
        posted.insert("thread_ts".into(), Value::from(thread_ts.as_str()));
    }
    Ok(fields(json!({
        "channel": message.channel,
        "ts": message.ts,
        "message": posted,
    })))
}
