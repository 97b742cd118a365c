//! Intake end to end against the simulator: a labelled ticket becomes a request; label removal cancels and re-adding
//! reopens; deletion cancels; duplicated and reordered deliveries converge; a malformed delivery changes nothing.

use clearance::{requests::state::State, store::RequestRow};
use clearance_sandbox::jira::{IssueEdit, JiraSim, WebhookFault, people};
use reqwest::StatusCode;

use crate::{
    helpers::{Backend, TenantToken, TestApp},
    on_each_backend,
    sandbox_jira::{site_and_app, site_and_app_with, wait_for_async},
};

on_each_backend!(
    labelled_ticket_becomes_a_request,
    label_and_deletion_drive_cancellation,
    duplicates_and_reordering_converge,
    dropped_webhooks_are_found_by_reconciliation,
);

async fn request(app: &TestApp, sim: &JiraSim, key: &str) -> Option<RequestRow> {
    let tenant = app.tenant(&sim.client_key()).await?.tenant;
    let issue = sim.issue(key)?;
    app.state
        .store
        .request_by_issue(&tenant.id, &issue.id.to_string())
        .await
        .unwrap()
}

/// Wait until the request for `key` satisfies `ok`.
async fn until(
    app: &TestApp,
    sim: &JiraSim,
    key: &str,
    ok: impl Fn(&RequestRow) -> bool,
) -> RequestRow {
    wait_for_async(|| async { request(app, sim, key).await.filter(|r| ok(r)) }).await
}

async fn labelled_ticket_becomes_a_request(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let plain = sim.create_issue(
        "DATA",
        "Not a request",
        "hello",
        &["other"],
        people::REQUESTER,
    );
    let key = sim.create_issue(
        "DATA",
        "Order counts by country",
        "Per month.\n\nNo PII.",
        &["data-request"],
        people::REQUESTER,
    );
    let r = until(&app, &sim, &key, |_| true).await;
    assert_eq!(
        (
            r.state.as_str(),
            r.issue_key.as_str(),
            r.project_key.as_str()
        ),
        ("new", key.as_str(), "DATA")
    );
    assert_eq!(r.summary, "Order counts by country");
    assert_eq!(r.description, "Per month.\n\nNo PII.");
    assert_eq!(r.reporter.as_deref(), Some(people::REQUESTER));
    // The plain ticket was delivered before it, and never became a request.
    assert!(request(&app, &sim, &plain).await.is_none());
    app.cleanup().await;
}

async fn label_and_deletion_drive_cancellation(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let key = sim.create_issue("DATA", "x", "", &["data-request"], people::REQUESTER);
    until(&app, &sim, &key, |r| r.state == State::New).await;
    sim.edit_issue(&key, people::REQUESTER, IssueEdit::labels(&["other"]))
        .unwrap();
    let r = until(&app, &sim, &key, |r| r.state == State::Cancelled).await;
    assert!(r.reason.unwrap().contains("label was removed"));
    sim.edit_issue(
        &key,
        people::REQUESTER,
        IssueEdit::labels(&["data-request"]),
    )
    .unwrap();
    until(&app, &sim, &key, |r| r.state == State::New).await;
    let id = sim.issue(&key).unwrap().id.to_string();
    let tenant_id = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
    sim.delete_issue(&key, people::ADMIN);
    let r = wait_for_async(|| async {
        app.state
            .store
            .request_by_issue(&tenant_id, &id)
            .await
            .unwrap()
            .filter(|r| r.state == State::Cancelled)
    })
    .await;
    assert!(
        r.reason.unwrap().contains("deleted"),
        "kept, marked deleted"
    );
    app.cleanup().await;
}

async fn duplicates_and_reordering_converge(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let tenant_id = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
    sim.faults().webhooks.push_back(WebhookFault::Duplicate);
    let key = sim.create_issue(
        "DATA",
        "first title",
        "",
        &["data-request"],
        people::REQUESTER,
    );
    until(&app, &sim, &key, |_| true).await;
    wait_for_async(|| async {
        let d = sim.deliveries();
        (d.len() == 1 && d[0].attempts.len() == 2).then_some(())
    })
    .await;
    assert_eq!(
        app.state
            .store
            .webhook_event_count(&tenant_id)
            .await
            .unwrap(),
        1,
        "the duplicate was not stored twice"
    );
    assert_eq!(app.state.store.requests(&tenant_id).await.unwrap().len(), 1);
    // Two edits delivered in the wrong order: the request ends as Jira ends.
    sim.faults().webhooks.push_back(WebhookFault::OutOfOrder);
    sim.edit_issue(
        &key,
        people::REQUESTER,
        IssueEdit {
            summary: Some("second title".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    sim.edit_issue(
        &key,
        people::REQUESTER,
        IssueEdit {
            summary: Some("final title".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    until(&app, &sim, &key, |r| r.summary == "final title").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        request(&app, &sim, &key).await.unwrap().summary,
        "final title",
        "the late delivery did not roll it back"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_deliveries_change_nothing() {
    let (sim, app) = site_and_app(Backend::Sqlite).await;
    let tenant_id = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
    let site = crate::helpers::Site {
        client_key: sim.client_key(),
        shared_secret: sim.state().app.as_ref().unwrap().shared_secret.clone(),
        base_url: sim.base_url().into(),
    };
    let path = "/webhooks/issue-updated";
    for body in [
        "{not json",
        r#"{"webhookEvent": "jira:issue_updated", "issue": {"id": "DROP TABLE"}}"#,
        r#"{"webhookEvent": "comment_created"}"#,
    ] {
        let t = app.tenant_token(&site, "POST", path, TenantToken::default());
        let r = app
            .http
            .post(app.url(path))
            .header("Authorization", format!("JWT {t}"))
            .header("X-Atlassian-Webhook-Identifier", "x")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(
        app.state
            .store
            .webhook_event_count(&tenant_id)
            .await
            .unwrap(),
        0
    );
    app.cleanup().await;
}

async fn dropped_webhooks_are_found_by_reconciliation(backend: Backend) {
    let (sim, app) =
        site_and_app_with(backend, vec![("reconcile_interval_secs", "1".into())]).await;
    // The creation webhook is lost: only the periodic search can find the ticket.
    sim.faults().webhooks.push_back(WebhookFault::Drop);
    let key = sim.create_issue(
        "DATA",
        "lost in transit",
        "",
        &["data-request"],
        people::REQUESTER,
    );
    assert!(sim.deliveries()[0].dropped);
    until(&app, &sim, &key, |r| r.state == State::New).await;
    // The label removal is lost too: reconciliation re-checks open requests.
    sim.faults().webhooks.push_back(WebhookFault::Drop);
    sim.edit_issue(&key, people::REQUESTER, IssueEdit::labels(&[]))
        .unwrap();
    until(&app, &sim, &key, |r| r.state == State::Cancelled).await;
    app.cleanup().await;
}
