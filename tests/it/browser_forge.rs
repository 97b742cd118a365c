//! The Forge Custom UI in a real browser: the bundle `npm run build` makes in forge/ (the same panel.js and admin.js
//! as Connect, plus the one bridge) served by the simulator as Forge hosts it, with a stand-in for Forge's host
//! bridge; every call goes through the simulator's invokeRemote to Clearance, with Forge's invocation tokens. The
//! analyst claims a request in the panel; the admin page lists the sources; a non-admin is told they are not one.
//!
//! Needs Chromium (see browser.rs) and the built bundle (`npm ci && npm run build` in forge/, which `.ci/run` does);
//! without the bundle the test says SKIPPED, unless `CLEARANCE_TEST_REQUIRE_TOOLS=1`.

use std::path::PathBuf;

use clearance::sandbox::jira::people;
use reqwest::StatusCode;

use crate::{
    browser::Browser, forge_flow::forge_world, helpers::Backend, sandbox_jira::wait_for_async,
};

fn bundle_built() -> bool {
    let index =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("forge/static/panel/build/index.html");
    if index.exists() {
        return true;
    }
    if std::env::var("CLEARANCE_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!(
            "{} is missing: run `npm ci && npm run build` in forge/",
            index.display()
        );
    }
    eprintln!("SKIPPED: the Forge UI bundle is not built; run `npm ci && npm run build` in forge/");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forge_panel_and_admin_page_run_the_connect_scripts() {
    if !bundle_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = forge_world(Backend::Sqlite).await;
    let evil = "Churn <img src=x onerror=\"window.__xss=1\">";
    let key = w
        .sim
        .create_issue("DATA", evil, "Please", &["data-request"], people::REQUESTER);
    let id = w.sim.issue(&key).unwrap().id.to_string();
    wait_for_async(|| async {
        let (status, _) = w
            .call(
                people::ANALYST,
                "GET",
                &format!("/api/panel/requests/{id}"),
                Some(&key),
                None,
            )
            .await;
        (status == StatusCode::OK).then_some(())
    })
    .await;
    let page = |resource: &str, who: &str, module: &str, kind: &str, issue: bool| {
        let mut url = format!(
            "{}/_sandbox/forge/ui/{resource}/index.html?as={who}&moduleKey={module}&moduleType={kind}",
            w.sim.base_url()
        );
        if issue {
            url.push_str(&format!("&issueId={id}&issueKey={key}&projectKey=DATA"));
        }
        url
    };

    // The panel: the same script as on Connect, every call through invokeRemote.
    b.client
        .goto(&page(
            "panel",
            people::ANALYST,
            "clearance-panel",
            "jira:issueContext",
            true,
        ))
        .await
        .unwrap();
    b.state_is("New").await;
    assert_eq!(b.text("#summary").await, evil, "shown as text");
    b.click("Claim").await;
    b.state_is("In review").await;
    b.screenshot("13-forge-panel").await;
    let xss = b
        .client
        .execute("return window.__xss === undefined;", vec![])
        .await
        .unwrap();
    assert_eq!(xss, serde_json::json!(true));

    // The admin page: for admins only, and the server says so in words.
    b.client
        .goto(&page(
            "admin",
            people::ANALYST,
            "clearance-admin",
            "jira:adminPage",
            false,
        ))
        .await
        .unwrap();
    assert!(
        b.text(".error").await.contains("only Clearance admins"),
        "{}",
        b.text("body").await
    );
    b.client
        .goto(&page(
            "admin",
            people::ADMIN,
            "clearance-admin",
            "jira:adminPage",
            false,
        ))
        .await
        .unwrap();
    let mut shown = String::new();
    for _ in 0..100 {
        shown = b.text("#clearance-admin").await;
        if shown.contains("No data sources yet") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown.contains("No data sources yet"), "{shown}");
    w.app.cleanup().await;
}
