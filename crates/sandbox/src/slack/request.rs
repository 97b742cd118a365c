//! Reading a Web API request the way Slack does: the token from `Authorization: Bearer` (or a `token` form
//! field; never from a JSON body), and arguments from a JSON object or a form-encoded body.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

/// A parsed Web API request.
pub(super) struct ApiRequest {
    /// The token, if one was sent where Slack looks for it.
    pub token: Option<String>,
    /// The method's arguments.
    pub params: Params,
    /// A Slack warning to add to the answer (`missing_charset` for JSON without a charset).
    pub warning: Option<&'static str>,
}

/// Method arguments: JSON values from a JSON body, strings from a form.
pub(super) struct Params(Map<String, Value>);

impl Params {
    /// A string argument (numbers and booleans in JSON are taken as their text), `None` when absent or null.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A boolean argument: JSON `true`/`false`, or `true`/`1`/`false`/`0` as text.
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_i64().map(|n| n != 0),
            _ => None,
        }
    }

    /// A JSON argument (`blocks`): a JSON value as is, or a string holding JSON as sent in a form.
    /// `None` when absent, null or an empty string; `Some(Err(()))` when the string is not JSON.
    pub fn json(&self, key: &str) -> Option<Result<Value, ()>> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(serde_json::from_str(s).map_err(|_| ())),
            other => Some(Ok(other.clone())),
        }
    }
}

/// The media type of the request (lower case, no parameters) and whether it names a charset.
fn content_type(headers: &HeaderMap) -> (String, bool) {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut parts = raw.split(';');
    let mime = parts.next().unwrap_or("").trim().to_owned();
    let charset = parts.any(|p| p.trim().starts_with("charset="));
    (mime, charset)
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Parse a form-encoded body into string arguments.
pub(super) fn form(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// Parse a Web API request, or the Slack error code for a body it cannot read.
pub(super) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<ApiRequest, &'static str> {
    let (mime, charset) = content_type(headers);
    let header_token = bearer(headers);
    match mime.as_str() {
        "application/json" => {
            let value: Value = serde_json::from_slice(body).map_err(|_| "invalid_json")?;
            let Value::Object(map) = value else {
                return Err("json_not_object");
            };
            Ok(ApiRequest {
                token: header_token,
                params: Params(map),
                warning: (!charset).then_some("missing_charset"),
            })
        }
        "application/x-www-form-urlencoded" | "" => {
            let mut map = form(body);
            let form_token = match map.remove("token") {
                Some(Value::String(t)) if !t.trim().is_empty() => Some(t.trim().to_owned()),
                _ => None,
            };
            Ok(ApiRequest {
                token: header_token.or(form_token),
                params: Params(map),
                warning: None,
            })
        }
        _ => Err("invalid_post_type"),
    }
}
