//! Job lanes on both databases: an extraction that runs as long as the test holds it (standing in for the issue's
//! 60-second one) does not hold up another site's write-back; a second extraction of the same site waits for the
//! first while another site's runs; short jobs keep flowing while every long slot is busy; and the per-tenant limit
//! holds across workers, also when they claim at the same moment.

use std::{
    collections::HashSet,
    num::{NonZeroU32, NonZeroUsize},
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use clearance::{
    jobs::{JobKind, LaneSlots, Runner, RunnerConfig},
    store::{ClaimScope, Finish, NewJob, Store},
};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    helpers::{Backend, Site, TestApp},
    jobs::cfg,
    on_each_backend,
};

on_each_backend!(
    a_long_extraction_does_not_hold_up_another_sites_writeback,
    a_sites_second_extraction_waits_its_turn,
    short_jobs_flow_while_every_long_slot_is_busy,
    per_tenant_limit_holds_across_workers,
);

mod concurrent_claims_wait_for_each_other {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(backend) = crate::helpers::Backend::postgres() {
            super::concurrent_claims_wait_for_each_other(backend).await
        }
    }
}

const EXTRACT: &str = JobKind::Extract.name();
const WRITEBACK: &str = JobKind::IssueWriteback.name();

/// What the test handlers saw, and the extractions the test lets finish.
#[derive(Clone)]
struct Lab {
    /// `start:NAME` / `end:NAME` for extractions, `ran:NAME` for write-backs, in order.
    events: Arc<Mutex<Vec<String>>>,
    /// Names of the extractions allowed to finish.
    released: Arc<watch::Sender<HashSet<String>>>,
}

impl Lab {
    fn new() -> Self {
        Self {
            events: Arc::default(),
            released: Arc::new(watch::Sender::new(HashSet::new())),
        }
    }

    fn log(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }

    fn saw(&self, event: &str) -> bool {
        self.events.lock().unwrap().iter().any(|e| e == event)
    }

    fn position(&self, event: &str) -> Option<usize> {
        self.events.lock().unwrap().iter().position(|e| e == event)
    }

    fn release(&self, name: &str) {
        self.released.send_modify(|r| {
            r.insert(name.to_owned());
        });
    }

    /// Wait until `event` happened; the limit only guards against a hang, it measures nothing.
    async fn wait_for(&self, event: &str) {
        for _ in 0..1500 {
            if self.saw(event) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{event} did not happen within 30 s; events: {:?}",
            self.events.lock().unwrap()
        );
    }
}

