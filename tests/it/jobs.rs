//! Durable jobs on both databases: run once and recorded, retries with backoff then dead and re-runnable,
//! `Retry-After` respected, permanent errors, deduplication, a crashed worker's lease taken over, panics, and two
//! instances sharing one database running every job exactly once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use clearance::{
    jobs::{Backoff, JobError, LaneSlots, Runner, RunnerConfig},
    store::{ClaimScope, Finish, NewJob, Store},
};
use serde_json::json;

use crate::{
    helpers::{Backend, TestApp},
    on_each_backend,
};

on_each_backend!(
    job_runs_once_and_is_recorded,
    retries_then_dead_then_rerun,
    retry_after_and_permanent_errors,
    dedupe_and_unknown_kinds,
    crashed_worker_lease_is_taken_over,
    two_instances_run_every_job_exactly_once,
);

pub(crate) fn cfg(worker: &str) -> RunnerConfig {
    RunnerConfig {
        worker_id: worker.into(),
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(20),
        slots: LaneSlots::default(),
        job_timeout: Duration::from_secs(10),
        backoff: Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
            retry_after_max: Duration::from_secs(60),
        },
        wait_budget: Duration::from_secs(3600),
    }
}

fn job(kind: &str, n: u64) -> NewJob {
    NewJob {
        kind: kind.into(),
        tenant_id: None,
        payload: json!({"n": n}),
        dedupe_key: None,
        priority: 0,
        run_at: Utc::now(),
        max_attempts: 3,
        order: None,
    }
}

/// How each attempt at job `id` ended, in order.
pub(crate) async fn outcomes(store: &Store, id: &str) -> Vec<String> {
    let attempts = store.job_attempts(id).await.unwrap();
    attempts.into_iter().map(|a| a.outcome).collect()
}

type Seen = Arc<Mutex<Vec<u64>>>;

fn counting_runner(store: &Store, worker: &str, seen: Seen) -> Runner<Seen> {
    let mut r = Runner::new(store.clone(), seen, cfg(worker));
    r.register("count", |seen: Seen, job| async move {
        let n = serde_json::from_str::<serde_json::Value>(&job.payload)
            .map_err(|e| JobError::Permanent(e.to_string()))?["n"]
            .as_u64()
            .unwrap_or(0);
        seen.lock().unwrap().push(n);
        Ok(())
    });
    r
}

async fn job_runs_once_and_is_recorded(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let id = store.enqueue_job(&job("count", 1)).await.unwrap().unwrap();
    let seen: Seen = Arc::default();
    let r = counting_runner(store, "w1", seen.clone());
    assert_eq!(r.run_once().await.unwrap(), 1);
    assert_eq!(r.run_once().await.unwrap(), 0, "nothing left");
    assert_eq!(*seen.lock().unwrap(), vec![1]);
    let row = store.job(&id).await.unwrap().unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts, row.locked_by.as_deref()),
        ("done", 1, None)
    );
    assert!(row.finished_at.is_some());
    let attempts = store.job_attempts(&id).await.unwrap();
    assert_eq!(
        attempts
            .iter()
            .map(|a| (a.outcome.as_str(), a.worker.as_str()))
            .collect::<Vec<_>>(),
        vec![("done", "w1")]
    );
    app.cleanup().await;
}

async fn retries_then_dead_then_rerun(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let id = store.enqueue_job(&job("flaky", 1)).await.unwrap().unwrap();
    let healthy = Arc::new(Mutex::new(false));
    let mut r = Runner::new(store.clone(), healthy.clone(), cfg("w1"));
    r.register("flaky", |healthy: Arc<Mutex<bool>>, _job| async move {
        if *healthy.lock().unwrap() {
            Ok(())
        } else {
            Err(JobError::Retry {
                error: "warehouse unreachable".into(),
                after: None,
            })
        }
    });
    for _ in 0..20 {
        r.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let row = store.job(&id).await.unwrap().unwrap();
    assert_eq!(row.state, "dead");
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("warehouse unreachable")
    );
    assert_eq!(outcomes(store, &id).await, ["retry", "retry", "dead"]);
    // A person fixes the cause and re-runs it.
    *healthy.lock().unwrap() = true;
    assert!(store.rerun_job(&id).await.unwrap());
    assert!(
        !store.rerun_job(&id).await.unwrap(),
        "only dead jobs are re-run"
    );
    r.run_once().await.unwrap();
    assert_eq!(store.job(&id).await.unwrap().unwrap().state, "done");
    app.cleanup().await;
}

