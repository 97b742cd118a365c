//! `/_sandbox/faults`: the simulators' faults over HTTP, so an outage can be rehearsed against a running demo.
//! `GET` shows what is switched on for Jira and Slack; `PUT`/`POST` with `{"jira": {...}, "slack": {...}}` switches
//! exactly those faults on for each simulator named (its other faults off; a simulator not named keeps its own);
//! `DELETE` switches everything off. Bodies mirror [`jira::Faults`] and [`slack::Faults`] (durations in ms).
//! Served on the sandbox's listener only; Clearance's own router never has it.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::json;

use super::{jira, slack};

/// Where the sandbox serves the fault settings.
pub const FAULTS_PATH: &str = "/_sandbox/faults";

#[derive(Clone)]
struct Targets {
    jira: jira::JiraSim,
    slack: Option<slack::SlackSim>,
}

/// A `PUT`/`POST` body: the faults to switch on, per simulator.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    jira: Option<jira::Faults>,
    slack: Option<slack::Faults>,
}

/// The fault routes for the sandbox serving `jira` (and `slack` when mounted).
pub fn router(jira: &jira::JiraSim, slack: Option<slack::SlackSim>) -> Router {
    Router::new()
        .route(FAULTS_PATH, get(show).put(set).post(set).delete(clear))
        .with_state(Targets {
            jira: jira.clone(),
            slack,
        })
}

fn current(t: &Targets) -> Response {
    let jira = serde_json::to_value(&*t.jira.faults());
    let slack = t.slack.as_ref().map(|s| serde_json::to_value(s.faults()));
    match (jira, slack.transpose()) {
        (Ok(jira), Ok(slack)) => Json(json!({"jira": jira, "slack": slack})).into_response(),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot show the sandbox's faults");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn show(State(t): State<Targets>) -> Response {
    current(&t)
}

fn refused(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message, "see": "docs/SANDBOX.md#faults-over-http"})),
    )
        .into_response()
}

async fn set(State(t): State<Targets>, body: Bytes) -> Response {
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let settings: Settings = match serde_path_to_error::deserialize(de) {
        Ok(s) => s,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return refused(if path == "." {
                format!("the body is not a fault setting: {inner}")
            } else {
                format!("{path}: {inner}")
            });
        }
    };
    if settings.jira.is_none() && settings.slack.is_none() {
        return refused(
            "name at least one simulator: {\"jira\": {...}} and/or {\"slack\": {...}}".into(),
        );
    }
    let slack = match (settings.slack, &t.slack) {
        (Some(f), Some(sim)) => Some((f, sim)),
        (Some(_), None) => return refused("this sandbox has no Slack simulator".into()),
        (None, _) => None,
    };
    if let Some(f) = settings.jira {
        t.jira.faults().replace(f);
    }
    if let Some((f, sim)) = slack {
        sim.set_faults(f);
    }
    current(&t)
}

async fn clear(State(t): State<Targets>) -> Response {
    t.jira.faults().replace(jira::Faults::default());
    if let Some(s) = &t.slack {
        s.clear_faults();
    }
    current(&t)
}
