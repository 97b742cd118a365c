//! The Forge Custom UI in a real browser: the bundle `npm run build` makes in forge/ (the same panel.js and admin.js
//! as Connect, plus the one bridge) served by the simulator as Forge hosts it, with a stand-in for Forge's host
//! bridge; every call goes through the simulator's invokeRemote to Clearance, with Forge's invocation tokens. The
//! analyst claims a request in the panel; the admin page lists the sources; a non-admin is told they are not one.
//! The dashboard, installed from forge/manifest.yml as a global page, opens from the site's top bar for a privacy
//! officer (content from `GET /api/dashboard` through invokeRemote, the CSV too) and is refused for a plain user.
//!
//! Needs Chromium (see browser.rs) and the built bundle (`npm ci && npm run build` in forge/, which `.ci/run` does);
//! without the bundle the test says SKIPPED, unless `CLEARANCE_TEST_REQUIRE_TOOLS=1`.

use std::path::PathBuf;

use clearance_sandbox::jira::{ForgeManifest, people};
use fantoccini::Locator;
use reqwest::StatusCode;

use crate::{
    browser::{Browser, enter_app_frame},
    forge_flow::{World, forge_world},
    helpers::Backend,
    sandbox_jira::wait_for_async,
};

/// A summary that tries to run a script.
const EVIL: &str = "Churn <img src=x onerror=\"window.__xss=1\">";

/// A request with the [`EVIL`] summary, once Clearance has picked it up: its key and issue id.
async fn evil_request(w: &World) -> (String, String) {
    let key = w
        .sim
        .create_issue("DATA", EVIL, "Please", &["data-request"], people::REQUESTER);
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
    (key, id)
}

pub(crate) fn bundle_built() -> bool {
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
    let (key, id) = evil_request(&w).await;
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
    assert_eq!(b.text("#summary").await, EVIL, "shown as text");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forge_dashboard_is_for_privacy_officers() {
    if !bundle_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = forge_world(Backend::Sqlite).await;
    // Deploy forge/manifest.yml over the bare remote: its global page appears in the top bar.
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/forge/manifest.yml"))
            .unwrap();
    let m = ForgeManifest::parse(&manifest, &[("CLEARANCE_URL", &w.app.base_url)]).unwrap();
    w.sim.forge_install_manifest(&m);
    evil_request(&w).await;

    let open_dashboard = |who: &'static str| {
        let b = &b;
        let url = format!("{}/?as={who}", w.sim.base_url());
        async move {
            b.client.goto(&url).await.unwrap();
            b.client
                .find(Locator::LinkText("Apps › Clearance dashboard"))
                .await
                .expect("the global page is linked in the top bar")
                .click()
                .await
                .unwrap();
            enter_app_frame(b).await;
        }
    };
    b.client.set_window_size(1200, 1600).await.unwrap();
    open_dashboard(people::PRIVACY_OFFICER).await;
    let tiles = b.text(".tiles").await;
    assert!(
        tiles.contains("requests picked up"),
        "{}",
        b.text("body").await
    );
    assert!(b.text("#waiting-table").await.contains("Privacy officer"));
    assert_eq!(
        b.client
            .execute("return window.__xss === undefined;", vec![])
            .await
            .unwrap(),
        serde_json::json!(true)
    );
    b.screenshot("14-forge-dashboard").await;
    b.click("Download CSV").await;
    let said = b.text_with("#dashboard-csv-status", "Downloaded").await;
    assert_eq!(said, "Downloaded clearance-dashboard.csv");

    // A person with no Clearance role: the server refuses, and the page says why, as text.
    open_dashboard(people::REQUESTER).await;
    let refusal = b.text("#clearance-dashboard .error").await;
    assert!(
        refusal.contains("for Clearance admins and privacy officers"),
        "{refusal}"
    );
    assert!(
        b.client.find(Locator::Css(".tiles")).await.is_err(),
        "no figures shown"
    );
    w.app.cleanup().await;
}
