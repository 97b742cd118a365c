//! A log of the app's REST calls as the site saw them (method, path, status, when received and answered), so tests
//! can check what the app asked for and when, e.g. that it waited as long as a `Retry-After` told it to. Calls
//! through the API gateway are logged with their `/ex/jira/{cloudId}/…` path.

use std::collections::VecDeque;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{JiraSim, forge_gateway::GatewayCall};

/// Calls kept; older ones are forgotten (the demo's simulator runs for days).
const KEPT: usize = 10_000;

/// One REST call by the app.
#[derive(Clone, Debug, Serialize)]
pub struct RestCall {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status answered; `None` while the call is still being answered (e.g. held by the `slow` fault).
    pub status: Option<u16>,
    /// When the request arrived.
    pub received: DateTime<Utc>,
    /// When the answer was ready (its headers about to be sent).
    pub answered: Option<DateTime<Utc>>,
}

/// The log: a sequence number per call so an answer finds its entry after older ones were dropped.
#[derive(Debug, Default)]
pub(super) struct CallLog {
    next: u64,
    calls: VecDeque<(u64, RestCall)>,
}

impl JiraSim {
    /// The app's REST calls so far (the last 10,000), oldest first, including refused and fault-injected ones.
    pub fn rest_calls(&self) -> Vec<RestCall> {
        self.calls().calls.iter().map(|(_, c)| c.clone()).collect()
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, CallLog> {
        self.inner.calls.lock().expect("call log lock poisoned")
    }
}

/// Outermost middleware on the REST API: record the call, then its answer.
pub(super) async fn record(State(sim): State<JiraSim>, req: Request, next: Next) -> Response {
    let call = RestCall {
        method: req.method().to_string(),
        path: match req.extensions().get::<GatewayCall>() {
            Some(g) => g.original.clone(),
            None => req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned()),
        },
        status: None,
        received: Utc::now(),
        answered: None,
    };
    let seq = {
        let mut log = sim.calls();
        let seq = log.next;
        log.next += 1;
        log.calls.push_back((seq, call));
        if log.calls.len() > KEPT {
            log.calls.pop_front();
        }
        seq
    };
    let resp = next.run(req).await;
    let mut log = sim.calls();
    if let Some((_, c)) = log.calls.iter_mut().rev().find(|(s, _)| *s == seq) {
        c.status = Some(resp.status().as_u16());
        c.answered = Some(Utc::now());
    }
    resp
}
