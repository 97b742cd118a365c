//! Ordered jobs and rate-limit waits on both databases: jobs sharing an order key complete in order across two
//! instances whose tries fail at random; a wait (HTTP 429) uses up no try and gives up only after the wait budget.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use clearance::{
    jobs::{JobError, JobOrder, Runner, RunnerConfig, WaitingOn},
    store::{NewJob, Store},
};
use serde_json::json;

use crate::{
    helpers::{Backend, TestApp},
    jobs::{cfg, outcomes},
    on_each_backend,
};

on_each_backend!(
    ordered_jobs_complete_in_order_across_instances_and_failures,
    a_wait_uses_up_no_try,
    waiting_past_the_budget_gives_up,
);

const KEYS: [&str; 3] = ["request-a", "request-b", "request-c"];
const PER_KEY: i64 = 12;

fn ordered(key: &str, seq: i64) -> NewJob {
    NewJob {
        kind: "ordered".into(),
        tenant_id: None,
        payload: json!({"key": key, "seq": seq}),
        dedupe_key: Some(format!("{key}:{seq}")),
        priority: 0,
        run_at: Utc::now(),
        max_attempts: 10,
        order: Some(JobOrder {
            key: key.into(),
            seq,
        }),
    }
}

/// What each key's jobs applied, in the order they completed.
type Applied = Arc<Mutex<HashMap<String, Vec<i64>>>>;

/// A runner whose `ordered` jobs fail their first try when `seq` is a multiple of 3 and otherwise take a few
/// milliseconds (longer for low numbers, so later jobs would overtake them if nothing held them back).
fn flaky_runner(store: &Store, worker: &str, applied: Applied) -> Runner<Applied> {
    let mut r = Runner::new(store.clone(), applied, cfg(worker));
    r.register("ordered", |applied: Applied, job| async move {
        let p: serde_json::Value =
            serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
        let (key, seq) = (
            p["key"].as_str().unwrap_or_default().to_owned(),
            p["seq"].as_i64().unwrap_or(0),
        );
        tokio::time::sleep(Duration::from_millis(((PER_KEY - seq) % 4) as u64 * 3)).await;
        if seq % 3 == 0 && job.tries() == 1 {
            return Err(JobError::Retry {
                error: "Jira answered 503".into(),
                after: None,
            });
        }
        applied.lock().unwrap().entry(key).or_default().push(seq);
        Ok(())
    });
    r
}

async fn ordered_jobs_complete_in_order_across_instances_and_failures(backend: Backend) {
    // TestApp's worker is off by default: only the runners this test builds touch the queue.
    let app = TestApp::spawn(backend).await;
    let other = Store::connect(&app.database_url).await.unwrap();
    // Enqueued newest first, keys interleaved: only the order numbers say what comes first.
    for seq in (1..=PER_KEY).rev() {
        for key in KEYS {
            app.state
                .store
                .enqueue_job(&ordered(key, seq))
                .await
                .unwrap();
        }
    }
    let applied: Applied = Arc::default();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let a =
        tokio::spawn(flaky_runner(&app.state.store, "instance-a", applied.clone()).run(rx.clone()));
    let b = tokio::spawn(flaky_runner(&other, "instance-b", applied.clone()).run(rx));
    let total = KEYS.len() * PER_KEY as usize;
    for _ in 0..800 {
        if applied
            .lock()
            .unwrap()
            .values()
            .map(Vec::len)
            .sum::<usize>()
            >= total
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tx.send(true).unwrap();
    a.await.unwrap();
    b.await.unwrap();
    let applied = applied.lock().unwrap().clone();
    for key in KEYS {
        assert_eq!(
            applied.get(key).cloned().unwrap_or_default(),
            (1..=PER_KEY).collect::<Vec<_>>(),
            "{key}'s jobs completed in order, each once"
        );
    }
    other.close().await;
    app.cleanup().await;
}

/// A runner whose `limited` job is asked to wait `waits` times, then succeeds.
fn waiting_runner(store: &Store, cfg: RunnerConfig, waits: i32) -> Runner<()> {
    let mut r = Runner::new(store.clone(), (), cfg);
    r.register("limited", move |(), job| async move {
        if job.waits < waits {
            return Err(JobError::Wait {
                on: WaitingOn::Jira,
                after: None,
            });
        }
        Ok(())
    });
    r
}

fn limited() -> NewJob {
    NewJob {
        kind: "limited".into(),
        tenant_id: None,
        payload: json!({}),
        dedupe_key: None,
        priority: 0,
        run_at: Utc::now(),
        max_attempts: 2,
        order: None,
    }
}

async fn a_wait_uses_up_no_try(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let id = store.enqueue_job(&limited()).await.unwrap().unwrap();
    let r = waiting_runner(store, cfg("w1"), 5);
    for _ in 0..200 {
        r.run_once().await.unwrap();
        let row = store.job(&id).await.unwrap().unwrap();
        if row.state != "queued" {
            break;
        }
        assert_eq!(row.waiting_on(), (row.waits > 0).then_some(WaitingOn::Jira));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let row = store.job(&id).await.unwrap().unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts, row.waits, row.tries()),
        ("done", 6, 5, 1),
        "five waits and one try, though the job has only two tries"
    );
    assert_eq!(
        (row.waiting_since, row.waiting_on),
        (None, None),
        "a try ends the wait"
    );
    assert_eq!(
        outcomes(store, &id).await,
        ["wait", "wait", "wait", "wait", "wait", "done"]
    );
    app.cleanup().await;
}

async fn waiting_past_the_budget_gives_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let id = store.enqueue_job(&limited()).await.unwrap().unwrap();
    let budget = RunnerConfig {
        wait_budget: Duration::ZERO,
        ..cfg("w1")
    };
    let r = waiting_runner(store, budget, i32::MAX);
    for _ in 0..200 {
        r.run_once().await.unwrap();
        if store.job(&id).await.unwrap().unwrap().state == "dead" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let row = store.job(&id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.tries()), ("dead", 1));
    let error = row.last_error.unwrap_or_default();
    assert!(
        error.contains("Jira asked Clearance to wait") && error.contains("wait budget"),
        "{error}"
    );
    assert_eq!(
        outcomes(store, &id).await,
        ["wait", "dead"],
        "the first wait starts the budget, the next finds it spent"
    );
    app.cleanup().await;
}
