//! Forge identity of the simulated site: the Forge app's id and environment, the site's `cloudId`, the app's bot
//! account, the current installation and the remote it calls (the manifest's endpoint routes), and the in-memory
//! parts of the Forge runtime (signing keys, OAuth tokens, delivery log).

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{JiraSim, forge_delivery::ForgeDelivery, forge_keys::KeyRing, forge_tokens::Grants};

/// The default Forge app id (`SimOptions::forge_app_id`).
pub const FORGE_APP_ID: &str = "ari:cloud:ecosystem::app/2f7c1a64-5b1e-4f7e-9d0a-3c6b8e41a9d5";
/// The default environment UUID (`SimOptions::forge_environment_uuid`).
pub const FORGE_ENVIRONMENT_UUID: &str = "8a1d3c52-7e64-4b9f-a0c2-5d7e9f1b3a46";
/// What Forge app ids start with.
pub const APP_PREFIX: &str = "ari:cloud:ecosystem::app/";
/// What installation ids start with.
pub const INSTALLATION_PREFIX: &str = "ari:cloud:ecosystem::installation/";
/// What environment ids start with (`…/<appUuid>/<envUuid>`).
pub const ENVIRONMENT_PREFIX: &str = "ari:cloud:ecosystem::environment/";

/// The Forge side of the site's saved state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ForgeSite {
    /// The site's cloudId: stable for the site, across re-installs.
    pub cloud_id: String,
    /// The Forge app's own account (its "bot user"), which the system token acts as.
    pub app_account_id: String,
    /// UUID of the current (or last) installation; a new one on every install.
    pub installation_uuid: String,
    /// The installation, while the app is installed.
    pub installed: Option<ForgeInstallation>,
}

/// An installation of the Forge app on the site.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ForgeInstallation {
    /// Where Forge sends events, lifecycle events, scheduled triggers and UI calls.
    pub remote: ForgeRemote,
    /// Who installed it.
    pub installer_account_id: String,
    /// When.
    pub installed_at: DateTime<Utc>,
    /// The manifest's UI modules and indexed issue properties (none when installed with a bare remote).
    #[serde(default)]
    pub modules: super::forge_manifest::ForgeModules,
}

/// The remote as the manifest declares it: `remotes[].baseUrl`, the `route.path` of each endpoint, and the
/// scopes the installation grants (`permissions.scopes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeRemote {
    /// `remotes[].baseUrl` (no trailing slash).
    pub base_url: String,
    /// Route of the endpoint the issue-event trigger targets.
    pub events_path: String,
    /// Route of the endpoint the `avi:forge:installed:app` trigger targets.
    pub lifecycle_path: String,
    /// Route of the endpoint the scheduled trigger targets.
    pub scheduled_path: String,
    /// Route of the endpoint the `preUninstall` module targets.
    pub pre_uninstall_path: String,
    /// The issue-event trigger's `filter.ignoreSelf`: drop events the app's own system-token writes caused.
    pub ignore_self: bool,
    /// Module keys (they appear in the FIT's `app.module.key` and in `context.moduleKey`).
    pub keys: ForgeModuleKeys,
    /// `permissions.scopes`: what the app's tokens may do at the API gateway, and whether Forge sends the system
    /// token at all (`read:app-system-token`). Sites saved without it get Clearance's manifest's.
    #[serde(default = "super::forge_scopes::clearance_scopes")]
    pub scopes: Vec<String>,
}

/// Module keys of the manifest's endpoints and triggers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeModuleKeys {
    /// `endpoint` key for issue events.
    pub events_endpoint: String,
    /// `endpoint` key for lifecycle events.
    pub lifecycle_endpoint: String,
    /// `endpoint` key for the scheduled trigger.
    pub scheduled_endpoint: String,
    /// `endpoint` key for the pre-uninstall call.
    pub pre_uninstall_endpoint: String,
    /// `scheduledTrigger` key.
    pub scheduled_trigger: String,
    /// `preUninstall` key.
    pub pre_uninstall: String,
}

impl Default for ForgeModuleKeys {
    fn default() -> Self {
        Self {
            events_endpoint: "jira-events".into(),
            lifecycle_endpoint: "lifecycle".into(),
            scheduled_endpoint: "scheduled".into(),
            pre_uninstall_endpoint: "uninstalling".into(),
            scheduled_trigger: "hourly".into(),
            pre_uninstall: "cleanup".into(),
        }
    }
}

impl ForgeRemote {
    /// Clearance's manifest routes on `base_url`: `/forge/events/jira`, `/forge/events/lifecycle`,
    /// `/forge/scheduled/hourly`, `/forge/lifecycle/pre-uninstall`; `ignoreSelf` on; the scopes of
    /// `forge/manifest.yml`.
    pub fn at(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            events_path: "/forge/events/jira".into(),
            lifecycle_path: "/forge/events/lifecycle".into(),
            scheduled_path: "/forge/scheduled/hourly".into(),
            pre_uninstall_path: "/forge/lifecycle/pre-uninstall".into(),
            ignore_self: true,
            keys: ForgeModuleKeys::default(),
            scopes: super::forge_scopes::clearance_scopes(),
        }
    }
}

