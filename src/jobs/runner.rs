//! The worker loop: claim due jobs with a lease, run each with a heartbeat that extends the lease and a timeout,
//! record the attempt, retry with backoff or mark dead; on shutdown stop claiming and let in-flight jobs finish.
//!
//! Jobs run in lanes ([`Lane`]), each with its own slots: whenever a job ends, its lane claims as many as it has free
//! slots (and every lane does at each poll), so a long extraction of one site holds one long slot and nothing else.

use std::{collections::HashMap, sync::Arc, time::Duration};

use crate::metrics::Metrics;

use chrono::Utc;
use tokio::{sync::watch, task::JoinSet};
use tracing::Instrument;

use super::{
    Backoff, DEFAULT_WAIT_BUDGET, Handler, JobError, JobFuture, Lane, LaneSlots, RunJob,
    lane::slots_of,
};
use crate::store::{ClaimScope, Finish, JobRow, Store};

/// How a runner claims and runs jobs.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// This worker's name in leases (unique per process).
    pub worker_id: String,
    /// Lease per claim; a heartbeat extends it every third of it while the job runs.
    pub lease: Duration,
    /// How often every lane looks for due jobs (a lane also looks whenever one of its jobs ends).
    pub poll: Duration,
    /// Jobs run at once per lane, and long jobs per tenant.
    pub slots: LaneSlots,
    /// Longest a single attempt may run.
    pub job_timeout: Duration,
    /// Retry delays.
    pub backoff: Backoff,
    /// How long a job may keep waiting on rate limits (Jira's or Slack's 429s, no try in between) before it is dead.
    pub wait_budget: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            slots: LaneSlots::default(),
            job_timeout: Duration::from_secs(30 * 60),
            backoff: Backoff::default(),
            wait_budget: DEFAULT_WAIT_BUDGET,
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "clearance".into())
}

/// Runs registered handlers for claimed jobs.
pub struct Runner<C> {
    store: Store,
    ctx: C,
    handlers: HashMap<String, Handler<C>>,
    cfg: RunnerConfig,
    metrics: Option<Arc<Metrics>>,
    /// Names of the long lane's kinds (the short lane takes every other kind).
    long_kinds: Vec<&'static str>,
}

/// The jobs running in each lane of one worker.
#[derive(Default)]
struct InFlight {
    short: JoinSet<()>,
    long: JoinSet<()>,
}

impl InFlight {
    fn lane(&mut self, lane: Lane) -> &mut JoinSet<()> {
        match lane {
            Lane::Short => &mut self.short,
            Lane::Long => &mut self.long,
        }
    }

    /// Wait for every job to end.
    async fn drain(&mut self) {
        for lane in Lane::ALL {
            while let Some(res) = self.lane(lane).join_next().await {
                report(res);
            }
        }
    }
}

/// Log a job task that did not end normally (the attempt itself records how the job ended).
fn report(res: Result<(), tokio::task::JoinError>) {
    if let Err(e) = res {
        tracing::error!(error = %e, "job supervisor task failed");
    }
}

