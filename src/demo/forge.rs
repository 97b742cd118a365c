//! The demo's Forge site as Clearance sees it: install the Forge app there and wait until Clearance holds the site's
//! tenant.

use std::time::Duration;

use anyhow::Context;
use clearance_sandbox::jira::{ForgeManifest, JiraSim};

use crate::store::Store;

/// Install the Forge app from `manifest` with its remote at `app_url`, unless it is installed and Clearance has the
/// site's tenant; then wait for Clearance to have the tenant (the installed event creates it). On a resumed site,
/// run the hourly trigger so Clearance holds a system token from this run (tokens live in the simulator's memory).
pub async fn install_forge(
    sim: &JiraSim,
    store: &Store,
    manifest: &str,
    app_url: &str,
) -> anyhow::Result<()> {
    let client_key = forge_client_key(sim);
    let active = store
        .tenant_by_client_key(&client_key)
        .await?
        .is_some_and(|t| t.tenant.state.is_active());
    if sim.forge_remote().is_some() && active {
        sim.forge_run_scheduled();
    } else {
        let m = ForgeManifest::parse(manifest, &[("CLEARANCE_URL", app_url)])
            .context("reading forge/manifest.yml")?;
        sim.forge_install_manifest(&m);
    }
    for _ in 0..300 {
        if store
            .tenant_by_client_key(&client_key)
            .await?
            .is_some_and(|t| t.tenant.state.is_active())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("Clearance did not take the Forge installation within 30 s (see the log)")
}

/// The Forge site's tenant client key in Clearance (`forge:{cloudId}`).
pub fn forge_client_key(sim: &JiraSim) -> String {
    format!(
        "{}{}",
        crate::host::forge::CLIENT_KEY_PREFIX,
        sim.forge_cloud_id()
    )
}
