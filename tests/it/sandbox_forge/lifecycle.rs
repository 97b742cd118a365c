//! The installation lifecycle: scheduled triggers, re-install (new installation id, same cloudId), the pre-uninstall
//! call, and silence afterwards.

use std::time::Duration;

use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::json;

use super::{LIFECYCLE, fast, http, installed, remote::Reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinstall_uninstall_and_scheduled_triggers() {
    let (sim, remote) = installed(fast(), true).await;
    let cloud = sim.forge_cloud_id();
    let first = sim.forge_installation_id();
    let old_token = sim.forge_system_token();

    // The scheduled trigger: a POST with the system token only, no user.
    sim.forge_run_scheduled().unwrap();
    let got = remote.wait_at("/forge/scheduled/hourly", 1).await;
    assert_eq!(got[0].body["context"]["cloudId"], cloud);
    assert!(got[0].header("x-forge-oauth-system").is_some());
    assert!(got[0].header("x-forge-oauth-user").is_none());
    assert_eq!(got[0].claims()["app"]["module"]["key"], "scheduled");

    // Re-install: pre-uninstall call, then a new installation id, the same cloudId, a new installed event.
    let second = sim.forge_reinstall().await.unwrap();
    assert_ne!(second, first);
    assert_eq!(second, sim.forge_installation_id());
    assert_eq!(sim.forge_cloud_id(), cloud);
    let installed = remote.wait_at(LIFECYCLE, 1).await;
    assert_eq!(
        installed[0].claims()["app"]["installationId"].as_str(),
        Some(second.as_str())
    );
    assert_eq!(
        installed[0].claims()["app"]["installation"]["contexts"][0]["cloudId"],
        cloud
    );
    let r = http()
        .get(format!("{}/rest/api/3/myself", sim.api_base_url()))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the old installation's token"
    );

    // Uninstall: the pre-uninstall endpoint gets {context: {cloudId, moduleKey}} and a FIT; its answer is ignored.
    remote.reply(Reply::json(500, json!({})));
    let attempt = sim.forge_uninstall().await.unwrap();
    assert_eq!(attempt.status, Some(500));
    let calls = remote.at("/forge/lifecycle/pre-uninstall");
    assert_eq!(calls.len(), 2, "one for the re-install, one now");
    assert_eq!(
        calls[1].body,
        json!({"context": {"cloudId": cloud, "moduleKey": "cleanup"}})
    );
    assert_eq!(
        calls[1].claims()["app"]["installationId"].as_str(),
        Some(second.as_str())
    );
    assert!(sim.forge_remote().is_none());

    // Nothing is sent any more.
    remote.clear();
    sim.create_issue("DATA", "after", "", &[], people::REQUESTER);
    assert!(sim.forge_run_scheduled().is_none());
    assert!(sim.forge_uninstall().await.is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(remote.got().is_empty(), "{:#?}", remote.got());
}
