//! Snapshots of the JSON the issue panel receives, driven through the real HTTP API against the Jira and Slack
//! simulators and the demo warehouse: the request view in each state a person can see (new, in review with a saved
//! plan and its dry run, awaiting approval, approved, extracting, awaiting delivery, delivered, rejected, failed,
//! cancelled), the command and dry-run answers, the plan editor's sources and the panel context. A field renamed,
//! dropped or turned from `null` into absent shows up in review as a changed `.snap` file under `tests/it/snapshots/`.
//! After an intended change: `cargo insta review`, or `INSTA_UPDATE=always cargo test --test it snapshots` and read
//! the diff.

use clearance::requests::state::State;
use clearance_sandbox::jira::{IssueEdit, people};
use serde_json::{Value, json};

use crate::{
    delivery_flow::{Flow, until},
    dry_run::{Site, plan},
    helpers::Backend,
    on_each_backend,
    panel::Panel,
    snapshot_redactions::settings,
};

on_each_backend!(
    panel_snapshots_along_a_delivery,
    panel_snapshots_of_closed_requests,
    panel_snapshots_awaiting_delivery,
);

const SQL: &str = "SELECT id, first_name, email, country FROM customers ORDER BY id";

/// The panel of another issue of the same site.
fn panel_of<'a>(s: &'a Site, issue_id: &'a str) -> Panel<'a> {
    Panel {
        sim: &s.sim,
        app: &s.app,
        issue_id,
    }
}

/// The request view of the site's main issue as `who`, once it is in `state`.
async fn view_in(s: &Site, who: &str, state: State) -> Value {
    let request = until(|| async { Some(s.request().await).filter(|r| r.state == state) }).await;
    let (status, v) = s.view(who).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{v}");
    assert_eq!(v["request"]["state"], request.state.as_str(), "{v}");
    v
}

async fn panel_snapshots_along_a_delivery(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let _bound = settings().bind_to_scope();

    // A request nobody has claimed yet.
    let (_, new_issue) = s.new_request("Order counts", "Per month").await;
    let (_, new) = panel_of(s, &new_issue).view(people::ANALYST).await;
    insta::assert_json_snapshot!("panel_new", new);

    // The panel's own context and the plan editor's sources.
    let (_, context) = s
        .call(people::ANALYST, "GET", "/api/panel/context", None)
        .await;
    insta::assert_json_snapshot!("panel_context", context);
    let sources_path = format!("/api/panel/requests/{}/sources", s.issue_id);
    let (_, sources) = s.call(people::ANALYST, "GET", &sources_path, None).await;
    insta::assert_json_snapshot!("panel_sources", sources);

    // In review: a saved plan and its dry run.
    let saved = s
        .ok(
            people::ANALYST,
            json!({"command": "save_plan", "plan": plan(SQL, json!({"email": "mask"}))}),
        )
        .await;
    insta::assert_json_snapshot!("command_save_plan", saved);
    let (_, dry_run) = s.dry_run(people::ANALYST).await;
    insta::assert_json_snapshot!("dry_run", dry_run);
    let in_review = view_in(s, people::ANALYST, State::InReview).await;
    insta::assert_json_snapshot!("panel_in_review_with_plan_and_dry_run", in_review);

    s.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    let awaiting = view_in(s, people::PRIVACY_OFFICER, State::AwaitingPrivacyApproval).await;
    insta::assert_json_snapshot!("panel_awaiting_privacy_approval", awaiting);

    let digest = awaiting["request"]["planDigest"].clone();
    s.ok(
        people::PRIVACY_OFFICER,
        json!({"command": "approve", "digest": digest}),
    )
    .await;
    let approved = view_in(s, people::ANALYST, State::Approved).await;
    insta::assert_json_snapshot!("panel_approved", approved);

    // Extracting: the answer to the command (the job starts at once, so a later view may already be further on).
    let extracting = s.ok(people::ANALYST, json!({"command": "extract"})).await;
    insta::assert_json_snapshot!("command_extract", extracting);

    // Delivered, as the privacy officer (who may still reveal the secret) sees it.
    let delivered = view_in(s, people::PRIVACY_OFFICER, State::Delivered).await;
    insta::assert_json_snapshot!("panel_delivered", delivered);

    // Rejected and cancelled: two more requests of the same site.
    let (_, rejected_issue) = s.new_request("All customers", "Everything").await;
    let rejected_panel = panel_of(s, &rejected_issue);
    rejected_panel
        .ok(people::ANALYST, json!({"command": "claim"}))
        .await;
    let rejected = rejected_panel
        .ok(
            people::ANALYST,
            json!({"command": "reject", "reason": "Too broad: ask for a sample"}),
        )
        .await;
    insta::assert_json_snapshot!("command_reject", rejected);
    let (_, rejected) = rejected_panel.view(people::REQUESTER).await;
    insta::assert_json_snapshot!("panel_rejected", rejected);

    let (cancelled_key, cancelled_issue) = s.new_request("Never mind", "").await;
    s.sim
        .edit_issue(
            &cancelled_key,
            people::REQUESTER,
            IssueEdit::labels(&["other"]),
        )
        .unwrap();
    let tenant = s.tenant_id().await;
    until(|| async {
        s.app
            .state
            .store
            .request_by_issue(&tenant, &cancelled_issue)
            .await
            .ok()?
            .filter(|r| r.state == State::Cancelled)
    })
    .await;
    let (_, cancelled) = panel_of(s, &cancelled_issue).view(people::REQUESTER).await;
    insta::assert_json_snapshot!("panel_cancelled", cancelled);

    crate::admin_snapshots::admin_answers(&f).await;
}

async fn panel_snapshots_awaiting_delivery(backend: Backend) {
    // Pia is not in Slack: the bundle is on the issue, but her secret cannot reach her.
    let f = Flow::start(backend, false).await;
    let s = &f.site;
    let _bound = settings().bind_to_scope();
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    let waiting = view_in(s, people::REQUESTER, State::AwaitingDelivery).await;
    insta::assert_json_snapshot!("panel_awaiting_delivery", waiting);
}

async fn panel_snapshots_of_closed_requests(backend: Backend) {
    // Failed: the bundle is over the size Jira accepts.
    let s = Site::start(backend).await;
    let _bound = settings().bind_to_scope();
    s.sim.state().upload_limit = 1_000;
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    let failed = view_in(&s, people::ANALYST, State::Failed).await;
    insta::assert_json_snapshot!("panel_failed", failed);
}
