//! JQL aliases of indexed issue properties come from what the site installed: a Forge site indexes the
//! `clearance-request` property because forge/manifest.yml declares a `jira:entityProperty` module, and answers
//! `clearanceStatus = "approved"`; installed from the same manifest without that module, the same query is refused as
//! Jira refuses an unknown field (400, "does not exist").

use clearance_sandbox::jira::{ForgeManifest, JiraSim, people};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{LIFECYCLE, fast, http, remote::Remote, site};

const MANIFEST: &str = include_str!("../../../forge/manifest.yml");

/// A Forge site with the app installed from `manifest` on a stand-in remote, and two issues: one whose
/// `clearance-request` property says `approved` (set through the API gateway, as Clearance writes it), one `new`.
async fn site_from(manifest: &str) -> (JiraSim, Remote, String) {
    let sim = site(fast()).await;
    let remote = Remote::spawn(&sim).await;
    let m = ForgeManifest::parse(manifest, &[("CLEARANCE_URL", &remote.base)]).unwrap();
    sim.forge_install_manifest(&m);
    remote.wait_at(LIFECYCLE, 1).await;
    let approved = sim.create_issue("DATA", "a", "", &["data-request"], people::REQUESTER);
    let fresh = sim.create_issue("DATA", "b", "", &["data-request"], people::REQUESTER);
    for (key, state) in [(&approved, "approved"), (&fresh, "new")] {
        let r = http()
            .put(format!(
                "{}/rest/api/3/issue/{key}/properties/clearance-request",
                sim.api_base_url()
            ))
            .bearer_auth(sim.forge_system_token())
            .json(&json!({"state": state, "updated": "2026-12-01T10:00:00Z"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    (sim, remote, approved)
}

/// `jql` through the API gateway with the system token: the status and the body.
async fn search(sim: &JiraSim, jql: &str) -> (StatusCode, Value) {
    let r = http()
        .post(format!("{}/rest/api/3/search/jql", sim.api_base_url()))
        .bearer_auth(sim.forge_system_token())
        .json(&json!({"jql": jql, "fields": ["key"]}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

fn keys(body: &Value) -> Vec<String> {
    body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forge_site_answers_the_alias_its_manifest_indexes() {
    let (sim, _remote, approved) = site_from(MANIFEST).await;
    assert_eq!(sim.jql_aliases().len(), 2, "from the manifest");
    let (status, body) = search(&sim, r#"clearanceStatus = "approved""#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body), [approved]);
    let (_, body) = search(&sim, "clearanceStatus in (approved, new) ORDER BY key").await;
    assert_eq!(keys(&body).len(), 2);
    let (_, body) = search(&sim, r#"project = DATA AND clearancestatus != "approved""#).await;
    assert_eq!(keys(&body).len(), 1, "aliases are case-insensitive: {body}");
    let (status, body) = search(&sim, r#"clearanceUpdated >= "2026-11-30""#).await;
    assert_eq!((status, keys(&body).len()), (StatusCode::OK, 2), "{body}");
    let (_, body) = search(&sim, r#"clearanceUpdated > "2026-12-02""#).await;
    assert!(keys(&body).is_empty(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_module_the_alias_is_an_unknown_field() {
    let mut doc: Value = serde_yaml_ng::from_str(MANIFEST).unwrap();
    let removed = doc["modules"]
        .as_object_mut()
        .unwrap()
        .remove("jira:entityProperty");
    assert!(removed.is_some(), "the manifest declares the module");
    let (sim, _remote, _) = site_from(&serde_yaml_ng::to_string(&doc).unwrap()).await;
    let (status, body) = search(&sim, r#"clearanceStatus = "approved""#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["errorMessages"][0],
        "Field 'clearanceStatus' does not exist or you do not have permission to view it."
    );
}
