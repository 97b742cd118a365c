//! Forge's calls to the remote for events, lifecycle events and scheduled triggers: `POST {baseUrl}{route.path}`
//! with a fresh FIT (`core:endpoint`), `x-b3-traceid`/`x-b3-spanid` and a live `x-forge-oauth-system` (if the manifest has `read:app-system-token`); a 5 s
//! timeout; a non-2xx answer, a timeout or a network error retried up to 4 times (60 s apart in reality) with
//! `payload.retryContext`; every attempt logged; the event faults the test asked for. Nothing more is sent once the
//! installation is gone.

use std::time::Duration;

use rand::RngCore;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::{JiraSim, WebhookFault, forge_fit::FitSpec};

/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 4;
/// `retryReason` for a non-2xx answer (other than 401), a contract violation or a network error.
pub const INVALID_REMOTE_INVOCATION_ERROR: &str = "INVALID_REMOTE_INVOCATION_ERROR";
/// `retryReason` for a timeout.
pub const TIMEOUT_ERROR: &str = "TIMEOUT_ERROR";
/// `retryReason` when the remote answered 401 (it could not verify the FIT).
pub const INVALID_FORGE_INVOCATION_TOKEN: &str = "INVALID_FORGE_INVOCATION_TOKEN";

/// One call Forge made (or is making) to the remote, with every attempt.
#[derive(Clone, Debug, Serialize)]
pub struct ForgeDelivery {
    /// A unique id (the simulator's; Forge sends none).
    pub id: String,
    /// `eventType` (`avi:jira:created:issue`, `avi:forge:installed:app`, …), `scheduledTrigger` or `preUninstall`.
    pub kind: String,
    /// The route path on the remote.
    pub path: String,
    /// The full URL.
    pub url: String,
    /// The installation it was sent for (`ari:cloud:ecosystem::installation/<uuid>`).
    pub installation_id: String,
    /// The body of the first attempt (retries add `payload.retryContext`).
    pub body: Value,
    /// Attempts in order.
    pub attempts: Vec<ForgeAttempt>,
    /// Dropped on purpose (fault injection).
    pub dropped: bool,
}

/// One attempt and how the remote answered it.
#[derive(Clone, Debug, Serialize)]
pub struct ForgeAttempt {
    /// `retryContext.retryCount` (0 on the first attempt, which has no `retryContext`).
    pub retry_count: u32,
    /// `retryContext.retryReason` sent with this attempt.
    pub retry_reason: Option<String>,
    /// HTTP status, if the remote answered.
    pub status: Option<u16>,
    /// Transport error or timeout, if it did not.
    pub error: Option<String>,
    /// `x-b3-traceid` sent.
    pub trace_id: String,
}

/// How an attempt ended.
pub(super) struct Outcome {
    pub(super) status: Option<u16>,
    pub(super) error: Option<String>,
    pub(super) timed_out: bool,
}

impl Outcome {
    /// The `retryReason` of a failed attempt; `None` for a 2xx answer.
    fn failure(&self) -> Option<&'static str> {
        if self.timed_out {
            return Some(TIMEOUT_ERROR);
        }
        match self.status {
            Some(s) if (200..300).contains(&s) => None,
            Some(401) => Some(INVALID_FORGE_INVOCATION_TOKEN),
            _ => Some(INVALID_REMOTE_INVOCATION_ERROR),
        }
    }
}