impl ForgeSite {
    /// Fill in the ids a site saved before Forge support lacks (derived from the clientKey, so they are stable).
    pub(super) fn ensure_ids(&mut self, client_key: &str) {
        let derived = |what: &str| {
            uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                format!("{what}:{client_key}").as_bytes(),
            )
        };
        if self.cloud_id.is_empty() {
            self.cloud_id = derived("cloud").to_string();
        }
        if self.app_account_id.is_empty() {
            self.app_account_id = format!("712020:forge-{}", derived("forge-app").simple());
        }
        if self.installation_uuid.is_empty() {
            self.installation_uuid = uuid::Uuid::new_v4().to_string();
        }
    }
}

/// The parts of the Forge runtime that live in memory only.
pub(super) struct Runtime {
    pub(super) keys: Mutex<KeyRing>,
    pub(super) tokens: Mutex<Grants>,
    pub(super) deliveries: Mutex<Vec<ForgeDelivery>>,
    /// Calls to the remote: no redirects followed (3xx is an error), timeouts set per call.
    pub(super) http: reqwest::Client,
}

impl Runtime {
    pub(super) fn new() -> Self {
        Self {
            keys: Mutex::new(KeyRing::default()),
            tokens: Mutex::new(Grants::default()),
            deliveries: Mutex::new(Vec::new()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("building a reqwest client with static settings cannot fail"),
        }
    }
}

impl JiraSim {
    pub(super) fn forge(&self) -> &Runtime {
        &self.inner.forge
    }

    pub(super) fn forge_delivery_log(&self) -> MutexGuard<'_, Vec<ForgeDelivery>> {
        self.inner
            .forge
            .deliveries
            .lock()
            .expect("forge deliveries lock poisoned")
    }

    /// The Forge app id (`ari:cloud:ecosystem::app/<uuid>`), the FIT's `aud`.
    pub fn forge_app_id(&self) -> &str {
        &self.inner.options.forge_app_id
    }

    /// The app id's bare UUID.
    pub(super) fn forge_app_uuid(&self) -> &str {
        let id = self.forge_app_id();
        id.strip_prefix(APP_PREFIX).unwrap_or(id)
    }

    /// The Forge environment id: `ari:cloud:ecosystem::environment/<appUuid>/<envUuid>`.
    pub fn forge_environment_id(&self) -> String {
        format!(
            "{ENVIRONMENT_PREFIX}{}/{}",
            self.forge_app_uuid(),
            self.inner.options.forge_environment_uuid
        )
    }

    /// The site's cloudId (a UUID, stable for the site).
    pub fn forge_cloud_id(&self) -> String {
        self.state().forge.cloud_id.clone()
    }

    /// The current (or, when uninstalled, the last) installation id: `ari:cloud:ecosystem::installation/<uuid>`.
    pub fn forge_installation_id(&self) -> String {
        format!(
            "{INSTALLATION_PREFIX}{}",
            self.state().forge.installation_uuid
        )
    }

    /// The Forge app's own accountId (what the system token acts as).
    pub fn forge_account_id(&self) -> String {
        self.state().forge.app_account_id.clone()
    }

    /// Where the app calls Jira with OAuth tokens: `{site}/ex/jira/{cloudId}` (api.atlassian.com in reality).
    pub fn api_base_url(&self) -> String {
        format!("{}/ex/jira/{}", self.base_url(), self.forge_cloud_id())
    }

    /// The scopes the installed Forge app is granted (none when it is not installed).
    pub fn forge_scopes(&self) -> Vec<String> {
        self.forge_remote().map(|r| r.scopes).unwrap_or_default()
    }

    /// The installed remote, if the Forge app is installed.
    pub fn forge_remote(&self) -> Option<ForgeRemote> {
        self.state()
            .forge
            .installed
            .as_ref()
            .map(|i| i.remote.clone())
    }

    /// Forge calls to the remote so far (events, lifecycle, scheduled, pre-uninstall), each with every attempt.
    pub fn forge_deliveries(&self) -> Vec<ForgeDelivery> {
        self.forge_delivery_log().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_per_site() {
        let mut a = ForgeSite::default();
        a.ensure_ids("client-a");
        let mut again = ForgeSite::default();
        again.ensure_ids("client-a");
        let mut b = ForgeSite::default();
        b.ensure_ids("client-b");
        assert_eq!(a.cloud_id, again.cloud_id);
        assert_eq!(a.app_account_id, again.app_account_id);
        assert_ne!(a.cloud_id, b.cloud_id);
        assert!(uuid::Uuid::try_parse(&a.cloud_id).is_ok());
        assert!(uuid::Uuid::try_parse(&a.installation_uuid).is_ok());
        // Ids already there are kept.
        let before = a.clone();
        a.ensure_ids("client-c");
        assert_eq!(
            (a.cloud_id, a.installation_uuid),
            (before.cloud_id, before.installation_uuid)
        );
    }

    #[test]
    fn remote_defaults_are_clearances_manifest_routes() {
        let r = ForgeRemote::at("https://clearance.example.com/");
        assert_eq!(r.base_url, "https://clearance.example.com");
        assert_eq!(r.events_path, "/forge/events/jira");
        assert_eq!(r.lifecycle_path, "/forge/events/lifecycle");
        assert_eq!(r.scheduled_path, "/forge/scheduled/hourly");
        assert_eq!(r.pre_uninstall_path, "/forge/lifecycle/pre-uninstall");
        assert!(r.ignore_self);
    }
}
