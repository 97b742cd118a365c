//! The admin page in a real browser (see browser.rs for the set-up): a non-admin is told they are not one; an admin
//! adds and tests a data source, sets retention, maps a Slack user, verifies the audit chain, changes the roles and
//! trigger (a change that would lock them out is refused) and saves a recipe (SQL that writes is refused).

use std::time::Duration;

use clearance_sandbox::jira::people;
use fantoccini::Locator;

use crate::{
    browser::{Browser, enter_app_frame},
    dry_run::Site,
    helpers::Backend,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_and_tests_a_data_source() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Site::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("marketing.db");
    clearance_sandbox::warehouse::generate(&format!("sqlite://{}", db.display()), 20, 7)
        .await
        .unwrap();
    let page = |who: &str| {
        format!(
            "{}/plugins/servlet/ac/{}/clearance-admin?as={who}",
            s.sim.base_url(),
            s.app.state.cfg.app_key
        )
    };
    // Not an admin: told so, nothing listed.
    b.client.goto(&page(people::ANALYST)).await.unwrap();
    enter_app_frame(&b).await;
    assert!(
        b.text(".error")
            .await
            .contains("only Clearance admins can do this")
    );

    b.client.goto(&page(people::ADMIN)).await.unwrap();
    enter_app_frame(&b).await;
    assert!(b.text("#sources").await.contains("warehouse"));
    b.client
        .find(Locator::XPath(
            "//tr[@data-source='warehouse']//button[normalize-space()='Test']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if b.text("tr[data-source='warehouse'] .test-result")
            .await
            .starts_with("Connected")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.text("tr[data-source='warehouse'] .test-result")
            .await
            .starts_with("Connected")
    );

    b.click("Add a data source").await;
    let fill = |id: &'static str, value: String| {
        let b = &b;
        async move {
            let e = b.client.find(Locator::Id(id)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(&value).await.unwrap();
        }
    };
    fill("source-name", "marketing".into()).await;
    b.client
        .find(Locator::Css("#source-kind option[value='sqlite']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill("source-projects", "data".into()).await;
    fill("source-url", format!("sqlite://{}", db.display())).await;
    b.screenshot("07-admin-data-sources").await;
    b.click("Save data source").await;
    assert!(b.text(".notice").await.contains("Added marketing"));
    let table = b.text("#sources").await;
    assert!(
        table.contains("marketing") && table.contains("DATA"),
        "{table}"
    );
    // A URL that does not match the engine is refused in words; nothing is saved.
    b.click("Add a data source").await;
    fill("source-name", "broken".into()).await;
    fill("source-url", "mysql://nobody@127.0.0.1:1/x".into()).await;
    b.click("Save data source").await;
    assert!(
        b.text(".error").await.contains("url"),
        "{}",
        b.text(".error").await
    );
    assert!(!b.text("#sources").await.contains("broken"));

    // Slack is not connected on this site, and says how; retention rules are kept within their bounds.
    assert!(b.text("#slack-status").await.contains("Not connected"));
    let set = |id: &'static str, value: &'static str| {
        let b = &b;
        async move {
            let e = b.client.find(Locator::Id(id)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(value).await.unwrap();
        }
    };
    set("retention-defaultDays", "99").await;
    b.click("Save retention").await;
    assert!(
        b.text(".error").await.contains("maxDays"),
        "{}",
        b.text(".error").await
    );
    set("retention-defaultDays", "3").await;
    b.click("Save retention").await;
    assert!(b.text(".notice").await.contains("Retention saved"));
    let tenant = s.app.tenant(&s.sim.client_key()).await.unwrap().tenant.id;
    let policy = s
        .app
        .state
        .store
        .retention_policy(&tenant)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.default_days, 3);
    // The Jira → Slack user mapping: a malformed Slack id is refused, a good one listed.
    set("map-account", people::PRIVACY_OFFICER).await;
    set("map-slack-user", "pia").await;
    b.click("Map").await;
    assert!(!b.text(".error").await.is_empty());
    set("map-account", people::PRIVACY_OFFICER).await;
    set("map-slack-user", "U0PIA12345").await;
    b.click("Map").await;
    assert!(b.text(".notice").await.contains("Mapped"));
    assert!(b.text("#slack-users").await.contains("U0PIA12345"));
    b.click("Verify the audit chain").await;
    for _ in 0..100 {
        if b.text("#audit-result").await.starts_with("Intact") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.text("#audit-result").await.starts_with("Intact"),
        "{}",
        b.text("#audit-result").await
    );
    b.screenshot("08-admin-slack-retention").await;

    // Roles and trigger: a change that would lock the admin out is refused; a good one is saved.
    set("settings-admins", "someone-elses-group").await;
    b.click("Save roles and trigger").await;
    assert!(
        b.text(".error").await.contains("lose access"),
        "{}",
        b.text(".error").await
    );
    set("settings-admins", "clearance-admins").await;
    set("settings-label", "ask-data").await;
    set("settings-projects", "data, ops").await;
    b.client
        .find(Locator::Css("#settings-encryption option[value='zip_aes']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click("Save roles and trigger").await;
    assert!(b.text(".notice").await.contains("Settings saved"));
    let settings = clearance::requests::settings::load(&s.app.state.store, &tenant)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settings.trigger_label, "ask-data");
    assert_eq!(settings.trigger_projects, ["DATA", "OPS"]);
    assert_eq!(settings.default_encryption.as_str(), "zip_aes");

    // A recipe: SQL that writes is refused in words; a query is listed.
    b.click("Add a recipe").await;
    set("recipe-name", "Opted-in customers").await;
    set("recipe-description", "Who agreed to marketing").await;
    set("recipe-sql", "UPDATE customers SET email = NULL").await;
    b.click("Save recipe").await;
    assert!(
        b.text(".error").await.contains("sql"),
        "{}",
        b.text(".error").await
    );
    set(
        "recipe-sql",
        "SELECT id, email FROM customers WHERE marketing_consent = 1",
    )
    .await;
    b.click("Save recipe").await;
    assert!(
        b.text(".notice")
            .await
            .contains("Recipe Opted-in customers saved")
    );
    assert!(b.text("#recipes").await.contains("Who agreed to marketing"));
    b.client
        .execute(
            "document.querySelector(\"section[aria-label='Roles and trigger']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    b.screenshot("11-admin-roles-recipes").await;
    s.app.cleanup().await;
}
