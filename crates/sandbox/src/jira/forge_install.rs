//! The Forge app's installation lifecycle on the site: install (a new installation id, `avi:forge:installed:app`
//! to the lifecycle endpoint), uninstall (the `preUninstall` endpoint first, 55 s, its answer ignored; afterwards
//! nothing is sent and the app's tokens stop working), re-install, and the scheduled trigger run on demand.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::{
    JiraSim,
    forge::{ForgeInstallation, ForgeRemote, INSTALLATION_PREFIX},
    forge_delivery::ForgeAttempt,
    people,
};

/// The lifecycle event sent on install.
pub const INSTALLED: &str = "avi:forge:installed:app";
/// How long Forge waits for the pre-uninstall endpoint.
pub const PRE_UNINSTALL_TIMEOUT: Duration = Duration::from_secs(55);

impl JiraSim {
    /// Install the Forge app (installer: the site admin) with `remote`; send `avi:forge:installed:app`. Installing
    /// while installed only replaces the remote (as a redeploy does) and keeps the installation id. Returns the
    /// installation id.
    pub fn forge_install(&self, remote: ForgeRemote) -> String {
        let (fresh, uuid) = {
            let mut s = self.state();
            let f = &mut s.forge;
            let fresh = f.installed.is_none();
            if fresh {
                f.installation_uuid = uuid::Uuid::new_v4().to_string();
            }
            let installer_account_id = f.installed.as_ref().map_or_else(
                || people::ADMIN.to_owned(),
                |i| i.installer_account_id.clone(),
            );
            f.installed = Some(ForgeInstallation {
                remote: remote.clone(),
                installer_account_id,
                installed_at: Utc::now(),
                modules: Default::default(),
            });
            (fresh, f.installation_uuid.clone())
        };
        self.changed();
        if fresh {
            // Forge's example shows bare UUIDs here (installation, app and environment), unlike the FIT's ARIs.
            let payload = json!({
                "id": uuid,
                "installerAccountId": people::ADMIN,
                "app": {"id": self.forge_app_uuid(), "version": self.inner.options.forge_app_version},
                "environment": {"id": self.inner.options.forge_environment_uuid},
            });
            self.forge_enqueue(
                INSTALLED,
                &remote.lifecycle_path,
                &remote.keys.lifecycle_endpoint,
                json!({ "payload": payload }),
            );
        }
        format!("{INSTALLATION_PREFIX}{uuid}")
    }

    /// Call the pre-uninstall endpoint (`{"context": {cloudId, moduleKey}}`, 55 s, the answer only logged), then
    /// uninstall: no more events, tokens refused. Forge does not wait for the call; the simulator does, so tests
    /// are deterministic. Returns the call's outcome; `None` if the app was not installed.
    pub async fn forge_uninstall(&self) -> Option<ForgeAttempt> {
        let remote = self.forge_remote()?;
        let body = json!({"context": {"cloudId": self.forge_cloud_id(), "moduleKey": remote.keys.pre_uninstall}});
        let attempt = self
            .forge_call_once(
                "preUninstall",
                &remote.pre_uninstall_path,
                &remote.keys.pre_uninstall_endpoint,
                body,
                PRE_UNINSTALL_TIMEOUT,
            )
            .await;
        self.state().forge.installed = None;
        self.changed();
        attempt
    }

    /// Uninstall and install again with the same remote: a new installation id, the same cloudId. Returns the new
    /// installation id; `None` if the app was not installed.
    pub async fn forge_reinstall(&self) -> Option<String> {
        let remote = self.forge_remote()?;
        self.forge_uninstall().await;
        Some(self.forge_install(remote))
    }

    /// Run the scheduled trigger now: POST `{"context": {cloudId, moduleKey}}` to the scheduled endpoint (system
    /// token only, retried like events). Returns the delivery id; `None` if the app is not installed.
    pub fn forge_run_scheduled(&self) -> Option<String> {
        let remote = self.forge_remote()?;
        let body = json!({"context": {"cloudId": self.forge_cloud_id(), "moduleKey": remote.keys.scheduled_trigger}});
        self.forge_enqueue(
            "scheduledTrigger",
            &remote.scheduled_path,
            &remote.keys.scheduled_endpoint,
            body,
        )
    }
}
