//! The sandbox: a faithful simulator of the parts of Jira Cloud, Atlassian's install-key server and Slack that
//! Clearance uses, and a demo warehouse with synthetic personal data. Used by `clearance demo` and the end-to-end
//! tests; never compiled into a production build (`--no-default-features`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod demo_landing;
pub mod demo_sites;
mod fault_units;
pub mod faults_api;
pub mod jira;
pub mod persist;
pub mod slack;
pub mod warehouse;

use axum::Router;
use tokio::net::TcpListener;

use jira::{JiraSim, SimKeys, SimOptions};
use slack::SlackSim;

/// Path under the sandbox's origin where the install-key server answers (`{base}/_keys/{kid}`).
pub const KEYS_PATH: &str = "/_keys";
/// Path under the sandbox's origin where the Slack simulator answers (`{base}/slack/api/…`).
pub const SLACK_PATH: &str = "/slack";

/// One origin serving the Jira site, its install-key server, optionally Slack, and the fault switches
/// ([`faults_api::FAULTS_PATH`]).
pub fn router(jira: &JiraSim, slack: Option<SlackSim>) -> Router {
    let mut r = jira
        .router()
        .nest(KEYS_PATH, jira.keys().router())
        .merge(faults_api::router(jira, slack.clone()));
    if let Some(s) = slack {
        r = r.nest(SLACK_PATH, slack::router(s));
    }
    r
}

/// Bind `listener` and serve `router` in the background.
pub fn serve_in_background(listener: TcpListener, router: Router) {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    });
}

/// A Jira site on a random loopback port, signing installs with `keys` (tests share keys between sites).
pub async fn spawn_site(keys: SimKeys, options: SimOptions) -> anyhow::Result<JiraSim> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let sim = JiraSim::new(&base, keys, options);
    serve_in_background(listener, router(&sim, None));
    Ok(sim)
}
