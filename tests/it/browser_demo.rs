//! `clearance demo` in a real browser (headless Chromium, see `browser.rs`): the landing page tells the two sites
//! apart, and on each — the Forge site (Custom UI bundle, invokeRemote with invocation tokens, product events, the
//! app system token) and the Connect site — people take DATA-2 through the whole workflow in the issue panel: the
//! analyst claims it, writes and dry-runs the plan and masks the e-mail, submits it as personal data; the privacy
//! officer approves; the analyst extracts; the file is attached to the issue; the requester reveals its password
//! from the Slack inbox and the file opens with it; the privacy officer sees the delivery on the site's dashboard.
//!
//! Needs Chromium and the built Forge bundle (see `browser_forge.rs`).

use std::time::Duration;

use clearance_sandbox::jira::people;
use fantoccini::Locator;

use crate::{
    browser::{Browser, enter_app_frame},
    browser_forge::bundle_built,
    demo::{Ports, start, stop},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_demo_sites_take_a_request_to_delivery_in_the_browser() {
    if !bundle_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports::free();
    let (child, landing) = start(&dir.path().join("demo"), ports);
    b.client.set_window_size(1200, 1400).await.unwrap();
    b.client.goto(&landing).await.unwrap();
    let forge_card = b.text("#forge-site").await;
    assert!(
        forge_card.contains("how a new Jira site installs Clearance today"),
        "{forge_card}"
    );
    assert!(
        b.text("#connect-site")
            .await
            .contains("sites that already have the Connect app")
    );
    b.screenshot("16-demo-landing").await;

    let sandbox = format!("http://127.0.0.1:{}", ports.sandbox);
    let forge = format!("http://127.0.0.1:{}", ports.forge);
    for (site, name) in [(&forge, "forge"), (&sandbox, "connect")] {
        walk_through(&b, site, &sandbox, name).await;
    }
    stop(child);
}

/// DATA-2 on `site` from new to delivered, as the four people click it.
async fn walk_through(b: &Browser, site: &str, sandbox: &str, name: &str) {
    let panel = |who: &'static str| async move {
        b.client
            .goto(&format!("{site}/browse/DATA-2?as={who}"))
            .await
            .unwrap();
        enter_app_frame(b).await;
    };
    panel(people::ANALYST).await;
    b.state_is("New").await;
    b.click("Claim").await;
    b.state_is("In review").await;
    // Opened afresh, as a person comes back to write the plan (the panel re-renders after a command).
    panel(people::ANALYST).await;
    b.state_is("In review").await;
    b.write_sql(
        "SELECT id, first_name, email, country\nFROM customers\nWHERE id <= 40\nORDER BY id",
    )
    .await;
    b.click("Save and dry run").await;
    assert!(b.text("#dry-run-rows").await.contains("@"), "{name}: rows");
    b.mask_email().await;
    b.click("Submit: contains personal data").await;
    b.state_is("Awaiting approval").await;

    panel(people::PRIVACY_OFFICER).await;
    b.state_is("Awaiting approval").await;
    b.click("Approve with this masking").await;
    b.state_is("Approved").await;

    panel(people::ANALYST).await;
    b.state_is("Approved").await;
    b.click("Extract").await;
    // Slack is connected on both demo sites: the password goes out by DM and the request is delivered.
    b.state_is("Delivered").await;
    b.screenshot(&format!("15-demo-{name}-delivered")).await;

    // The file is on the issue page, for the requester.
    b.client
        .goto(&format!("{site}/browse/DATA-2?as={}", people::REQUESTER))
        .await
        .unwrap();
    let link = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath("//a[contains(text(), '.zip.age')]"))
        .await
        .unwrap();
    let file_name = link.text().await.unwrap();
    let href = link.prop("href").await.unwrap().expect("a link");

    // Riley's Slack inbox: the newest message carries the reveal link; the page shows the password once.
    b.client
        .goto(&format!("{sandbox}/slack/inbox"))
        .await
        .unwrap();
    b.client
        .find(Locator::XPath(
            "//a[starts-with(normalize-space(), 'Riley')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let reveal = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("a[href*='/reveal/']"))
        .await
        .unwrap()
        .prop("href")
        .await
        .unwrap()
        .expect("a reveal link");
    b.client.goto(&reveal).await.unwrap();
    assert!(
        b.text("h1").await.contains(&file_name),
        "{name}: the DM is about this file"
    );
    b.click("Reveal the password").await;
    let password = b.text(".secret").await;
    b.screenshot(&format!("17-demo-{name}-password")).await;
    let file = reqwest::get(&href).await.unwrap().bytes().await.unwrap();
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(password));
    let zip = age::decrypt(&id, &file).expect("the file opens with the revealed password");
    assert!(zip.starts_with(b"PK"), "{name}: a zip inside");

    // The privacy officer's dashboard on the same site counts the delivery.
    b.client
        .goto(&format!("{site}/?as={}", people::PRIVACY_OFFICER))
        .await
        .unwrap();
    b.client
        .find(Locator::LinkText("Apps › Clearance dashboard"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    enter_app_frame(b).await;
    let tiles = b.text(".tiles").await;
    assert!(tiles.contains("1\ndelivered"), "{name}: {tiles}");
}
