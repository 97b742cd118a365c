//! The server side of `@forge/bridge` `invokeRemote`: resolve the path against the remote's base URL, send the
//! call with a FIT carrying the module's `context` and the `principal`, the system and user tokens and a trace id;
//! enforce Forge's limits (GET/POST/PUT/PATCH/DELETE, request ≤ 500 KB, response ≤ 5 MB, 25 s) and answer as Forge
//! does: the response for 2xx and for non-2xx with a JSON body, an error for 401, 3xx, non-JSON answers, timeouts
//! and network errors. `POST /_sandbox/forge/invoke` offers the same to a browser stand-in of the bridge.

use std::collections::BTreeMap;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    JiraSim,
    forge_delivery::b3_id,
    forge_fit::{ENDPOINT_MODULE, FitSpec},
};

/// Largest request body, bytes ("500 KB"; the smaller reading, so code that fits here fits Forge).
pub const MAX_REQUEST_BYTES: usize = 500_000;
/// Largest response body, bytes ("5 MB").
pub const MAX_RESPONSE_BYTES: usize = 5_000_000;
/// Methods `invokeRemote` accepts.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/// Headers Forge sets itself; a caller's custom headers cannot replace them.
const RESERVED: [&str; 6] = [
    "authorization",
    "x-forge-oauth-system",
    "x-forge-oauth-user",
    "x-b3-traceid",
    "x-b3-spanid",
    "content-type",
];

/// One `invokeRemote` call from a UI module.
#[derive(Clone, Debug, Default)]
pub struct InvokeSpec {
    /// The UI module's key (e.g. `clearance-panel`).
    pub module_key: String,
    /// The UI module's type (`jira:issuePanel`, `jira:adminPage`).
    pub module_type: String,
    /// The signed-in user (accountId).
    pub principal: String,
    /// Key of the issue the module shows, if any.
    pub issue: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path (with query), resolved against the remote's base URL.
    pub path: String,
    /// Custom headers.
    pub headers: Vec<(String, String)>,
    /// JSON object body.
    pub body: Option<Value>,
}

/// What the bridge resolves to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvokeResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (lower-case names, every value).
    pub headers: BTreeMap<String, Vec<String>>,
    /// The JSON body, if there was one.
    pub body: Option<Value>,
}

/// Why the bridge rejects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The Forge app is not installed.
    #[error("the Forge app is not installed on this site")]
    NotInstalled,
    /// `core:endpoint` or an empty module type: not a UI module.
    #[error("{0:?} is not a UI module type")]
    NotUiModule(String),
    /// The principal is not a user of the site.
    #[error("{0} is not a user of this site")]
    UnknownUser(String),
    /// The issue does not exist, or the principal may not see it.
    #[error("issue {0} does not exist")]
    UnknownIssue(String),
    /// Not GET/POST/PUT/PATCH/DELETE.
    #[error("method {0} is not supported (GET, POST, PUT, PATCH, DELETE)")]
    MethodNotAllowed(String),
    /// The path does not resolve to a URL on the remote.
    #[error("path {0:?} does not resolve to a URL on the remote")]
    BadPath(String),
    /// The body is not a JSON object.
    #[error("the body must be a JSON object")]
    BodyNotObject,
    /// The body is over 500 KB.
    #[error("request payload of {size} bytes is over the limit of {limit} bytes")]
    RequestTooLarge {
        /// Body size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The remote answered 401 (reserved for FIT failures).
    #[error("Remote could not verify the Forge Invocation Token")]
    InvalidToken,
    /// The remote answered 3xx.
    #[error("the remote answered {status}: redirects are not supported")]
    Redirect {
        /// The status.
        status: u16,
    },
    /// A non-JSON answer: non-2xx without a JSON body, or a body with a non-JSON content type.
    #[error("the remote answered {status} without a JSON body (content-type {content_type:?})")]
    NotJson {
        /// The status.
        status: u16,
        /// Its content type.
        content_type: Option<String>,
    },
    /// The response is over 5 MB.
    #[error("the response is over the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: usize,
    },
    /// No answer within 25 s.
    #[error("the remote did not answer in time")]
    Timeout,
    /// The remote could not be reached.
    #[error("network error: {0}")]
    Network(String),
}

