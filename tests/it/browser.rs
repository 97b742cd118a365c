//! The issue panel in a real browser: Debian's headless Chromium driven through chromedriver (WebDriver, `fantoccini`)
//! on the simulated Jira site's issue page, which embeds the panel iframe exactly as Jira does. People click through
//! the workflow — claim, submit, approve, extract, the requester reveals the password — and see only their own
//! controls; a summary carrying `<script>` stays text. Screenshots of each step go to `target/browser-screenshots/`
//! (and to `docs/screenshots/` when `CLEARANCE_SCREENSHOTS_DIR=docs/screenshots`).
//!
//! Needs `chromium` and `chromium-driver` (`apt-get install chromium chromium-driver`); without them the tests say
//! SKIPPED, unless `CLEARANCE_TEST_REQUIRE_TOOLS=1` (as in `.ci/run`), where they fail.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use clearance_sandbox::jira::people;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{dry_run::Site, extract_tools::have, helpers::Backend, sandbox_jira::wait_for_async};

/// A headless Chromium session through its own chromedriver.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser, or `None` (said loudly) when Chromium or chromedriver is missing and tools are not required.
    pub(crate) async fn start() -> Option<Self> {
        if !have("chromium", "chromium") || !have("chromedriver", "chromium-driver") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = json!([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1200,1000",
            format!("--user-data-dir={}", profile.path().display()),
        ]);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .unwrap()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Self {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last:?}");
    }

    /// Save a PNG of the page as `name`.
    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let mut dirs =
            vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots")];
        if let Ok(dir) = std::env::var("CLEARANCE_SCREENSHOTS_DIR") {
            dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir));
        }
        for dir in dirs {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        }
    }

    /// Open `key`'s issue page on the simulated site as `who` and enter the Clearance panel's iframe.
    pub(crate) async fn panel(&self, site: &Site, key: &str, who: &str) {
        self.client
            .goto(&format!("{}/browse/{key}?as={who}", site.sim.base_url()))
            .await
            .unwrap();
        enter_app_frame(self).await;
    }

    /// The text of `css`, once it is there (read again if the page re-rendered it meanwhile).
    pub(crate) async fn text(&self, css: &str) -> String {
        let mut last = None;
        for _ in 0..200 {
            match self.client.find(Locator::Css(css)).await {
                Ok(e) => match e.text().await {
                    Ok(t) => return t,
                    Err(err) => last = Some(err),
                },
                Err(err) => last = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} did not appear: {last:?}");
    }

    /// Wait until the state lozenge reads `label`.
    pub(crate) async fn state_is(&self, label: &str) {
        for _ in 0..300 {
            if let Ok(e) = self.client.find(Locator::Css("#state")).await
                && e.text().await.is_ok_and(|t| t.eq_ignore_ascii_case(label))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shown = self.text("#clearance-panel").await;
        panic!("the panel never said {label:?}: {shown}");
    }

    /// The labels of the panel's buttons.
    pub(crate) async fn buttons(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in self
            .client
            .find_all(Locator::Css("#clearance-panel button"))
            .await
            .unwrap()
        {
            out.push(b.text().await.unwrap());
        }
        out
    }

    /// Wait for `css` and click it (an `<option>` picks it).
    pub(crate) async fn pick(&self, css: &str) {
        self.click_found(Locator::Css(css), css).await;
    }

    /// Wait for the element and click it; when the panel re-renders between finding and clicking (a stale element),
    /// find it again.
    async fn click_found(&self, locator: Locator<'_>, what: &str) {
        for _ in 0..20 {
            let element = self
                .client
                .wait()
                .at_most(Duration::from_secs(20))
                .for_element(locator)
                .await
                .unwrap_or_else(|e| panic!("no {what}: {e}"));
            match element.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot click {what}: {e}"),
            }
        }
        panic!("{what} went stale twenty times in a row");
    }

    /// The text of `css` once it contains `wanted` (or what it says after ten seconds).
    pub(crate) async fn text_with(&self, css: &str, wanted: &str) -> String {
        let mut shown = String::new();
        for _ in 0..100 {
            shown = self.text(css).await;
            if shown.contains(wanted) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shown
    }

    /// Replace the plan editor's SQL with `sql`, typed.
    pub(crate) async fn write_sql(&self, sql: &str) {
        let editor = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Id("sql"))
            .await
            .unwrap();
        editor.clear().await.unwrap();
        editor.send_keys(sql).await.unwrap();
    }

    /// Mask the e-mail column in the plan editor and dry-run again: the sample shows it masked.
    pub(crate) async fn mask_email(&self) {
        self.pick("select[data-column='email'] option[value='mask']")
            .await;
        self.click("Save and dry run").await;
        let head = self.text_with("#dry-run-rows thead", "email (mask)").await;
        assert!(head.contains("email (mask)"), "{head}");
        assert!(
            self.text("#dry-run-rows tbody").await.contains("***@"),
            "masked as it will be delivered"
        );
    }

    /// Click the button labelled `label`.
    pub(crate) async fn click(&self, label: &str) {
        let xpath = format!("//button[normalize-space()='{label}']");
        self.click_found(Locator::XPath(&xpath), &format!("button {label:?}"))
            .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// What the request's issue asks for, with markup that must stay text.
const PURPOSE: &str = "Churned customers of the last quarter, for a win-back campaign.\n\
                       Fields: customer id, country, <b>e-mail</b>.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_click_through_the_workflow_in_the_panel() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Site::start(Backend::Sqlite).await;

    // A new request whose summary tries to run a script: it is shown as text, nothing runs.
    let evil = "Churn <script>window.__xss=1</script><img src=x onerror=\"window.__xss=1\">";
    let (key, _) = s.new_request(evil, PURPOSE).await;
    b.panel(&s, &key, people::ANALYST).await;
    b.state_is("New").await;
    assert_eq!(b.text("#summary").await, evil, "shown as text");
    assert_eq!(b.text("#description").await, PURPOSE, "shown as text");
    let xss = b
        .client
        .execute(
            "return window.__xss === undefined && !document.querySelector('#summary img, #description b');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(xss, json!(true), "no script ran, no element was made");
    assert!(b.buttons().await.contains(&"Claim".to_owned()));
    b.screenshot("01-analyst-new-request").await;
    b.click("Claim").await;
    b.state_is("In review").await;

    // The requester sees no controls on the same request.
    b.panel(&s, &key, people::REQUESTER).await;
    b.state_is("In review").await;
    assert_eq!(
        b.text("#requester").await,
        "Riley Requester",
        "display names from Jira"
    );
    assert!(b.buttons().await.is_empty(), "{:?}", b.buttons().await);
    assert!(
        b.text("#next-step")
            .await
            .contains("An analyst is reviewing")
    );

    // Someone with no Clearance role sees the status read-only, and a command is refused on the server.
    const BYSTANDER: &str = "557058:bo-bystander";
    s.sim
        .add_user(BYSTANDER, "Bo Bystander", "bo@example.com", &["jira-users"]);
    b.panel(&s, &key, BYSTANDER).await;
    b.state_is("In review").await;
    assert!(b.buttons().await.is_empty(), "{:?}", b.buttons().await);
    assert!(
        b.text("#clearance-panel")
            .await
            .contains("Claimed for review")
    );
    b.screenshot("12-bystander-read-only").await;
    let (status, _) = s
        .call(
            BYSTANDER,
            "POST",
            &format!(
                "/api/panel/requests/{}/commands",
                s.sim.issue(&key).unwrap().id
            ),
            Some(json!({"command": "claim"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);

    // DATA-1 (claimed by Site::start): the analyst writes the plan in the editor, dry-runs it, masks the e-mail.
    b.panel(&s, &s.key, people::ANALYST).await;
    b.state_is("In review").await;
    b.write_sql("SELECT id, first_name, email, country\nFROM customers\nORDER BY id")
        .await;
    assert_eq!(b.text(".editor .gutter").await, "1\n2\n3", "line numbers");
    b.click("Save and dry run").await;
    assert!(
        b.text("#dry-run-rows").await.contains("@"),
        "the first rows, unmasked yet"
    );
    assert!(b.text("#clearance-panel").await.contains("email"));
    b.mask_email().await;
    b.screenshot("02-analyst-plan-and-findings").await;
    b.click("Submit: contains personal data").await;
    b.state_is("Awaiting approval").await;
    assert!(
        !b.buttons()
            .await
            .contains(&"Approve with this masking".to_owned()),
        "the analyst cannot approve"
    );

    b.panel(&s, &s.key, people::PRIVACY_OFFICER).await;
    b.state_is("Awaiting approval").await;
    // Pia drops the first name too, and approves with that.
    b.client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            "select[data-column='first_name'] option[value='drop']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.screenshot("03-privacy-officer-approval").await;
    b.click("Approve with this masking").await;
    b.state_is("Approved").await;
    let tenant = s.app.tenant(&s.sim.client_key()).await.unwrap().tenant.id;
    let r = s
        .app
        .state
        .store
        .request_by_issue(&tenant, &s.issue_id)
        .await
        .unwrap()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_str(r.plan.as_deref().unwrap()).unwrap();
    assert_eq!(
        plan["masking"],
        json!({"email": "mask", "first_name": "drop"})
    );
    assert_eq!(
        r.approved_digest, r.plan_digest,
        "the re-masked plan is the approved one"
    );

    b.panel(&s, &s.key, people::ANALYST).await;
    b.state_is("Approved").await;
    b.click("Extract").await;
    // Slack is not set up on this site: the file is attached and the request waits for its password's delivery.
    b.state_is("Awaiting delivery").await;
    assert!(b.text("#clearance-panel").await.contains("SHA-256"));
    b.screenshot("04-analyst-delivered-file").await;

    // The requester reveals their password once, in the panel.
    b.panel(&s, &s.key, people::REQUESTER).await;
    b.state_is("Awaiting delivery").await;
    b.click("Reveal the password").await;
    let secret = b.text("#secret").await;
    assert_eq!(secret.len(), 34, "{secret}");
    b.screenshot("05-requester-reveals-password").await;
    b.panel(&s, &s.key, people::REQUESTER).await;
    b.state_is("Awaiting delivery").await;
    assert!(
        !b.buttons()
            .await
            .contains(&"Reveal the password".to_owned()),
        "once"
    );

    // On the other request, the analyst drives the query by an attached ID file, picked in the editor.
    let file = b"customer_id;note\n3;a\n5;b\n".to_vec();
    let attachment = s
        .sim
        .attach(&key, people::REQUESTER, "ids.csv", "text/csv", file)
        .unwrap();
    wait_for_async(|| async {
        let id = s.sim.issue(&key)?.id.to_string();
        let tenant = s.app.tenant(&s.sim.client_key()).await?.tenant.id;
        let r = s
            .app
            .state
            .store
            .request_by_issue(&tenant, &id)
            .await
            .ok()??;
        r.attachments.contains("ids.csv").then_some(())
    })
    .await;
    b.panel(&s, &key, people::ANALYST).await;
    b.state_is("In review").await;
    b.client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!(
            "#plan-id-file option[value='{attachment}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(b.text("#plan-id-column").await.contains("customer_id"));
    assert!(b.text("#id-list-hint").await.contains("IN (:ids)"));
    let sql = b.client.find(Locator::Id("sql")).await.unwrap();
    sql.clear().await.unwrap();
    sql.send_keys("SELECT id, country FROM customers WHERE id IN (:ids) ORDER BY id")
        .await
        .unwrap();
    b.click("Save and dry run").await;
    let rows = b.text("#dry-run-rows tbody").await;
    let ids: Vec<&str> = rows
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["3", "5"], "{rows}");
    b.screenshot("06-analyst-id-list").await;
    s.app.cleanup().await;
}

/// Enter the app page's iframe on a simulated Jira page.
pub(crate) async fn enter_app_frame(b: &Browser) {
    let frame = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("app-frame"))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
}
