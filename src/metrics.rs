//! Prometheus metrics (`GET /metrics`, OpenMetrics text): counters and histograms updated where things happen
//! (webhook intake, job runner, Jira and Slack clients), gauges read from the database at scrape time (queue depth
//! and age, dead jobs, requests by state). No tenant or person appears in a label.

use std::{sync::atomic::AtomicU64, time::Duration};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::{model::State, store::Store};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

type Latency = Family<CallLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms … ~10 s
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// Every metric Clearance exports, and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    webhooks: Family<Outcome, Counter>,
    jobs: Family<JobLabels, Counter>,
    jira: Latency,
    slack: Latency,
    queue_due: Gauge,
    queue_oldest_age: Gauge<f64, AtomicU64>,
    jobs_running: Gauge,
    jobs_dead: Gauge,
    requests: Family<StateLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry (one per app instance, so tests running several apps in one process stay apart).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("clearance");
        let webhooks = Family::<Outcome, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Jira webhook deliveries by outcome (accepted, duplicate, rejected)",
            webhooks.clone(),
        );
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_attempts",
            "Job attempts by kind and outcome (done, retry, dead)",
            jobs.clone(),
        );
        let jira: Latency = Family::new_with_constructor(latency_histogram);
        registry.register(
            "jira_request_duration_seconds",
            "Calls to Jira's REST API by method and status (error = no answer)",
            jira.clone(),
        );
        let slack: Latency = Family::new_with_constructor(latency_histogram);
        registry.register(
            "slack_request_duration_seconds",
            "Calls to Slack's Web API by method and status (error = no answer)",
            slack.clone(),
        );
        let queue_due = Gauge::default();
        registry.register(
            "job_queue_due",
            "Jobs queued and due now",
            queue_due.clone(),
        );
        let queue_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "job_queue_oldest_due_age_seconds",
            "How long the oldest due job has waited (0 when none is due)",
            queue_oldest_age.clone(),
        );
        let jobs_running = Gauge::default();
        registry.register(
            "jobs_running",
            "Jobs running under a lease",
            jobs_running.clone(),
        );
        let jobs_dead = Gauge::default();
        registry.register(
            "jobs_dead",
            "Jobs that gave up and wait for an admin",
            jobs_dead.clone(),
        );
        let requests = Family::<StateLabel, Gauge>::default();
        registry.register("requests", "Data requests by state", requests.clone());
        Self {
            registry,
            webhooks,
            jobs,
            jira,
            slack,
            queue_due,
            queue_oldest_age,
            jobs_running,
            jobs_dead,
            requests,
        }
    }

    /// Count a webhook delivery: `accepted`, `duplicate` or `rejected`.
    pub fn webhook(&self, outcome: &'static str) {
        self.webhooks.get_or_create(&Outcome { outcome }).inc();
    }

    /// Count a job attempt's end: `done`, `retry` or `dead`.
    pub fn job(&self, kind: &str, outcome: &'static str) {
        self.jobs
            .get_or_create(&JobLabels {
                kind: kind.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Record a Jira call (`status` `None` when no answer came).
    pub fn jira_call(&self, method: &str, status: Option<u16>, elapsed: Duration) {
        observe(&self.jira, method, status, elapsed);
    }

    /// Record a Slack call.
    pub fn slack_call(&self, method: &str, status: Option<u16>, elapsed: Duration) {
        observe(&self.slack, method, status, elapsed);
    }

    /// Refresh the gauges from the database and render everything.
    pub async fn render(&self, store: &Store) -> anyhow::Result<String> {
        let q = store.queue_stats().await?;
        self.queue_due.set(q.due);
        let age = q.oldest_due.map_or(0.0, |t| {
            (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
        });
        self.queue_oldest_age.set(age);
        self.jobs_running.set(q.running);
        self.jobs_dead.set(q.dead);
        let counts = store.request_counts().await?;
        for state in State::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == state.as_str())
                .map_or(0, |(_, n)| *n);
            self.requests
                .get_or_create(&StateLabel {
                    state: state.as_str(),
                })
                .set(n);
        }
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

fn observe(family: &Latency, method: &str, status: Option<u16>, elapsed: Duration) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    family
        .get_or_create(&CallLabels {
            method: method.to_owned(),
            status,
        })
        .observe(elapsed.as_secs_f64());
}
