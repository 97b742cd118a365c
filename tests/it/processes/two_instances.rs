//! Two `clearance serve` processes on one PostgreSQL database, both running jobs: every webhook delivered to both
//! (and retried) is stored once, every sync job runs once to completion, every request is created once, and both
//! instances did part of the work.

use std::{collections::BTreeSet, time::Duration};

use clearance_sandbox::jira::{JiraSim, WebhookFault, people};
use tokio::task::JoinSet;

use super::setup::{Setup, eventually};
use crate::helpers::Backend;

/// Tickets filed, one webhook each.
const ISSUES: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_webhooks_and_jobs_exactly_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let setup = Setup::new(backend).await;
    // Both boot at once on the empty database, as a deployment's replicas do: both try to migrate.
    let (a, b) = tokio::join!(setup.server("proc-a", &[]), setup.server("proc-b", &[]));
    let tenant_id = setup.install(&a).await;

    // The site files the tickets but its own deliveries are dropped: the test delivers each one, as the site signed
    // it, to both instances at once, plus a retry of it to the second.
    let sim = &setup.sim;
    for _ in 0..ISSUES {
        sim.faults().webhooks.push_back(WebhookFault::Drop);
    }
    let mut issue_ids = BTreeSet::new();
    for i in 0..ISSUES {
        let key = sim.create_issue(
            "DATA",
            &format!("Request {i}"),
            "",
            &["data-request"],
            people::REQUESTER,
        );
        issue_ids.insert(sim.issue(&key).expect("issue").id.to_string());
    }
    let deliveries = sim.deliveries();
    assert_eq!(deliveries.len(), ISSUES);
    assert!(
        deliveries
            .iter()
            .all(|d| d.dropped && d.attempts.is_empty())
    );
    // Every Jira call takes a while, so neither worker can drain the queue before the other polls.
    sim.faults().slow = Some(Duration::from_millis(300));
    let http = reqwest::Client::new();
    let mut sends = JoinSet::new();
    for d in &deliveries {
        let path = d
            .url
            .strip_prefix(&a.base_url)
            .expect("delivery to the installed base URL");
        let body = serde_json::to_vec(&d.body).expect("body");
        for (base, retry) in [(&a.base_url, 0), (&b.base_url, 0), (&b.base_url, 1)] {
            let send = deliver(
                http.clone(),
                sim.clone(),
                format!("{base}{path}"),
                d.identifier.clone(),
                body.clone(),
                retry,
            );
            sends.spawn(send);
        }
    }
    while let Some(status) = sends.join_next().await {
        assert_eq!(status.expect("delivery task"), 204);
    }

    let jobs = eventually(Duration::from_secs(20), "every job done", || async {
        let jobs = setup.sync_jobs().await;
        (jobs.len() == ISSUES && jobs.iter().all(|j| j.state == "done")).then_some(jobs)
    })
    .await;
    let store = &setup.store;
    assert_eq!(
        store.webhook_event_count(&tenant_id).await.unwrap(),
        ISSUES as i64,
        "each delivery stored once"
    );
    let mut workers = BTreeSet::new();
    let mut per_instance = [0, 0];
    for job in &jobs {
        assert_eq!(job.attempts, 1, "claimed once: {job:?}");
        let attempts = store.job_attempts(&job.id).await.unwrap();
        assert_eq!(attempts.len(), 1, "{attempts:?}");
        assert_eq!(
            (attempts[0].attempt, attempts[0].outcome.as_str()),
            (1, "done")
        );
        let worker = attempts[0].worker.clone();
        if worker.starts_with("proc-a-") {
            per_instance[0] += 1;
        } else if worker.starts_with("proc-b-") {
            per_instance[1] += 1;
        }
        workers.insert(worker);
    }
    assert_eq!(workers.len(), 2, "one worker per instance: {workers:?}");
    assert!(
        per_instance.iter().all(|n| *n > 0),
        "both instances ran jobs (a, b) = {per_instance:?}"
    );
    eprintln!("jobs run by (proc-a, proc-b): {per_instance:?}");
    let requests = store.requests(&tenant_id).await.unwrap();
    let requested: BTreeSet<_> = requests.iter().map(|r| r.issue_id.clone()).collect();
    assert_eq!(requests.len(), ISSUES, "one request per issue");
    assert_eq!(requested, issue_ids);
    // Jira saw one read per issue: no sync job ran twice, recorded or not (the write-back of each new request's
    // state is a PUT, not counted here).
    let reads: Vec<_> = sim
        .rest_calls()
        .into_iter()
        .filter(|c| c.method == "GET" && c.path.starts_with("/rest/api/3/issue/"))
        .collect();
    let read_ids: BTreeSet<_> = reads
        .iter()
        .filter_map(|c| c.path.strip_prefix("/rest/api/3/issue/")?.split('?').next())
        .map(str::to_owned)
        .collect();
    assert_eq!((reads.len(), read_ids), (ISSUES, issue_ids));
    drop((a, b));
    setup.cleanup().await;
}

/// POST one delivery to `url` the way the site signs it; returns the status.
async fn deliver(
    http: reqwest::Client,
    sim: JiraSim,
    url: String,
    identifier: String,
    body: Vec<u8>,
    retry: u32,
) -> u16 {
    let token = sim
        .sign_app_request("POST", &url, None)
        .expect("app installed");
    let mut req = http
        .post(&url)
        .header("Authorization", format!("JWT {token}"))
        .header("Content-Type", "application/json")
        .header("X-Atlassian-Webhook-Identifier", identifier)
        .header("X-Atlassian-Webhook-Flow", "Primary")
        .body(body);
    if retry > 0 {
        req = req.header("X-Atlassian-Webhook-Retry", retry.to_string());
    }
    req.send()
        .await
        .expect("deliver a webhook")
        .status()
        .as_u16()
}
