//! `GET /metrics`: webhook outcomes, job attempts, Jira call latency, queue and request gauges, in Prometheus text;
//! behind a bearer token when one is configured.

use clearance_sandbox::jira::people;
use reqwest::StatusCode;

use crate::{
    helpers::{Backend, Options, TestApp},
    on_each_backend,
    sandbox_jira::{site_and_app, wait_for_async},
};

on_each_backend!(metrics_follow_the_work, metrics_token_is_enforced);

async fn scrape(app: &TestApp) -> String {
    let resp = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        resp.headers()
    );
    resp.text().await.unwrap()
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.trim().split(' ').next()?.parse().ok())
    })
}

async fn metrics_follow_the_work(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let key = sim.create_issue(
        "DATA",
        "Orders",
        "per month",
        &["data-request"],
        people::REQUESTER,
    );
    let issue_id = sim.issue(&key).unwrap().id.to_string();
    let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
    wait_for_async(|| async {
        app.state
            .store
            .request_by_issue(&tenant, &issue_id)
            .await
            .unwrap()
    })
    .await;
    // An unsigned delivery is rejected.
    let resp = app
        .http
        .post(app.url("/webhooks/issue-created"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let text = wait_for_async(|| async {
        let text = scrape(&app).await;
        value(
            &text,
            r#"clearance_job_attempts_total{kind="sync_issue",outcome="done"}"#,
        )
        .filter(|n| *n >= 1.0)
        .map(|_| text)
    })
    .await;
    assert_eq!(
        value(
            &text,
            r#"clearance_webhook_deliveries_total{outcome="accepted"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"clearance_webhook_deliveries_total{outcome="rejected"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"clearance_requests{state="new"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"clearance_requests{state="approved"}"#),
        Some(0.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            r#"clearance_jira_request_duration_seconds_count{method="GET",status="200"}"#
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    for series in [
        "clearance_job_queue_due ",
        "clearance_job_queue_oldest_due_age_seconds ",
        "clearance_jobs_dead ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(series)),
            "{series} missing: {text}"
        );
    }
    assert!(!text.contains(&sim.client_key()), "no tenant in labels");
    app.cleanup().await;
}

async fn metrics_token_is_enforced(backend: Backend) {
    let token = "a-long-enough-metrics-token";
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings: vec![("metrics_token", token.into())],
            ..Default::default()
        },
    )
    .await;
    let get = |auth: Option<String>| {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    assert_eq!(get(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(Some("Bearer wrong-token-of-some-length".into()))
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(Some(format!("Basic {token}"))).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(Some(format!("Bearer {token}"))).await.unwrap().status(),
        StatusCode::OK
    );
    app.cleanup().await;
}
