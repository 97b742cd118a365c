//! The dashboard in a real browser (headless Chromium, see `browser.rs`): an admin opens it from the simulated Jira's
//! top bar after two requests were delivered, one rejected and one left new, sees the charts and the files due for
//! removal (a summary carrying `<script>` stays text), downloads the CSV, and the page is saved as `09-dashboard`;
//! axe-core finds no serious or critical WCAG 2.1 A/AA problem on it.

use clearance_sandbox::jira::people;
use fantoccini::Locator;

use crate::{
    browser::{Browser, enter_app_frame},
    browser_a11y::{axe_source, violations},
    dashboard::{EVIL, End, site_with_slack, take_through},
    helpers::Backend,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_opens_the_dashboard() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = site_with_slack(Backend::Sqlite).await;
    take_through(&s, &s.issue_id, End::Delivered).await;
    let (_, evil) = s.new_request(EVIL, "Please").await;
    take_through(&s, &evil, End::Delivered).await;
    let (_, broad) = s
        .new_request("Every customer who bought a kettle since 2019", "Please")
        .await;
    take_through(&s, &broad, End::Rejected).await;
    s.new_request("Newsletter opt-ins by country", "Please")
        .await;

    b.client.set_window_size(1200, 1700).await.unwrap();
    b.client
        .goto(&format!("{}/?as={}", s.sim.base_url(), people::ADMIN))
        .await
        .unwrap();
    b.client
        .find(Locator::LinkText("Apps › Clearance dashboard"))
        .await
        .expect("the dashboard is linked in the top bar")
        .click()
        .await
        .unwrap();
    enter_app_frame(&b).await;
    assert!(b.text("h1").await.contains("Clearance dashboard"));
    let expiries = b.text("#expiries").await;
    assert!(expiries.contains(EVIL), "shown as text: {expiries}");
    let waiting = b.text("#waiting-table").await;
    assert!(waiting.contains("Privacy officer"), "{waiting}");
    assert_eq!(
        b.client
            .execute(
                "return window.__xss === undefined && !document.querySelector('#expiries script')",
                vec![]
            )
            .await
            .unwrap(),
        serde_json::json!(true),
        "nothing from the summary ran"
    );
    b.screenshot("09-dashboard").await;
    b.click("Download CSV").await;
    let said = b.text_with("#dashboard-csv-status", "Downloaded").await;
    assert_eq!(said, "Downloaded clearance-dashboard.csv");

    // WCAG 2.1 A/AA (axe-core), with the folded number tables open.
    if let Some(axe) = axe_source() {
        b.client
            .execute(
                "document.querySelectorAll('details').forEach(function (d) { d.open = true; }); return true;",
                vec![],
            )
            .await
            .unwrap();
        let found = violations(&b, &axe, "dashboard").await;
        assert!(
            found.is_empty(),
            "accessibility problems:\n{}",
            found.join("\n")
        );
    }
    s.app.cleanup().await;
}