fn name_of(job: &clearance::store::JobRow) -> String {
    serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A worker whose extractions run until the test releases them and whose write-backs end at once.
fn runner(store: &Store, worker: &str, lab: &Lab, short: usize, long: usize) -> Runner<Lab> {
    let slots = LaneSlots {
        short: NonZeroUsize::new(short).unwrap(),
        long: NonZeroUsize::new(long).unwrap(),
        long_per_tenant: NonZeroU32::MIN,
    };
    let mut r = Runner::new(
        store.clone(),
        lab.clone(),
        RunnerConfig {
            slots,
            // Longer than any wait below: an extraction ends only when the test releases it.
            job_timeout: Duration::from_secs(600),
            ..cfg(worker)
        },
    );
    r.register(EXTRACT, |lab: Lab, job| async move {
        let name = name_of(&job);
        lab.log(format!("start:{name}"));
        let mut released = lab.released.subscribe();
        let _ = released.wait_for(|r| r.contains(&name)).await;
        lab.log(format!("end:{name}"));
        Ok(())
    });
    r.register(WRITEBACK, |lab: Lab, job| async move {
        lab.log(format!("ran:{}", name_of(&job)));
        Ok(())
    });
    r
}

/// A job of `kind` for `tenant`, named `name`, due `ago` seconds ago (older runs first).
fn job(kind: &str, tenant: &str, name: &str, ago: i64) -> NewJob {
    NewJob {
        kind: kind.into(),
        tenant_id: Some(tenant.into()),
        payload: json!({"name": name}),
        dedupe_key: None,
        priority: 0,
        run_at: Utc::now() - chrono::Duration::seconds(ago),
        max_attempts: 3,
        order: None,
    }
}

async fn tenant(app: &TestApp, name: &str) -> String {
    let site = Site::new(name);
    app.install(&site).await;
    app.tenant(&site.client_key).await.unwrap().tenant.id
}

async fn three_sites(app: &TestApp) -> [String; 3] {
    [
        tenant(app, "site-a").await,
        tenant(app, "site-b").await,
        tenant(app, "site-c").await,
    ]
}

async fn enqueue(store: &Store, jobs: impl IntoIterator<Item = NewJob>) {
    for j in jobs {
        store.enqueue_job(&j).await.unwrap();
    }
}

/// A running worker and the means to stop it.
struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

fn start(r: Runner<Lab>) -> Running {
    let (stop, rx) = watch::channel(false);
    Running {
        stop,
        task: tokio::spawn(r.run(rx)),
    }
}

impl Running {
    /// Let every extraction finish and stop the worker (it finishes what runs first).
    async fn finish(self, lab: &Lab, names: &[&str]) {
        for n in names {
            lab.release(n);
        }
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }
}

async fn a_long_extraction_does_not_hold_up_another_sites_writeback(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let (a, b) = (tenant(&app, "site-a").await, tenant(&app, "site-b").await);
    let lab = Lab::new();
    let worker = start(runner(store, "w1", &lab, 6, 2));
    let extract = store
        .enqueue_job(&job(EXTRACT, &a, "extract-a", 0))
        .await
        .unwrap()
        .unwrap();
    lab.wait_for("start:extract-a").await;
    // Site A's extraction runs (for as long as this test holds it); site B's write-back is queued now.
    let queued = std::time::Instant::now();
    store
        .enqueue_job(&job(WRITEBACK, &b, "writeback-b", 0))
        .await
        .unwrap();
    lab.wait_for("ran:writeback-b").await;
    eprintln!(
        "site B's write-back ran {:?} after it was queued",
        queued.elapsed()
    );
    let row = store.job(&extract).await.unwrap().unwrap();
    assert!(
        !lab.saw("end:extract-a") && (row.state.as_str(), row.attempts) == ("running", 1),
        "the write-back ran while the extraction's first attempt still ran"
    );
    worker.finish(&lab, &["extract-a"]).await;
    assert!(
        lab.saw("end:extract-a"),
        "in-flight jobs finish on shutdown"
    );
    app.cleanup().await;
}

async fn a_sites_second_extraction_waits_its_turn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let [a, b, c] = three_sites(&app).await;
    let lab = Lab::new();
    enqueue(
        store,
        [
            job(EXTRACT, &a, "a1", 30),
            job(EXTRACT, &a, "a2", 20),
            job(EXTRACT, &b, "b1", 10),
        ],
    )
    .await;
    // Three long slots: only the per-tenant limit can hold a2 back.
    let worker = start(runner(store, "w1", &lab, 6, 3));
    lab.wait_for("start:a1").await;
    lab.wait_for("start:b1").await;
    // c1 is due later than a2, so a claim that ignored the limit would take a2 for the free slot instead.
    store.enqueue_job(&job(EXTRACT, &c, "c1", 0)).await.unwrap();
    lab.wait_for("start:c1").await;
    assert!(!lab.saw("start:a2"), "site A's second extraction waits");
    lab.release("a1");
    lab.wait_for("start:a2").await;
    assert!(
        lab.position("end:a1") < lab.position("start:a2"),
        "{:?}",
        lab.events.lock().unwrap()
    );
    worker.finish(&lab, &["a2", "b1", "c1"]).await;
    app.cleanup().await;
}

async fn short_jobs_flow_while_every_long_slot_is_busy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let [a, b, c] = three_sites(&app).await;
    let lab = Lab::new();
    // Two short slots, two long ones: both long ones taken, a third extraction waiting for one.
    let worker = start(runner(store, "w1", &lab, 2, 2));
    enqueue(
        store,
        [
            job(EXTRACT, &a, "a1", 30),
            job(EXTRACT, &b, "b1", 20),
            job(EXTRACT, &c, "c1", 10),
        ],
    )
    .await;
    lab.wait_for("start:a1").await;
    lab.wait_for("start:b1").await;
    const N: usize = 20;
    for i in 0..N {
        let site = [&a, &b, &c][i % 3];
        store
            .enqueue_job(&job(WRITEBACK, site, &format!("w{i}"), 0))
            .await
            .unwrap();
    }
    for i in 0..N {
        lab.wait_for(&format!("ran:w{i}")).await;
    }
    assert!(
        !lab.saw("end:a1") && !lab.saw("end:b1") && !lab.saw("start:c1"),
        "every write-back ran while both long slots stayed busy: {:?}",
        lab.events.lock().unwrap()
    );
    lab.release("a1");
    lab.wait_for("start:c1").await;
    worker.finish(&lab, &["b1", "c1"]).await;
    app.cleanup().await;
}