async fn retry_after_and_permanent_errors(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let limited = store
        .enqueue_job(&job("limited", 1))
        .await
        .unwrap()
        .unwrap();
    let broken = store.enqueue_job(&job("broken", 2)).await.unwrap().unwrap();
    let panics = store.enqueue_job(&job("panics", 3)).await.unwrap().unwrap();
    let mut r = Runner::new(store.clone(), (), cfg("w1"));
    r.register("limited", |_, _| async {
        Err(JobError::Retry {
            error: "Jira said 429".into(),
            after: Some(Duration::from_secs(7)),
        })
    });
    r.register("broken", |_, _| async {
        Err(JobError::Permanent("issue was deleted".into()))
    });
    r.register("panics", |_, _| async { panic!("boom") });
    let before = Utc::now();
    assert_eq!(r.run_once().await.unwrap(), 3);
    let row = store.job(&limited).await.unwrap().unwrap();
    assert_eq!(row.state, "queued");
    assert!(
        row.run_at >= before + chrono::Duration::milliseconds(6900),
        "Retry-After honoured: {}",
        row.run_at - before
    );
    r.run_once().await.unwrap(); // runs the panicking job again (plain backoff), not the rate-limited one
    assert_eq!(
        store.job(&limited).await.unwrap().unwrap().attempts,
        1,
        "not due before Retry-After"
    );
    assert_eq!(store.job(&broken).await.unwrap().unwrap().state, "dead");
    let p = store.job(&panics).await.unwrap().unwrap();
    assert_eq!(
        (p.state.as_str(), p.last_error.as_deref()),
        ("queued", Some("the job panicked"))
    );
    app.cleanup().await;
}

async fn dedupe_and_unknown_kinds(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let keyed = |k: &str| NewJob {
        dedupe_key: Some(k.into()),
        ..job("count", 1)
    };
    let first = store.enqueue_job(&keyed("sync:DATA-1")).await.unwrap();
    assert!(first.is_some());
    assert!(
        store
            .enqueue_job(&keyed("sync:DATA-1"))
            .await
            .unwrap()
            .is_none(),
        "deduplicated while queued"
    );
    assert!(
        store
            .enqueue_job(&keyed("sync:DATA-2"))
            .await
            .unwrap()
            .is_some()
    );
    let r = counting_runner(store, "w1", Arc::default());
    r.run_once().await.unwrap();
    assert!(
        store
            .enqueue_job(&keyed("sync:DATA-1"))
            .await
            .unwrap()
            .is_some(),
        "allowed again once done"
    );
    let orphan = store
        .enqueue_job(&job("nobody-handles-this", 9))
        .await
        .unwrap()
        .unwrap();
    r.run_once().await.unwrap();
    let row = store.job(&orphan).await.unwrap().unwrap();
    assert_eq!(row.state, "dead");
    assert!(row.last_error.unwrap().contains("no handler"));
    app.cleanup().await;
}

async fn crashed_worker_lease_is_taken_over(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let id = store.enqueue_job(&job("count", 5)).await.unwrap().unwrap();
    // A worker claims the job and dies without a word.
    let claimed = store
        .claim_jobs(
            "crashed",
            Duration::from_millis(200),
            10,
            ClaimScope::Except(&[]),
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let seen: Seen = Arc::default();
    let r = counting_runner(store, "w2", seen.clone());
    assert_eq!(
        r.run_once().await.unwrap(),
        0,
        "leased to the crashed worker"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.run_once().await.unwrap(), 1, "lease expired, taken over");
    assert_eq!(*seen.lock().unwrap(), vec![5]);
    // The crashed worker comes back and tries to finish: refused, recorded, the job stays done.
    assert!(
        !store
            .finish_job(&id, "crashed", 1, Utc::now(), &Finish::Done)
            .await
            .unwrap()
    );
    let row = store.job(&id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("done", 2));
    let outcomes: Vec<(String, String)> = store
        .job_attempts(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.worker, a.outcome))
        .collect();
    assert!(
        outcomes.contains(&("w2".into(), "done".into()))
            && outcomes.contains(&("crashed".into(), "lease_lost".into())),
        "{outcomes:?}"
    );
    app.cleanup().await;
}

async fn two_instances_run_every_job_exactly_once(backend: Backend) {
    // TestApp's worker is off by default: only the runners these tests build touch the queue.
    let app = TestApp::spawn(backend).await;
    let other = Store::connect(&app.database_url).await.unwrap();
    const N: u64 = 150;
    for n in 0..N {
        app.state.store.enqueue_job(&job("count", n)).await.unwrap();
    }
    let seen: Seen = Arc::default();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let a =
        tokio::spawn(counting_runner(&app.state.store, "instance-a", seen.clone()).run(rx.clone()));
    let b = tokio::spawn(counting_runner(&other, "instance-b", seen.clone()).run(rx));
    for _ in 0..400 {
        if seen.lock().unwrap().len() as u64 >= N {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tx.send(true).unwrap();
    a.await.unwrap();
    b.await.unwrap();
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for n in seen.lock().unwrap().iter() {
        *counts.entry(*n).or_default() += 1;
    }
    assert_eq!(counts.len() as u64, N, "every job ran");
    assert!(counts.values().all(|c| *c == 1), "no job ran twice");
    assert_eq!(
        app.state.store.job_counts().await.unwrap(),
        vec![("done".to_string(), N as i64)]
    );
    other.close().await;
    app.cleanup().await;
}
