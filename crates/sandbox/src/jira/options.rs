//! How the simulator behaves where Jira's and Forge's timing would make tests slow, and the Forge app's identity.

use std::time::Duration;

/// How the simulator behaves where Jira's and Forge's timing would make tests slow; the Forge app's identity.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Delays between webhook retries (Jira: 5-15 minutes; tests: milliseconds). Its length is the retry count.
    pub webhook_retry_delays: Vec<Duration>,
    /// How long Jira waits for the app to answer a webhook.
    pub webhook_timeout: Duration,
    /// Display name of the installed app's user.
    pub app_user_name: String,
    /// Extra links in the page header (name, URL), e.g. the Slack inbox in the demo.
    pub links: Vec<(String, String)>,
    /// A line about this site under the simulator's banner (the demo says which front door the site installed).
    pub site_note: Option<String>,
    /// The Forge app id (`ari:cloud:ecosystem::app/<uuid>`), the FITs' `aud`.
    pub forge_app_id: String,
    /// UUID of the Forge environment (its id is `ari:cloud:ecosystem::environment/<appUuid>/<this>`).
    pub forge_environment_uuid: String,
    /// `app.environment.type`: `PRODUCTION`, `STAGING` or `DEVELOPMENT`.
    pub forge_environment_type: String,
    /// `app.appVersion`.
    pub forge_app_version: String,
    /// Delay between Forge event retries (Forge: 60 s; tests: ~100 ms).
    pub forge_retry_delay: Duration,
    /// How long Forge waits for the remote to answer an event, lifecycle event or scheduled trigger (Forge: 5 s).
    pub forge_event_timeout: Duration,
    /// How long Forge waits for the remote to answer `invokeRemote` (Forge: 25 s).
    pub forge_invoke_timeout: Duration,
    /// Lifetime of the OAuth tokens Forge hands out (3 h; Forge's are 2-4 h).
    pub forge_token_ttl: Duration,
    /// `Cache-Control: max-age` of the JWKS.
    pub forge_jwks_max_age: Duration,
    /// The Forge app's built Custom UI (`forge/static`), served under `/_sandbox/forge/ui/`; `None`: not served.
    pub forge_ui_dir: Option<std::path::PathBuf>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            webhook_retry_delays: [50, 100, 200, 400, 800]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            webhook_timeout: Duration::from_secs(10),
            app_user_name: "Clearance".into(),
            links: Vec::new(),
            site_note: None,
            forge_app_id: super::forge::FORGE_APP_ID.into(),
            forge_environment_uuid: super::forge::FORGE_ENVIRONMENT_UUID.into(),
            forge_environment_type: "PRODUCTION".into(),
            forge_app_version: "1.0.0".into(),
            forge_retry_delay: Duration::from_secs(60),
            forge_event_timeout: Duration::from_secs(5),
            forge_invoke_timeout: Duration::from_secs(25),
            forge_token_ttl: Duration::from_secs(3 * 3600),
            forge_jwks_max_age: Duration::from_secs(3600),
            forge_ui_dir: None,
        }
    }
}