/// The long lane's claim as worker `worker` would make it, one long job per tenant.
async fn claim_long(store: &Store, worker: &str, limit: i64) -> Vec<String> {
    let mut names: Vec<String> = store
        .claim_jobs(
            worker,
            Duration::from_secs(60),
            limit,
            ClaimScope::Only {
                kinds: &[EXTRACT],
                per_tenant: 1,
            },
        )
        .await
        .unwrap()
        .iter()
        .map(name_of)
        .collect();
    names.sort();
    names
}

async fn per_tenant_limit_holds_across_workers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let (a, b) = (tenant(&app, "site-a").await, tenant(&app, "site-b").await);
    let mut ids = Vec::new();
    for j in [
        job(EXTRACT, &a, "a1", 30),
        job(EXTRACT, &a, "a2", 20),
        job(EXTRACT, &b, "b1", 10),
        job(WRITEBACK, &a, "wa", 40),
    ] {
        ids.push(store.enqueue_job(&j).await.unwrap().unwrap());
    }
    // One claim takes one job per tenant, however many it may take; the short lane's kinds are not its business.
    assert_eq!(claim_long(store, "x", 10).await, vec!["a1", "b1"]);
    // Another worker finds site A busy.
    assert!(claim_long(store, "y", 10).await.is_empty());
    // The short lane takes what is not long, and never an extraction.
    let short = store
        .claim_jobs(
            "y",
            Duration::from_secs(60),
            10,
            ClaimScope::Except(&[EXTRACT]),
        )
        .await
        .unwrap();
    assert_eq!(short.iter().map(name_of).collect::<Vec<_>>(), vec!["wa"]);
    // When a1 ends, a2 may start, on any worker.
    assert!(
        store
            .finish_job(&ids[0], "x", 1, Utc::now(), &Finish::Done)
            .await
            .unwrap()
    );
    assert_eq!(claim_long(store, "y", 10).await, vec!["a2"]);

    // Many workers claiming site C's extractions at the same moment start one of them.
    let c = tenant(&app, "site-c").await;
    for i in 0..6 {
        store
            .enqueue_job(&job(EXTRACT, &c, &format!("c{i}"), 0))
            .await
            .unwrap();
    }
    let other = Store::connect(&app.database_url).await.unwrap();
    let mut claims = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        claims.spawn(async move { claim_long(&store, &format!("racer-{i}"), 1).await });
    }
    let claimed: Vec<String> = claims.join_all().await.into_iter().flatten().collect();
    assert_eq!(claimed.len(), 1, "one of site C's extractions: {claimed:?}");
    other.close().await;
    app.cleanup().await;
}

/// Claims of this database's sessions that wait for a lock.
async fn waiting(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// PostgreSQL only (SQLite lets one writer in at a time). Worker X's claim picks site A's a2 and waits for its row;
/// meanwhile a more urgent a0 is queued and worker Y claims. Had Y not waited for X's claim to end, it would have
/// seen site A idle and started a0 beside a2.
async fn concurrent_claims_wait_for_each_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let a = tenant(&app, "site-a").await;
    let a2 = store
        .enqueue_job(&job(EXTRACT, &a, "a2", 20))
        .await
        .unwrap()
        .unwrap();
    let mut watcher = PgConnection::connect(&app.database_url).await.unwrap();
    let mut holder = PgConnection::connect(&app.database_url).await.unwrap();
    let mut held = holder.begin().await.unwrap();
    sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind(&a2)
        .fetch_all(&mut *held)
        .await
        .unwrap();
    let claim = |worker: &'static str| {
        let store = store.clone();
        tokio::spawn(async move { claim_long(&store, worker, 10).await })
    };
    let x = claim("x");
    let mut guard = 0;
    while waiting(&mut watcher).await < 1 {
        guard += 1;
        assert!(guard < 1500, "worker X's claim never reached site A's job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store
        .enqueue_job(&NewJob {
            priority: 10,
            ..job(EXTRACT, &a, "a0", 0)
        })
        .await
        .unwrap();
    let y = claim("y");
    while !y.is_finished() && waiting(&mut watcher).await < 2 {
        guard += 1;
        assert!(guard < 3000, "worker Y's claim neither ended nor waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    held.commit().await.unwrap();
    let (x, y) = (x.await.unwrap(), y.await.unwrap());
    assert_eq!(
        (x.len() + y.len(), &x),
        (1, &vec!["a2".to_string()]),
        "one of site A's extractions runs: X {x:?}, Y {y:?}"
    );
    watcher.close().await.unwrap();
    holder.close().await.unwrap();
    app.cleanup().await;
}
