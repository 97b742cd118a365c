//! Accessibility of the iframe pages in a real browser: axe-core (the npm package pinned in tests/a11y, installed by
//! `.ci/run`) checks the panel as each role sees it, the plan editor and the admin page against WCAG 2 A and AA
//! (labels, names, contrast, structure); any serious or critical finding fails the test with what and where.
//!
//! Without Chromium or axe-core the test says SKIPPED, unless `CLEARANCE_TEST_REQUIRE_TOOLS=1` (as in `.ci/run`).

use std::path::PathBuf;

use clearance_sandbox::jira::people;
use serde_json::{Value, json};

use crate::{
    browser::{Browser, enter_app_frame},
    dry_run::{Site, plan},
    helpers::Backend,
};

/// axe-core's script, or `None` (said loudly) when `npm ci --prefix tests/a11y` has not run.
pub(crate) fn axe_source() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/a11y/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) if std::env::var("CLEARANCE_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1") => {
            panic!(
                "{} is needed ({e}); run `npm ci --prefix tests/a11y`",
                path.display()
            )
        }
        Err(_) => {
            eprintln!("SKIPPED: axe-core is not installed; run `npm ci --prefix tests/a11y`");
            None
        }
    }
}

/// Run axe on the current frame's document; the serious and critical violations, described.
pub(crate) async fn violations(b: &Browser, axe: &str, page: &str) -> Vec<String> {
    b.client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{page}: loading axe-core: {e}"));
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
          .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary) }))))
          .catch(e => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));
    "#;
    let found: Value = b.client.execute_async(script, vec![]).await.unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{page}: {} ({}): {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_pass_wcag_checks() {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Site::start(Backend::Sqlite).await;
    let mut found = Vec::new();

    // The analyst's editor, after a dry run that found personal data.
    b.panel(&s, &s.key, people::ANALYST).await;
    b.state_is("In review").await;
    found.extend(violations(&b, &axe, "panel (analyst, editor)").await);

    let sql = "SELECT id, first_name, email, country FROM customers ORDER BY id";
    s.save(plan(sql, json!({"email": "mask"}))).await;
    let (status, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
    s.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    b.panel(&s, &s.key, people::PRIVACY_OFFICER).await;
    b.state_is("Awaiting approval").await;
    found.extend(violations(&b, &axe, "panel (privacy officer)").await);

    b.panel(&s, &s.key, people::REQUESTER).await;
    b.state_is("Awaiting approval").await;
    found.extend(violations(&b, &axe, "panel (requester)").await);

    let admin = format!(
        "{}/plugins/servlet/ac/{}/clearance-admin?as={}",
        s.sim.base_url(),
        s.app.state.cfg.app_key,
        people::ADMIN
    );
    b.client.goto(&admin).await.unwrap();
    enter_app_frame(&b).await;
    b.text("#sources").await;
    found.extend(violations(&b, &axe, "admin page").await);

    assert!(
        found.is_empty(),
        "accessibility problems:\n{}",
        found.join("\n")
    );

    // The check itself works: a button without a name, added to the page, is found.
    b.client
        .execute(
            "document.body.appendChild(document.createElement('button')); return true;",
            vec![],
        )
        .await
        .unwrap();
    let planted = violations(&b, &axe, "admin page with a nameless button").await;
    assert!(
        planted.iter().any(|v| v.contains("button-name")),
        "{planted:?}"
    );
    s.app.cleanup().await;
}