impl InvokeError {
    /// A stable code for the variant (used by the HTTP route).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInstalled => "NOT_INSTALLED",
            Self::NotUiModule(_) => "NOT_UI_MODULE",
            Self::UnknownUser(_) => "UNKNOWN_USER",
            Self::UnknownIssue(_) => "UNKNOWN_ISSUE",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Self::BadPath(_) => "BAD_PATH",
            Self::BodyNotObject => "BODY_NOT_OBJECT",
            Self::RequestTooLarge { .. } => "REQUEST_TOO_LARGE",
            Self::InvalidToken => "INVALID_FORGE_INVOCATION_TOKEN",
            Self::Redirect { .. } => "REDIRECT",
            Self::NotJson { .. } => "NOT_JSON",
            Self::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            Self::Timeout => "TIMEOUT",
            Self::Network(_) => "NETWORK",
        }
    }

    /// Whether the call never left Forge (a mistake by the caller, not the remote).
    pub fn is_request_error(&self) -> bool {
        matches!(
            self,
            Self::NotInstalled
                | Self::NotUiModule(_)
                | Self::UnknownUser(_)
                | Self::UnknownIssue(_)
                | Self::MethodNotAllowed(_)
                | Self::BadPath(_)
                | Self::BodyNotObject
                | Self::RequestTooLarge { .. }
        )
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

impl JiraSim {
    /// Check `spec` as Forge does before calling anything; the URL, method and body to send.
    fn check_invoke(
        &self,
        spec: &InvokeSpec,
    ) -> Result<(url::Url, Method, Option<Vec<u8>>), InvokeError> {
        let remote = self.forge_remote().ok_or(InvokeError::NotInstalled)?;
        if spec.module_type.is_empty() || spec.module_type == ENDPOINT_MODULE {
            return Err(InvokeError::NotUiModule(spec.module_type.clone()));
        }
        if !self.state().users.contains_key(&spec.principal) {
            return Err(InvokeError::UnknownUser(spec.principal.clone()));
        }
        if let Some(k) = &spec.issue
            && !self.can_see(&spec.principal, k)
        {
            // A module is only shown on an issue its viewer sees: one they may not see is no issue to them.
            return Err(InvokeError::UnknownIssue(k.clone()));
        }
        if !METHODS.contains(&spec.method.as_str()) {
            return Err(InvokeError::MethodNotAllowed(spec.method.clone()));
        }
        let method = Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| InvokeError::MethodNotAllowed(spec.method.clone()))?;
        let bad_path = || InvokeError::BadPath(spec.path.clone());
        let base = url::Url::parse(&remote.base_url).map_err(|_| bad_path())?;
        let url = base.join(&spec.path).map_err(|_| bad_path())?;
        if url.origin() != base.origin() {
            return Err(bad_path());
        }
        let body = match &spec.body {
            None => None,
            Some(v) if v.is_object() => {
                let bytes = serde_json::to_vec(v).map_err(|_| InvokeError::BodyNotObject)?;
                if bytes.len() > MAX_REQUEST_BYTES {
                    return Err(InvokeError::RequestTooLarge {
                        size: bytes.len(),
                        limit: MAX_REQUEST_BYTES,
                    });
                }
                Some(bytes)
            }
            Some(_) => return Err(InvokeError::BodyNotObject),
        };
        Ok((url, method, body))
    }

    /// Do what Forge does for `invokeRemote` from a UI module.
    pub async fn forge_invoke_remote(
        &self,
        spec: InvokeSpec,
    ) -> Result<InvokeResponse, InvokeError> {
        let (url, method, body) = self.check_invoke(&spec)?;
        let fit = FitSpec::ui(
            &spec.module_type,
            &spec.module_key,
            &spec.principal,
            spec.issue.as_deref(),
        );
        let mut req = self.forge_request(
            method,
            url.as_str(),
            &fit,
            &b3_id(),
            self.inner.options.forge_invoke_timeout,
        );
        for (name, value) in &spec.headers {
            if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
                req = req.header(name, value);
            }
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                InvokeError::Timeout
            } else {
                InvokeError::Network(e.to_string())
            }
        };
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 401 {
            return Err(InvokeError::InvalidToken);
        }
        if (300..400).contains(&status) {
            return Err(InvokeError::Redirect { status });
        }
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in resp.headers() {
            headers
                .entry(name.as_str().to_owned())
                .or_default()
                .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        let content_type = headers.get("content-type").and_then(|v| v.first()).cloned();
        let mut raw = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            raw.extend_from_slice(&chunk);
            if raw.len() > MAX_RESPONSE_BYTES {
                return Err(InvokeError::ResponseTooLarge {
                    limit: MAX_RESPONSE_BYTES,
                });
            }
        }
        let not_json = || InvokeError::NotJson {
            status,
            content_type: content_type.clone(),
        };
        let success = (200..300).contains(&status);
        let body = if raw.is_empty() {
            if !success {
                return Err(not_json());
            }
            None
        } else {
            if !is_json(content_type.as_deref()) {
                return Err(not_json());
            }
            Some(serde_json::from_slice::<Value>(&raw).map_err(|_| not_json())?)
        };
        Ok(InvokeResponse {
            status,
            headers,
            body,
        })
    }
}

pub(super) fn router() -> Router<JiraSim> {
    Router::new().route("/_sandbox/forge/invoke", post(invoke))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvokeRequest {
    module_key: String,
    module_type: String,
    #[serde(rename = "as")]
    principal: String,
    #[serde(default)]
    issue_key: Option<String>,
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
}

/// `{status, headers, body}` (200) or `{"error": {code, message}}` (400 for the caller's mistakes, 502 when the
/// remote failed).
async fn invoke(State(sim): State<JiraSim>, Json(r): Json<InvokeRequest>) -> Response {
    let spec = InvokeSpec {
        module_key: r.module_key,
        module_type: r.module_type,
        principal: r.principal,
        issue: r.issue_key,
        method: r.method,
        path: r.path,
        headers: r.headers.into_iter().collect(),
        body: r.body,
    };
    match sim.forge_invoke_remote(spec).await {
        Ok(resp) => Json(resp).into_response(),
        Err(e) => {
            let status = if e.is_request_error() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::BAD_GATEWAY
            };
            (
                status,
                Json(json!({"error": {"code": e.code(), "message": e.to_string()}})),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
        ] {
            assert!(is_json(Some(ct)), "{ct}");
        }
        for ct in ["text/plain", "text/json", "text/html; charset=utf-8", ""] {
            assert!(!is_json(Some(ct)), "{ct}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn caller_mistakes_are_told_apart_from_remote_failures() {
        assert!(InvokeError::MethodNotAllowed("TRACE".into()).is_request_error());
        assert!(InvokeError::RequestTooLarge { size: 1, limit: 0 }.is_request_error());
        assert!(!InvokeError::InvalidToken.is_request_error());
        assert!(!InvokeError::Timeout.is_request_error());
        assert_eq!(
            InvokeError::InvalidToken.code(),
            "INVALID_FORGE_INVOCATION_TOKEN"
        );
    }
}