/// A B3 id: 64 random bits in hex.
pub(super) fn b3_id() -> String {
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl JiraSim {
    /// A request to the remote with Forge's headers: the FIT, trace ids, a live system token and, when a user is in
    /// session, their token.
    pub(super) fn forge_request(
        &self,
        method: Method,
        url: &str,
        spec: &FitSpec,
        trace_id: &str,
        timeout: Duration,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .forge()
            .http
            .request(method, url)
            .timeout(timeout)
            .header(
                "authorization",
                format!("Bearer {}", self.forge_invocation_token(spec)),
            )
            .header("x-b3-traceid", trace_id)
            .header("x-b3-spanid", b3_id());
        // Forge creates the system token only for an app whose manifest has `read:app-system-token`.
        if self
            .forge_scopes()
            .iter()
            .any(|s| s == super::forge_scopes::SYSTEM_TOKEN_SCOPE)
        {
            req = req.header("x-forge-oauth-system", self.forge_live_token(None));
        }
        if spec.is_ui()
            && let Some(user) = &spec.principal
        {
            req = req.header("x-forge-oauth-user", self.forge_live_token(Some(user)));
        }
        req
    }

    /// POST `body` to `url` as the endpoint `key`.
    async fn forge_post(
        &self,
        url: &str,
        key: &str,
        body: &Value,
        trace_id: &str,
        timeout: Duration,
    ) -> Outcome {
        let sent = self
            .forge_request(
                Method::POST,
                url,
                &FitSpec::endpoint(key),
                trace_id,
                timeout,
            )
            .json(body)
            .send()
            .await;
        match sent {
            Ok(r) => {
                let status = r.status().as_u16();
                // Read the answer so a slow body counts against the timeout too.
                match r.bytes().await {
                    Ok(_) => Outcome {
                        status: Some(status),
                        error: None,
                        timed_out: false,
                    },
                    Err(e) => Outcome {
                        status: None,
                        timed_out: e.is_timeout(),
                        error: Some(e.to_string()),
                    },
                }
            }
            Err(e) => Outcome {
                status: None,
                timed_out: e.is_timeout(),
                error: Some(e.to_string()),
            },
        }
    }

    fn log_delivery(&self, kind: &str, path: &str, body: Value, dropped: bool) -> Option<usize> {
        let (remote, installation) = {
            let s = self.state();
            let i = s.forge.installed.as_ref()?;
            (i.remote.clone(), s.forge.installation_uuid.clone())
        };
        let mut log = self.forge_delivery_log();
        log.push(ForgeDelivery {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.to_owned(),
            path: path.to_owned(),
            url: format!("{}{path}", remote.base_url),
            installation_id: format!("{}{installation}", super::forge::INSTALLATION_PREFIX),
            body,
            attempts: Vec::new(),
            dropped,
        });
        Some(log.len() - 1)
    }

    /// Send `body` to the remote's `path` as the endpoint `key` in the background, with retries and the next event
    /// fault. Returns the delivery id; `None` when the app is not installed.
    pub(super) fn forge_enqueue(
        &self,
        kind: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> Option<String> {
        let fault = self.faults().forge_events.pop_front();
        let index = self.log_delivery(kind, path, body, fault == Some(WebhookFault::Drop))?;
        let id = self.forge_delivery_log()[index].id.clone();
        let spawn = |delay: Option<Duration>, overtaken: Vec<usize>| {
            let (sim, key) = (self.clone(), key.to_owned());
            tokio::spawn(async move {
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                sim.forge_deliver(index, &key).await;
                for i in overtaken {
                    sim.forge_deliver(i, &key).await;
                }
            });
        };
        match fault {
            Some(WebhookFault::Drop) => {}
            Some(WebhookFault::OutOfOrder) => self.faults().forge_held.push(index),
            Some(WebhookFault::Duplicate) => {
                spawn(None, Vec::new());
                spawn(None, Vec::new());
            }
            Some(WebhookFault::Delay(d)) => spawn(Some(d), Vec::new()),
            None => {
                let held = std::mem::take(&mut self.faults().forge_held);
                spawn(None, held);
            }
        }
        Some(id)
    }

    /// Whether `installation_id` is still the installed one.
    fn forge_still_installed(&self, installation_id: &str) -> bool {
        let s = self.state();
        s.forge.installed.is_some() && installation_id.ends_with(&s.forge.installation_uuid)
    }

    /// Deliver `index` with Forge's retry policy.
    async fn forge_deliver(&self, index: usize, key: &str) {
        let (url, body, installation) = {
            let log = self.forge_delivery_log();
            let d = &log[index];
            (d.url.clone(), d.body.clone(), d.installation_id.clone())
        };
        let (delay, timeout) = (
            self.inner.options.forge_retry_delay,
            self.inner.options.forge_event_timeout,
        );
        let trace_id = b3_id();
        let mut reason: Option<&'static str> = None;
        for retry in 0..=MAX_RETRIES {
            if !self.forge_still_installed(&installation) {
                return;
            }
            let mut body = body.clone();
            if let Some(r) = reason {
                let ctx = json!({"retryData": null, "retryCount": retry, "retryReason": r});
                match body.get_mut("payload").and_then(Value::as_object_mut) {
                    Some(payload) => payload.insert("retryContext".into(), ctx),
                    None => body
                        .as_object_mut()
                        .and_then(|b| b.insert("retryContext".into(), ctx)),
                };
            }
            let outcome = self.forge_post(&url, key, &body, &trace_id, timeout).await;
            let failure = outcome.failure();
            self.forge_delivery_log()[index]
                .attempts
                .push(ForgeAttempt {
                    retry_count: retry,
                    retry_reason: reason.map(str::to_owned),
                    status: outcome.status,
                    error: outcome.error,
                    trace_id: trace_id.clone(),
                });
            let Some(f) = failure else { return };
            reason = Some(f);
            if retry < MAX_RETRIES {
                tokio::time::sleep(delay).await;
            }
        }
    }

    /// One attempt, awaited, its answer only logged (the pre-uninstall call). `None` when not installed.
    pub(super) async fn forge_call_once(
        &self,
        kind: &str,
        path: &str,
        key: &str,
        body: Value,
        timeout: Duration,
    ) -> Option<ForgeAttempt> {
        let index = self.log_delivery(kind, path, body.clone(), false)?;
        let url = self.forge_delivery_log()[index].url.clone();
        let trace_id = b3_id();
        let outcome = self.forge_post(&url, key, &body, &trace_id, timeout).await;
        let attempt = ForgeAttempt {
            retry_count: 0,
            retry_reason: None,
            status: outcome.status,
            error: outcome.error,
            trace_id,
        };
        self.forge_delivery_log()[index]
            .attempts
            .push(attempt.clone());
        Some(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Option<u16>, timed_out: bool) -> Outcome {
        Outcome {
            status,
            error: None,
            timed_out,
        }
    }

    #[test]
    fn retry_reasons_follow_forge() {
        assert_eq!(outcome(Some(200), false).failure(), None);
        assert_eq!(outcome(Some(204), false).failure(), None);
        assert_eq!(
            outcome(Some(401), false).failure(),
            Some(INVALID_FORGE_INVOCATION_TOKEN)
        );
        for s in [302, 400, 404, 429, 500, 503] {
            assert_eq!(
                outcome(Some(s), false).failure(),
                Some(INVALID_REMOTE_INVOCATION_ERROR),
                "{s}"
            );
        }
        assert_eq!(
            outcome(None, false).failure(),
            Some(INVALID_REMOTE_INVOCATION_ERROR)
        );
        assert_eq!(outcome(None, true).failure(), Some(TIMEOUT_ERROR));
    }

    #[test]
    fn b3_ids_are_64_bit_hex() {
        let id = b3_id();
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, b3_id());
    }
}
