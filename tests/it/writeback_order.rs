//! Issue 17: what Clearance tells Jira and Slack about one request arrives in audit order. The "waiting for a privacy
//! officer's approval" comment and notice fail their first try (Jira answers 503, Slack 429) and are slow; the
//! approval that follows at once must still come after them, on the issue and in the team channel.

use std::time::Duration;

use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    delivery_flow::{Flow, until},
    dry_run::plan,
    helpers::Backend,
    on_each_backend,
};

on_each_backend!(comments_and_notices_follow_the_audit_order);

const SUBMITTED_COMMENT: &str = "waiting for a privacy officer's approval";
const APPROVED_COMMENT: &str = "the extraction plan was approved";
const SUBMITTED_NOTICE: &str = "Awaiting privacy approval";
const APPROVED_NOTICE: &str = "Approved";

/// Where the first text containing `needle` is.
fn place(texts: &[String], needle: &str) -> Option<usize> {
    texts.iter().position(|t| t.contains(needle))
}

async fn comments_and_notices_follow_the_audit_order(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    // Slack was connected after the request came in, so the submission's notice is the first call Slack gets, and
    // the submission's comment the first call on Jira's comment paths.
    assert!(f.notices().is_empty(), "{:?}", f.notices());
    let digest = s
        .save(plan(
            "SELECT id, first_name, email FROM customers",
            json!({"email": "mask"}),
        ))
        .await;
    let (status, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    {
        let mut faults = s.sim.faults();
        faults.only_on("/comment");
        faults.server_errors(1, StatusCode::SERVICE_UNAVAILABLE);
        faults.slow = Some(Duration::from_millis(150));
    }
    f.slack.rate_limit_next(1, 1);
    s.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    s.ok(
        people::PRIVACY_OFFICER,
        json!({"command": "approve", "digest": digest}),
    )
    .await;
    let comments = until(|| async {
        let c = f.comments();
        place(&c, APPROVED_COMMENT).map(|_| c)
    })
    .await;
    // "Approved" (capital A) is only in the approval's notice; the submission's says "approval".
    let notices = until(|| async {
        let n = f.notices();
        place(&n, APPROVED_NOTICE).map(|_| n)
    })
    .await;
    let (submitted, approved) = (
        place(&comments, SUBMITTED_COMMENT),
        place(&comments, APPROVED_COMMENT),
    );
    assert!(
        submitted.is_some() && submitted < approved,
        "the submission's comment comes first: {comments:#?}"
    );
    let (submitted, approved) = (
        place(&notices, SUBMITTED_NOTICE),
        place(&notices, APPROVED_NOTICE),
    );
    assert!(
        submitted.is_some() && submitted < approved,
        "the submission's notice comes first: {notices:#?}"
    );
}
