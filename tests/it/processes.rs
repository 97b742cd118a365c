//! End to end against real `clearance serve` processes and the Jira simulator: a worker SIGKILLed mid-job whose job
//! another process completes exactly once after the lease expires; a 429 with `Retry-After` waited out through the
//! real REST client; two instances on one PostgreSQL sharing duplicated webhook deliveries and the jobs they make.

mod server;
mod setup;
mod two_instances;

use std::time::Duration;

use chrono::TimeDelta;
use clearance_sandbox::jira::people;

use crate::{helpers::Backend, on_each_backend};
use setup::{Setup, eventually};

on_each_backend!(
    killed_worker_job_completes_once_after_lease,
    rate_limited_sync_waits_for_retry_after,
);

/// The lease the kill test runs with: short, so the takeover comes soon.
const LEASE_SECS: i64 = 2;

async fn killed_worker_job_completes_once_after_lease(backend: Backend) {
    let setup = Setup::new(backend).await;
    let lease = [("CLEARANCE_JOB_LEASE_SECS", LEASE_SECS.to_string())];
    let mut first = setup.server("proc-first", &lease).await;
    let tenant_id = setup.install(&first).await;
    // Jira holds every REST call: the sync job will be in the middle of its call when the process dies.
    setup.sim.faults().slow = Some(Duration::from_secs(20));
    let key = setup.sim.create_issue(
        "DATA",
        "Churn by region",
        "Monthly.",
        &["data-request"],
        people::REQUESTER,
    );
    let issue_id = setup.sim.issue(&key).expect("issue").id.to_string();
    let issue_path = format!("/rest/api/3/issue/{issue_id}?");
    let job = eventually(
        Duration::from_secs(10),
        "sync job held mid-call",
        || async {
            let held = setup
                .sim
                .rest_calls()
                .iter()
                .any(|c| c.path.starts_with(&issue_path) && c.status.is_none());
            let job = setup.sync_jobs().await.pop()?;
            (held && job.state == "running").then_some(job)
        },
    )
    .await;
    assert!(
        job.locked_by
            .as_deref()
            .is_some_and(|w| w.starts_with("proc-first-")),
        "{job:?}"
    );
    assert!(job.locked_until.is_some_and(|t| t > chrono::Utc::now()));

    assert!(!first.kill().success(), "killed, not stopped");
    // What the dead process left: a running job under a lease nobody renews, no attempt recorded, no request.
    let orphan = setup.store.job(&job.id).await.unwrap().expect("job");
    assert_eq!(
        (orphan.state.as_str(), orphan.attempts),
        ("running", 1),
        "{orphan:?}"
    );
    let lease_end = orphan.locked_until.expect("leased");
    assert!(setup.store.job_attempts(&job.id).await.unwrap().is_empty());
    let request = setup.store.request_by_issue(&tenant_id, &issue_id).await;
    assert!(request.unwrap().is_none());

    // Jira recovers; a new process on the same database takes the job over once the lease has run out.
    setup.sim.faults().clear();
    let second = setup.server("proc-second", &lease).await;
    let done = eventually(Duration::from_secs(15), "job taken over", || async {
        let j = setup.store.job(&job.id).await.unwrap()?;
        (j.state == "done").then_some(j)
    })
    .await;
    assert_eq!(
        done.attempts, 2,
        "the dead process's claim counts: {done:?}"
    );
    // The history tells both: the killed process's attempt lost its lease, the new one completed the job once.
    let attempts = setup.store.job_attempts(&job.id).await.unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str()))
        .collect();
    assert_eq!(outcomes, [(1, "lease_lost"), (2, "done")], "{attempts:?}");
    assert!(
        attempts[0].worker.starts_with("proc-first-"),
        "{attempts:?}"
    );
    let a = &attempts[1];
    assert!(a.worker.starts_with("proc-second-"), "{a:?}");
    assert!(
        a.started_at >= lease_end,
        "taken over at {} before the lease ended at {lease_end}",
        a.started_at
    );
    let jobs = setup.sync_jobs().await;
    assert_eq!(jobs.len(), 1, "no second job: {jobs:?}");
    let requests = setup.store.requests(&tenant_id).await.unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        (requests[0].issue_key.as_str(), requests[0].state.as_str()),
        (key.as_str(), "new")
    );
    // Jira saw the held call and the one that completed, nothing more.
    let calls = setup
        .sim
        .rest_calls()
        .into_iter()
        .filter(|c| c.path.starts_with(&issue_path))
        .count();
    assert_eq!(calls, 2);
    drop((first, second));
    setup.cleanup().await;
}

/// Seconds of `Retry-After` Jira answers the sync job's call with.
const RETRY_AFTER: i64 = 2;

async fn rate_limited_sync_waits_for_retry_after(backend: Backend) {
    let setup = Setup::new(backend).await;
    let server = setup.server("proc-limited", &[]).await;
    let tenant_id = setup.install(&server).await;
    setup.sim.faults().rate_limit(1, RETRY_AFTER as u64);
    let key = setup.sim.create_issue(
        "DATA",
        "Refunds per week",
        "",
        &["data-request"],
        people::REQUESTER,
    );
    let issue_id = setup.sim.issue(&key).expect("issue").id.to_string();
    let job = eventually(Duration::from_secs(15), "sync job done", || async {
        setup.sync_jobs().await.pop().filter(|j| j.state == "done")
    })
    .await;

    // Jira's side: a 429, then the call that worked, made no sooner than Retry-After after the 429 was answered.
    let issue_path = format!("/rest/api/3/issue/{issue_id}?");
    let calls: Vec<_> = setup
        .sim
        .rest_calls()
        .into_iter()
        .filter(|c| c.path.starts_with(&issue_path))
        .collect();
    let statuses: Vec<_> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Some(429), Some(200)], "{calls:?}");
    let asked = calls[0].answered.expect("answered") + TimeDelta::seconds(RETRY_AFTER);
    assert!(
        calls[1].received >= asked,
        "retried at {}, Jira asked for no sooner than {asked}",
        calls[1].received
    );

    // The app's record: the retry was scheduled Retry-After from the failed attempt, and run no sooner.
    let attempts = setup.store.job_attempts(&job.id).await.unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [(1, "wait"), (2, "done")],
        "a 429 is waited out, not a failed try: {attempts:?}"
    );
    assert_eq!(
        attempts[0].error.as_deref(),
        Some("Jira asked Clearance to wait (rate limit)")
    );
    let wait = TimeDelta::seconds(RETRY_AFTER);
    assert!(
        job.run_at >= attempts[0].started_at + wait && job.run_at <= attempts[0].finished_at + wait,
        "retry scheduled at {} after an attempt from {} to {}",
        job.run_at,
        attempts[0].started_at,
        attempts[0].finished_at
    );
    assert!(attempts[1].started_at >= job.run_at, "{attempts:?} {job:?}");

    // And the request converged.
    let request = setup
        .store
        .request_by_issue(&tenant_id, &issue_id)
        .await
        .unwrap()
        .expect("request created after the retry");
    assert_eq!(
        (request.issue_key.as_str(), request.summary.as_str()),
        (key.as_str(), "Refunds per week")
    );
    drop(server);
    setup.cleanup().await;
}
