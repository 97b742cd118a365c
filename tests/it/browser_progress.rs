//! Long work in the panel, in a real browser: an analyst starts a plan from an admin's recipe, and its extraction
//! from a slow PostgreSQL source (each row counts a few thousand numbers; `pg_sleep` is refused as a side effect) shows rows so far, the rate and the elapsed
//! time, updated while it runs and still there after a reload, until the file is delivered.
//!
//! Needs Chromium (see browser.rs) and `CLEARANCE_TEST_POSTGRES_URL` for the slow source; without it the test says
//! SKIPPED (`.ci/run` sets it).

use std::time::Duration;

use clearance_sandbox::jira::people;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;

use crate::{browser::Browser, dry_run::Site, helpers::Backend};

/// Rows the slow query returns; at about 4 ms each (counting 35,001 numbers) the extraction takes about 12 s.
const ROWS: u32 = 3_000;

/// The rows-so-far figure in the progress line (`1,234 rows, 250 rows/s, 5 s`).
fn rows_so_far(text: &str) -> Option<u64> {
    let figure = text.split(" rows").next()?;
    figure.replace([',', '.', '\u{a0}', ' '], "").parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extraction_progress_is_shown_live_and_survives_a_reload() {
    let Ok(pg) = std::env::var("CLEARANCE_TEST_POSTGRES_URL") else {
        eprintln!(
            "SKIPPED: CLEARANCE_TEST_POSTGRES_URL is unset; the slow source is PostgreSQL (.ci/run sets it)"
        );
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Site::start(Backend::Sqlite).await;
    let source = json!({"kind": "postgres", "url": pg, "environment": "staging", "allowedProjects": ["DATA"]});
    let (status, v) = s
        .call(
            people::ADMIN,
            "PUT",
            "/api/admin/sources/slow",
            Some(source),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sql = format!(
        "SELECT g AS id, repeat('x', 200) || (SELECT count(*) FROM generate_series(0, 35000 + 0 * g))::text AS filler \
         FROM generate_series(1, {ROWS}) AS g"
    );
    let recipe = json!({"description": "Slow on purpose", "source": "slow", "sql": sql});
    let (status, v) = s
        .call(
            people::ADMIN,
            "PUT",
            "/api/admin/recipes/Slow%20export",
            Some(recipe),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The analyst starts from the recipe: it fills in the SQL and the source.
    b.panel(&s, &s.key, people::ANALYST).await;
    b.state_is("In review").await;
    b.client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#plan-recipe option[value='Slow export']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click("Use recipe").await;
    let written = b
        .client
        .find(Locator::Id("sql"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(written, sql);
    assert_eq!(
        b.client
            .find(Locator::Id("plan-source"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("slow")
    );
    b.click("Save and dry run").await;
    b.text("#dry-run-rows tbody").await;
    b.click("Submit: no personal data").await;
    b.state_is("Approved").await;
    b.click("Extract").await;

    // Progress appears and grows while the rows come in.
    let mut seen = Vec::new();
    for _ in 0..600 {
        if let Ok(e) = b.client.find(Locator::Css(".progress-text")).await
            && let Ok(t) = e.text().await
            && let Some(n) = rows_so_far(&t)
        {
            assert!(t.contains("rows/s") && t.ends_with(" s"), "{t}");
            if seen.last() != Some(&n) {
                seen.push(n);
            }
            if seen.iter().filter(|n| **n > 0).count() >= 2 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen.iter().filter(|n| **n > 0).count() >= 2,
        "the progress line never moved: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    b.screenshot("10-extraction-progress").await;

    // A reload picks the running extraction up again.
    b.panel(&s, &s.key, people::ANALYST).await;
    let again = rows_so_far(&b.text(".progress-text").await);
    assert!(again.is_some(), "progress after a reload");

    // Slack is not set up on this site: once built and attached, the request waits for its password's delivery.
    b.state_is("Awaiting delivery").await;
    let shown = b.text("#clearance-panel").await;
    assert!(shown.contains(&ROWS.to_string()), "{shown}");
    s.app.cleanup().await;
}
