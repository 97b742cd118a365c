//! The admin API: only admins see this site's dead jobs with their errors, re-run them (audited), check the audit
//! chain and download it.

use clearance::store::NewJob;
use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::Backend,
    on_each_backend,
    sandbox_jira::{site_and_app, wait_for_async},
};

on_each_backend!(admins_see_and_rerun_dead_jobs_and_check_the_audit);

async fn admins_see_and_rerun_dead_jobs_and_check_the_audit(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
    let token = |who: &str| format!("JWT {}", sim.context_token(who, json!({})).unwrap());
    let get = |who: &str, path: &str| {
        app.http
            .get(app.url(path))
            .header("Authorization", token(who))
            .send()
    };
    let post = |who: &str, path: &str| {
        app.http
            .post(app.url(path))
            .header("Authorization", token(who))
            .send()
    };

    // A job no handler knows dies at once, with its reason.
    let id = app
        .state
        .store
        .enqueue_job(&NewJob {
            kind: "retired_kind".into(),
            tenant_id: Some(tenant.clone()),
            payload: json!({}),
            dedupe_key: None,
            priority: 0,
            run_at: chrono::Utc::now(),
            max_attempts: 3,
            order: None,
        })
        .await
        .unwrap()
        .unwrap();
    wait_for_async(|| async {
        app.state
            .store
            .job(&id)
            .await
            .unwrap()
            .filter(|j| j.state == "dead")
    })
    .await;

    for who in [people::ANALYST, people::PRIVACY_OFFICER, people::REQUESTER] {
        let resp = get(who, "/api/admin/jobs").await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
        let resp = post(who, &format!("/api/admin/jobs/{id}/rerun"))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let resp = get(people::ADMIN, "/api/admin/jobs").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let jobs = body["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{body}");
    assert_eq!(jobs[0]["id"], id.as_str());
    assert!(
        jobs[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("no handler"),
        "{body}"
    );
    let resp = get(people::ADMIN, "/api/admin/jobs?state=lost")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let resp = post(people::ADMIN, &format!("/api/admin/jobs/{id}/rerun"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = post(people::ADMIN, "/api/admin/jobs/no-such-job/rerun")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let events = app.state.store.audit_page(&tenant, 0, 100).await.unwrap();
    let rerun = events
        .iter()
        .find(|e| e.action == "job.rerun")
        .expect("audited");
    assert_eq!(rerun.actor, people::ADMIN);

    let resp = get(people::ADMIN, "/api/admin/audit/verify").await.unwrap();
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["verified"], events.len());
    let resp = get(people::ADMIN, "/api/admin/audit/export?format=jsonl")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("clearance-audit.jsonl")
    );
    let text = resp.text().await.unwrap();
    assert_eq!(text.lines().count(), events.len());
    let resp = get(people::ADMIN, "/api/admin/audit/export").await.unwrap();
    assert!(
        resp.text()
            .await
            .unwrap()
            .starts_with("seq,at,actor,action")
    );
    let resp = get(people::ADMIN, "/api/admin/audit/export?format=pdf")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = get(people::ANALYST, "/api/admin/audit/export")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    app.cleanup().await;
}
