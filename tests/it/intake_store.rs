//! Storing webhook deliveries under concurrency (on SQLite they are committed in groups by one writer): duplicates
//! sent together are stored once, one failing delivery fails alone, and each answer means committed.

use std::collections::HashMap;

use clearance::{
    jobs::kinds::SyncIssue,
    store::{ClaimScope, Store, WebhookEvent},
};
use reqwest::StatusCode;

use crate::{
    helpers::{Backend, Site, TestApp},
    on_each_backend,
};

on_each_backend!(
    concurrent_deliveries_dedupe_and_fail_alone,
    stored_fields_round_trip
);

fn event(tenant_id: &str, identifier: &str, issue: u32) -> WebhookEvent {
    WebhookEvent {
        tenant_id: tenant_id.into(),
        identifier: identifier.into(),
        event: "jira:issue_created".into(),
        issue_id: Some(issue.to_string()),
        retry: 0,
        body: format!(r#"{{"webhookEvent":"jira:issue_created","issue":{{"id":"{issue}"}}}}"#),
    }
}

async fn queued_jobs(store: &Store) -> i64 {
    store
        .job_counts()
        .await
        .unwrap()
        .into_iter()
        .filter(|(state, _)| state == "queued")
        .map(|(_, n)| n)
        .sum()
}

async fn concurrent_deliveries_dedupe_and_fail_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let tenant_id = app.tenant(&site.client_key).await.unwrap().tenant.id;
    // 100 distinct deliveries, each sent three times at once, plus one for a tenant that does not exist (its row
    // breaks a foreign key), all in flight together so that the writer takes them in shared batches.
    let mut sends = Vec::new();
    for copy in 0..3 {
        for n in 0..100u32 {
            let job = SyncIssue::job(&tenant_id, &(1000 + n).to_string());
            sends.push((
                Some(n),
                event(&tenant_id, &format!("delivery-{n}"), 1000 + n),
                job,
            ));
        }
        if copy == 1 {
            sends.push((
                None,
                event("no-such-tenant", "orphan", 1),
                SyncIssue::job("no-such-tenant", "1"),
            ));
        }
    }
    let store = app.state.store.clone();
    let tasks: Vec<_> = sends
        .into_iter()
        .map(|(n, ev, job)| {
            let store = store.clone();
            tokio::spawn(async move { (n, store.record_webhook(ev, Some(job)).await) })
        })
        .collect();
    let mut fresh: HashMap<u32, usize> = HashMap::new();
    for t in tasks {
        match t.await.unwrap() {
            (None, stored) => assert!(stored.is_err(), "the orphan delivery is refused"),
            (Some(n), stored) => {
                let new = stored.expect("a good delivery is stored even if a neighbour fails");
                *fresh.entry(n).or_default() += usize::from(new);
            }
        }
    }
    assert_eq!(fresh.len(), 100);
    assert!(
        fresh.values().all(|&n| n == 1),
        "each delivery is new exactly once: {fresh:?}"
    );
    // Every answer came after the commit: what was answered is there, once, with its job.
    assert_eq!(store.webhook_event_count(&tenant_id).await.unwrap(), 100);
    assert_eq!(
        store.webhook_event_count("no-such-tenant").await.unwrap(),
        0
    );
    assert_eq!(queued_jobs(&store).await, 100);
    // A repeat later is a duplicate and writes nothing.
    let again = store
        .record_webhook(
            event(&tenant_id, "delivery-7", 1007),
            Some(SyncIssue::job(&tenant_id, "1007")),
        )
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(queued_jobs(&store).await, 100);
    // Once the store is closed, a delivery is refused rather than left waiting.
    store.close().await;
    assert!(
        store
            .record_webhook(event(&tenant_id, "late", 1), None)
            .await
            .is_err()
    );
    app.cleanup().await;
}

async fn stored_fields_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = Site::new("acme");
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let tenant_id = app.tenant(&site.client_key).await.unwrap().tenant.id;
    let store = app.state.store.clone();
    let body = "{\"webhookEvent\":\"jira:issue_created\",\n \"s\":\"quote \\\" tab\\t é 漢字 😀 \\u0000 '\"}";
    let mut with_issue = event(&tenant_id, "round-trip-1", 42);
    with_issue.body = body.into();
    with_issue.retry = 3;
    let mut without_issue = event(&tenant_id, "round-trip-2", 0);
    without_issue.issue_id = None;
    without_issue.event = "comment_created".into();
    // A job due a moment ago, with sub-second precision (microseconds: PostgreSQL keeps no more): the worker
    // compares run_at with its clock.
    let mut job = SyncIssue::job(&tenant_id, "42");
    job.run_at = chrono::SubsecRound::trunc_subsecs(
        chrono::Utc::now() - chrono::Duration::milliseconds(1500),
        6,
    );
    let (a, b) = tokio::join!(
        store.record_webhook(with_issue.clone(), Some(job.clone())),
        store.record_webhook(without_issue.clone(), None),
    );
    assert!(a.unwrap() && b.unwrap());
    for ev in [&with_issue, &without_issue] {
        let stored = store
            .webhook_event(&tenant_id, &ev.identifier)
            .await
            .unwrap();
        assert_eq!(stored.as_ref(), Some(ev));
    }
    let claimed = store
        .claim_jobs(
            "round-trip",
            std::time::Duration::from_secs(60),
            10,
            ClaimScope::Except(&[]),
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "the job is due and claimable");
    let row = &claimed[0];
    assert_eq!(row.run_at, job.run_at);
    assert_eq!(row.payload, job.payload.to_string());
    assert_eq!(
        (
            row.kind.as_str(),
            row.dedupe_key.as_deref(),
            row.max_attempts,
            row.priority
        ),
        (
            job.kind.as_str(),
            job.dedupe_key.as_deref(),
            job.max_attempts,
            job.priority
        )
    );
    assert_eq!(row.tenant_id.as_deref(), Some(tenant_id.as_str()));
    app.cleanup().await;
}
