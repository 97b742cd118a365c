//! Fault injection, switchable per test: rate limits, 5xx bursts and slow answers on the REST API (through the
//! Forge gateway too); duplicated, reordered, dropped and delayed webhook deliveries and Forge events; an
//! unavailable Forge JWKS.

use std::{collections::VecDeque, time::Duration};

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::JiraSim;
use crate::fault_units;

/// What goes wrong, and for how many calls. Reads and writes as JSON (durations in milliseconds) for
/// `/_sandbox/faults`; missing fields are off.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next N REST calls answer 429 with `Retry-After` and `X-RateLimit-*`.
    pub rate_limited_calls: u32,
    /// Seconds in `Retry-After` for rate-limited calls.
    #[serde(deserialize_with = "fault_units::retry_after")]
    pub retry_after_secs: u64,
    /// The next N REST calls answer with `server_error_status`.
    pub server_errors: u32,
    /// Status used for injected server errors (500 when unset).
    #[serde(with = "fault_units::opt_server_status")]
    pub server_error_status: Option<StatusCode>,
    /// Every REST call waits this long before answering.
    #[serde(rename = "slow_ms", with = "fault_units::opt_millis")]
    pub slow: Option<Duration>,
    /// The next N REST calls are carried out, but their answer is lost on the way back (a 504 from the edge, as
    /// when a proxy gives up on a slow upload that Jira finished anyway).
    pub lost_answers: u32,
    /// When set, the faults above apply only to calls whose path contains this (e.g. `/attachments`).
    pub only_paths_containing: Option<String>,
    /// Faults applied to the next webhook deliveries, one each, in order.
    pub webhooks: VecDeque<WebhookFault>,
    /// Deliveries held back by [`WebhookFault::OutOfOrder`], released after the next one.
    #[serde(skip)]
    pub(super) held: Vec<super::webhooks::Held>,
    /// Faults applied to the next Forge remote calls (events, lifecycle events, scheduled triggers), one each.
    pub forge_events: VecDeque<WebhookFault>,
    /// Forge calls held back by [`WebhookFault::OutOfOrder`].
    #[serde(skip)]
    pub(super) forge_held: Vec<usize>,
    /// The next N fetches of the Forge JWKS answer 503.
    pub forge_jwks_errors: u32,
}

/// A fault for one webhook delivery; as JSON `"duplicate"`, `"out_of_order"`, `"drop"` or `{"delay_ms": 500}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFault {
    /// Delivered twice (same identifier), as at-least-once delivery allows.
    Duplicate,
    /// Held back and delivered after the next delivery.
    OutOfOrder,
    /// Never delivered (reconciliation must find the change).
    Drop,
    /// Delivered after a delay.
    #[serde(rename = "delay_ms", with = "fault_units::millis")]
    Delay(Duration),
}

impl Faults {
    /// Rate-limit the next `calls` REST calls with `Retry-After: retry_after_secs`.
    pub fn rate_limit(&mut self, calls: u32, retry_after_secs: u64) {
        self.rate_limited_calls = calls;
        self.retry_after_secs = retry_after_secs;
    }

    /// Carry out the next `calls` REST calls but lose their answers (504).
    pub fn lose_answers(&mut self, calls: u32) {
        self.lost_answers = calls;
    }

    /// Apply faults only to calls whose path (with its query) contains `part`.
    pub fn only_on(&mut self, part: &str) {
        self.only_paths_containing = Some(part.to_owned());
    }

    /// Answer the next `calls` REST calls with `status`.
    pub fn server_errors(&mut self, calls: u32, status: StatusCode) {
        self.server_errors = calls;
        self.server_error_status = Some(status);
    }

    /// Clear every fault.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Switch to `new`, keeping the deliveries already held back for reordering (they still go out).
    pub fn replace(&mut self, mut new: Self) {
        new.held = std::mem::take(&mut self.held);
        new.forge_held = std::mem::take(&mut self.forge_held);
        *self = new;
    }
}

enum Injected {
    None,
    RateLimited(u64),
    ServerError(StatusCode),
    LostAnswer,
}

/// Largest request body the simulated edge reads (the site's attachment limit, checked later, is far below).
const MAX_REQUEST_BODY: usize = 1 << 30;

/// Middleware on the REST API applying the current faults.
pub(super) async fn inject(State(sim): State<JiraSim>, req: Request, next: Next) -> Response {
    let (injected, slow) = {
        let mut f = sim.faults();
        let applies = f.only_paths_containing.as_deref().is_none_or(|part| {
            let uri = req.uri();
            uri.path_and_query()
                .map_or(uri.path(), |p| p.as_str())
                .contains(part)
        });
        let injected = if !applies {
            Injected::None
        } else if f.rate_limited_calls > 0 {
            f.rate_limited_calls -= 1;
            Injected::RateLimited(f.retry_after_secs)
        } else if f.server_errors > 0 {
            f.server_errors -= 1;
            Injected::ServerError(
                f.server_error_status
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            )
        } else if f.lost_answers > 0 {
            f.lost_answers -= 1;
            Injected::LostAnswer
        } else {
            Injected::None
        };
        (injected, f.slow)
    };
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    match injected {
        Injected::None => next.run(req).await,
        Injected::LostAnswer => {
            drop(next.run(req).await);
            (StatusCode::GATEWAY_TIMEOUT, "upstream request timeout").into_response()
        }
        Injected::RateLimited(secs) => {
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})),
            )
                .into_response();
            let reset = (Utc::now() + chrono::Duration::seconds(secs as i64))
                .format("%Y-%m-%dT%H:%MZ")
                .to_string();
            let h = resp.headers_mut();
            for (name, value) in [
                ("retry-after", secs.to_string()),
                ("x-ratelimit-limit", "100".into()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", reset),
                ("x-ratelimit-nearlimit", "true".into()),
                ("ratelimit-reason", "jira-burst-based".into()),
            ] {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(name, v);
                }
            }
            resp
        }
        Injected::ServerError(status) => {
            let mut resp = (
                status,
                Json(json!({"errorMessages": ["Internal server error"], "errors": {}})),
            )
                .into_response();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                resp.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            resp
        }
    }
}

/// Outermost layer of the REST API: read each request to its end before anything answers it, as Jira's edge does. A
/// refusal (a bad token, a missing scope, an injected 429 or 5xx) sent while the client still streams an upload would
/// otherwise reach the client as a broken connection rather than as the answer it is.
pub(super) async fn read_whole_request(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({"errorMessages": ["The request is too large."], "errors": {}})),
        )
            .into_response(),
    }
}