impl<C: Clone + Send + Sync + 'static> Runner<C> {
    /// A runner over `store` passing `ctx` to handlers.
    pub fn new(store: Store, ctx: C, cfg: RunnerConfig) -> Self {
        if cfg.lease < Duration::from_secs(2) {
            tracing::warn!(?cfg.lease, "job lease is under 2 s; a busy worker's heartbeat may not keep up");
        }
        Self {
            store,
            ctx,
            handlers: HashMap::new(),
            cfg,
            metrics: None,
            long_kinds: Lane::Long.kinds(),
        }
    }

    /// Count attempts by kind and outcome in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Register the handler for `kind` (its lane is [`Lane::of`] the kind).
    pub fn register<F, Fut>(&mut self, kind: &str, f: F)
    where
        F: Fn(C, JobRow) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let h: Handler<C> = Arc::new(move |ctx, job| -> JobFuture { Box::pin(f(ctx, job)) });
        self.handlers.insert(kind.to_owned(), h);
    }

    /// Register `J`'s handler: each claimed job of its kind has its payload decoded into `J` (a payload that does not
    /// decode is permanent) and is run by [`RunJob::run`].
    pub fn register_job<J: RunJob<C>>(&mut self) {
        self.register(J::KIND.name(), |ctx, row| async move {
            let payload: J = super::payload(&row)?;
            payload.run(ctx, row).await
        });
    }

    /// Claim what is due in every lane, up to its slots, and run it to the end. Returns how many were claimed, or
    /// the first lane's claim that failed (once what the other lane claimed has run).
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let mut running = InFlight::default();
        let (mut claimed, mut failed) = (0, None);
        for lane in Lane::ALL {
            match self.fill(lane, &mut running).await {
                Ok(n) => claimed += n,
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        running.drain().await;
        failed.map_or(Ok(claimed), Err)
    }

    /// Claim and run jobs until `shutdown` turns true, then stop claiming and let the jobs in flight finish.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut running = InFlight::default();
        let mut poll = tokio::time::interval(self.cfg.poll);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut due: &[Lane] = &Lane::ALL;
        loop {
            if *shutdown.borrow() {
                break;
            }
            for lane in due {
                if let Err(e) = self.fill(*lane, &mut running).await {
                    tracing::error!(error = %format!("{e:#}"), ?lane, "claiming jobs failed");
                }
            }
            // A lane looks for work again when one of its slots frees; every lane does at each poll.
            due = tokio::select! {
                Some(res) = running.short.join_next() => { report(res); &[Lane::Short] }
                Some(res) = running.long.join_next() => { report(res); &[Lane::Long] }
                _ = poll.tick() => &Lane::ALL,
                changed = shutdown.changed() => {
                    // The sender is gone: nobody can ask us to stop any more, so stop now.
                    if changed.is_err() {
                        break;
                    }
                    &[]
                }
            };
        }
        running.drain().await;
        tracing::info!(worker = %self.cfg.worker_id, "job runner stopped");
    }

    /// Claim as many due jobs of `lane` as it has free slots and start them. Returns how many were claimed.
    async fn fill(&self, lane: Lane, running: &mut InFlight) -> anyhow::Result<usize> {
        let set = running.lane(lane);
        let free = slots_of(&self.cfg.slots, lane).saturating_sub(set.len());
        if free == 0 {
            return Ok(0);
        }
        let scope = match lane {
            Lane::Short => ClaimScope::Except(&self.long_kinds),
            Lane::Long => ClaimScope::Only {
                kinds: &self.long_kinds,
                per_tenant: self.cfg.slots.long_per_tenant.get(),
            },
        };
        let limit = i64::try_from(free).unwrap_or(i64::MAX);
        let jobs = self
            .store
            .claim_jobs(&self.cfg.worker_id, self.cfg.lease, limit, scope)
            .await?;
        let n = jobs.len();
        for job in jobs {
            set.spawn(self.attempt(lane, job));
        }
        Ok(n)
    }

    /// Run one claimed job and record how it ended.
    fn attempt(
        &self,
        lane: Lane,
        job: JobRow,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let store = self.store.clone();
        let ctx = self.ctx.clone();
        let handler = self.handlers.get(&job.kind).cloned();
        let cfg = self.cfg.clone();
        let metrics = self.metrics.clone();
        let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind, ?lane, attempt = job.attempts);
        async move {
            let started = Utc::now();
            let finish = if job.tries() > job.max_attempts {
                Finish::Dead { error: format!("gave up after {} attempts (the last ones never finished)", job.max_attempts) }
            } else if let Some(handler) = handler {
                let outcome = run_with_heartbeat(&store, &cfg, &job, handler(ctx, job.clone())).await;
                decide(&cfg, &job, outcome, Utc::now())
            } else {
                Finish::Dead { error: format!("no handler for job kind {:?}", job.kind) }
            };
            if let Some(m) = &metrics {
                let outcome = match finish {
                    Finish::Done => "done",
                    Finish::Retry { .. } => "retry",
                    Finish::Wait { .. } => "wait",
                    Finish::Dead { .. } => "dead",
                };
                m.job(&job.kind, outcome);
            }
            match store.finish_job(&job.id, &cfg.worker_id, job.attempts, started, &finish).await {
                Ok(true) => tracing::debug!(job.id = %job.id, ?finish, "job attempt recorded"),
                Ok(false) => tracing::warn!(job.id = %job.id, "lease lost: another worker took this job over"),
                Err(e) => tracing::error!(job.id = %job.id, error = %e, "cannot record the job's end; its lease will expire"),
            }
        }
        .instrument(span)
    }
}

/// Run the handler in its own task (a panic becomes a failure), extending the lease while it runs.
async fn run_with_heartbeat(
    store: &Store,
    cfg: &RunnerConfig,
    job: &JobRow,
    fut: JobFuture,
) -> Result<(), JobError> {
    let mut task = tokio::spawn(tokio::time::timeout(cfg.job_timeout, fut));
    let beat = cfg.lease / 3;
    loop {
        tokio::select! {
            res = &mut task => {
                return match res {
                    Ok(Ok(r)) => r,
                    Ok(Err(_)) => Err(JobError::Retry { error: format!("timed out after {:?}", cfg.job_timeout), after: None }),
                    Err(e) if e.is_panic() => Err(JobError::Retry { error: "the job panicked".into(), after: None }),
                    Err(e) => Err(JobError::Retry { error: format!("the job was cancelled: {e}"), after: None }),
                };
            }
            _ = tokio::time::sleep(beat) => {
                match store.extend_job_lease(&job.id, &cfg.worker_id, cfg.lease).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job.id = %job.id, "lease lost while running"),
                    Err(e) => tracing::warn!(job.id = %job.id, error = %e, "cannot extend the lease"),
                }
            }
        }
    }
}

/// Retry with backoff while tries remain, else dead; wait as asked while the wait budget lasts, else dead.
fn decide(
    cfg: &RunnerConfig,
    job: &JobRow,
    outcome: Result<(), JobError>,
    now: chrono::DateTime<Utc>,
) -> Finish {
    let later = |delay: Duration| {
        now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60))
    };
    match outcome {
        Ok(()) => Finish::Done,
        Err(JobError::Permanent(error)) => Finish::Dead { error },
        Err(JobError::Retry { error, .. }) if job.last_try() => Finish::Dead {
            error: format!("{error} (try {} of {})", job.tries(), job.max_attempts),
        },
        Err(JobError::Retry { error, after }) => Finish::Retry {
            at: later(cfg.backoff.delay(job.tries(), after)),
            error,
        },
        Err(e @ JobError::Wait { .. }) if job.waited_out(cfg.wait_budget, now) => Finish::Dead {
            error: format!(
                "{e}, and kept asking for {} minutes (the wait budget); run it again when the service is less busy",
                cfg.wait_budget.as_secs().div_ceil(60)
            ),
        },
        Err(e @ JobError::Wait { on, after }) => Finish::Wait {
            at: later(cfg.backoff.delay(job.waits + 1, after)),
            on,
            error: e.to_string(),
        },
    }
}
