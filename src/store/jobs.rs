//! The `jobs` and `job_attempts` tables: enqueue (deduplicated, optionally ordered), finish (done, retry, wait or
//! dead), extend, re-run; claiming is in `job_claim`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{QueryContext, Result, Store, StoreError, with_pool};

/// The `jobs` columns a [`JobRow`] reads, in order.
macro_rules! job_columns {
    () => {
        "id, tenant_id, kind, payload, dedupe_key, state, priority, run_at, attempts, max_attempts, locked_by, \
         locked_until, last_error, created_at, updated_at, finished_at, order_key, order_seq, waits, waiting_since, \
         waiting_on"
    };
}
pub(super) use job_columns;

/// The enqueue statement for a [`NewJob`], bound and ready to execute on any pool or transaction (a macro because
/// the query type differs per database). Deduplicated jobs insert nothing (`ON CONFLICT DO NOTHING`).
macro_rules! insert_job {
    ($id:expr, $job:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, priority, run_at, attempts, \
             max_attempts, created_at, updated_at, order_key, order_seq) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, $8, $9, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind($id)
        .bind(&$job.tenant_id)
        .bind(&$job.kind)
        .bind($job.payload.to_string())
        .bind(&$job.dedupe_key)
        .bind($job.priority)
        .bind($job.run_at)
        .bind($job.max_attempts)
        .bind($now)
        .bind($job.order.as_ref().map(|o| o.key.as_str()))
        .bind($job.order.as_ref().map(|o| o.seq))
    };
}
pub(super) use insert_job;

/// [`insert_job!`] for many jobs at once (SQLite): `$1` is a JSON array of objects with the [`NewJob`] fields and an
/// `id` (`payload` as JSON text, `run_at` as sqlx encodes timestamps), `$2` the creation time.
pub(super) const INSERT_JOBS_JSON: &str = "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, \
     priority, run_at, attempts, max_attempts, created_at, updated_at, order_key, order_seq) \
     SELECT j.value ->> 'id', j.value ->> 'tenant_id', j.value ->> 'kind', j.value ->> 'payload', \
     j.value ->> 'dedupe_key', 'queued', j.value ->> 'priority', j.value ->> 'run_at', 0, j.value ->> 'max_attempts', \
     $2, $2, j.value ->> 'order_key', j.value ->> 'order_seq' FROM json_each($1) AS j WHERE true ORDER BY j.key \
     ON CONFLICT DO NOTHING";

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Handler name.
    pub kind: String,
    /// Owning tenant, if any.
    pub tenant_id: Option<String>,
    /// Ids the handler needs (JSON).
    pub payload: serde_json::Value,
    /// At most one queued job per `(kind, dedupe_key)` (a running one does not count).
    pub dedupe_key: Option<String>,
    /// Higher runs first.
    pub priority: i32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Tries before the job is dead (a claim that ended waiting on a rate limit is not a try).
    pub max_attempts: i32,
    /// Runs after the jobs of its order key with a lower number, if set.
    pub order: Option<JobOrder>,
}

/// Jobs that must run one after another: of the jobs sharing `key`, one runs only when none with a lower `seq` is
/// queued or running (a dead one no longer holds the others back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOrder {
    /// What the jobs share, e.g. one request's Jira write-backs.
    pub key: String,
    /// Place in that order, e.g. the audit event's number.
    pub seq: i64,
}

/// Who asked a job to wait (HTTP 429).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitingOn {
    /// Jira's rate limit.
    Jira,
    /// Slack's rate limit.
    Slack,
}

impl WaitingOn {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Jira => "jira",
            Self::Slack => "slack",
        }
    }

    /// The service's name for people.
    pub const fn service(self) -> &'static str {
        match self {
            Self::Jira => "Jira",
            Self::Slack => "Slack",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "jira" => Some(Self::Jira),
            "slack" => Some(Self::Slack),
            _ => None,
        }
    }
}

/// A stored job.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct JobRow {
    /// Job id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: Option<String>,
    /// Handler name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Deduplication key.
    pub dedupe_key: Option<String>,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    /// Priority.
    pub priority: i32,
    /// Due time.
    pub run_at: DateTime<Utc>,
    /// Claims so far (the current one included while running).
    pub attempts: i32,
    /// Limit of attempts.
    pub max_attempts: i32,
    /// Worker holding the lease.
    pub locked_by: Option<String>,
    /// Lease expiry.
    pub locked_until: Option<DateTime<Utc>>,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Done or dead at.
    pub finished_at: Option<DateTime<Utc>>,
    /// Order key ([`JobOrder::key`]).
    pub order_key: Option<String>,
    /// Place in its order ([`JobOrder::seq`]).
    pub order_seq: Option<i64>,
    /// Claims that ended waiting on a rate limit (not tries).
    pub waits: i32,
    /// Start of the current run of waits (cleared by any other outcome).
    pub waiting_since: Option<DateTime<Utc>>,
    /// Who asked for the current wait (`jira` or `slack`).
    pub waiting_on: Option<String>,
}

impl JobRow {
    /// Tries so far, the current one included while running: claims, less those that ended waiting on a rate limit.
    pub fn tries(&self) -> i32 {
        self.attempts - self.waits
    }

    /// Whether this is the job's last try.
    pub fn last_try(&self) -> bool {
        self.tries() >= self.max_attempts
    }

    /// Whether the job has been waiting on rate limits, without a try in between, for `budget` or longer by `now`.
    pub fn waited_out(&self, budget: std::time::Duration, now: DateTime<Utc>) -> bool {
        self.waiting_since
            .is_some_and(|since| (now - since).to_std().unwrap_or_default() >= budget)
    }

    /// Who the job is waiting on, if its last claim ended in a wait.
    pub fn waiting_on(&self) -> Option<WaitingOn> {
        self.waiting_on.as_deref().and_then(WaitingOn::parse)
    }
}

/// One recorded try.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AttemptRow {
    /// Attempt number (1-based).
    pub attempt: i32,
    /// Worker that ran it.
    pub worker: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// `done`, `retry`, `wait`, `dead` or `lease_lost`.
    pub outcome: String,
    /// Error message, if it failed.
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Completed.
    Done,
    /// Failed; run again at the given time.
    Retry {
        /// Next run.
        at: DateTime<Utc>,
        /// What went wrong.
        error: String,
    },
    /// Asked to wait (a rate limit): run again at the given time without using up a try.
    Wait {
        /// Next run.
        at: DateTime<Utc>,
        /// Who asked.
        on: WaitingOn,
        /// What they said.
        error: String,
    },
    /// Failed for good (or out of attempts); kept for admins to inspect and re-run.
    Dead {
        /// What went wrong.
        error: String,
    },
}

impl Store {
    /// Enqueue a job. Returns its id, or `None` when an equal `(kind, dedupe_key)` job is already queued.
    pub async fn enqueue_job(&self, job: &NewJob) -> Result<Option<String>> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        let n = with_pool!(self, pool => insert_job!(&id, job, now)
            .execute(pool)
            .await
            .op("enqueueing a job").map(|r| r.rows_affected()))?;
        Ok((n == 1).then_some(id))
    }
}

impl super::Tx {
    /// Queue a dead job again with a fresh set of attempts (only a job of `tenant_id`, when given). False if there is
    /// no such dead job.
    pub async fn rerun_job(&mut self, tenant_id: Option<&str>, id: &str) -> Result<bool> {
        let now = Utc::now();
        let sql = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, updated_at = $2, finished_at = NULL \
                   WHERE id = $1 AND state = 'dead' AND ($3 IS NULL OR tenant_id = $3)";
        let n = super::with_tx!(self, c => sqlx::query(sql).bind(id).bind(now).bind(tenant_id)
            .execute(&mut *c).await.op("re-running a job").map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Enqueue a job inside the transaction (it exists only if the transaction commits). Returns the new job's id, or
    /// `None` when an identical job is already queued.
    pub async fn enqueue_job(&mut self, job: &NewJob) -> Result<Option<String>> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        let n = super::with_tx!(self, c => insert_job!(&id, job, now)
            .execute(&mut *c)
            .await
            .op("enqueueing a job").map(|r| r.rows_affected()))?;
        Ok((n == 1).then_some(id))
    }
}

impl Store {
    /// Extend `worker`'s lease on a running job. False if the lease was lost to another worker.
    pub async fn extend_job_lease(&self, id: &str, worker: &str, lease: Duration) -> Result<bool> {
        let until =
            Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let sql = "UPDATE jobs SET locked_until = $3 WHERE id = $1 AND locked_by = $2 AND state = 'running'";
        let n = with_pool!(self, pool => sqlx::query(sql).bind(id).bind(worker).bind(until).execute(pool).await
            .op("extending a job lease").map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Record the end of `worker`'s attempt `attempt` (started at `started`) and move the job on. Returns false, and
    /// records `lease_lost`, if the job is no longer this worker's (its lease expired and another worker claimed it).
    pub async fn finish_job(
        &self,
        id: &str,
        worker: &str,
        attempt: i32,
        started: DateTime<Utc>,
        finish: &Finish,
    ) -> Result<bool> {
        let now = Utc::now();
        let (state, run_at, error, outcome) = match finish {
            Finish::Done => ("done", None, None, "done"),
            Finish::Retry { at, error } => ("queued", Some(*at), Some(error.as_str()), "retry"),
            Finish::Wait { at, error, .. } => ("queued", Some(*at), Some(error.as_str()), "wait"),
            Finish::Dead { error } => ("dead", None, Some(error.as_str()), "dead"),
        };
        // A wait is not a try, and starts (or continues) the run of waits its budget bounds; anything else ends it.
        let (waited, waiting_on) = match finish {
            Finish::Wait { on, .. } => (1_i32, Some(on.as_str())),
            _ => (0, None),
        };
        let finished_at = matches!(finish, Finish::Done | Finish::Dead { .. }).then_some(now);
        let update = "UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = COALESCE($5, last_error), \
                      locked_by = NULL, locked_until = NULL, updated_at = $6, finished_at = $7, waits = waits + $8, \
                      waiting_since = CASE WHEN $8 = 1 THEN COALESCE(waiting_since, $6) END, waiting_on = $9 \
                      WHERE id = $1 AND locked_by = $2 AND state = 'running'";
        let record = "INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.op("starting to finish a job")?;
            let mut n = match sqlx::query(update)
                .bind(id).bind(worker).bind(state).bind(run_at).bind(error).bind(now).bind(finished_at)
                .bind(waited).bind(waiting_on)
                .execute(&mut *tx).await
            {
                Ok(r) => r.rows_affected(),
                // A retry would make two queued twins: the newer queued one covers this work, so this one ends.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => 0,
                Err(e) => return Err(StoreError::Query { op: "finishing a job", source: e }),
            };
            let superseded = n == 0 && matches!(finish, Finish::Retry { .. } | Finish::Wait { .. });
            if superseded {
                tx.rollback().await.op("rolling back a superseded retry")?;
                tx = pool.begin().await.op("starting to finish a superseded job")?;
                n = sqlx::query(update)
                    .bind(id).bind(worker).bind("done").bind(None::<DateTime<Utc>>)
                    .bind(error.map(|e| format!("{e} (superseded by a newer queued run)"))).bind(now).bind(now)
                    .bind(0_i32).bind(None::<&str>)
                    .execute(&mut *tx).await.op("finishing a superseded job")?.rows_affected();
            }
            let outcome = if n == 1 { outcome } else { "lease_lost" };
            sqlx::query(record)
                .bind(id).bind(attempt).bind(worker).bind(started).bind(now).bind(outcome).bind(error)
                .execute(&mut *tx).await.op("recording a job attempt")?;
            tx.commit().await.op("committing a job's end")?;
            Ok(n == 1)
        })
    }

    /// Make a tenant's queued jobs of `kind` due now (something they wait for was fixed, e.g. a Slack mapping).
    /// Returns how many.
    pub async fn wake_jobs(&self, tenant_id: &str, kind: &str) -> Result<u64> {
        let sql = "UPDATE jobs SET run_at = $3, updated_at = $3 WHERE tenant_id = $1 AND kind = $2 AND state = 'queued' \
                   AND run_at > $3";
        with_pool!(self, pool => sqlx::query(sql).bind(tenant_id).bind(kind).bind(Utc::now())
            .execute(pool).await.op("waking jobs").map(|r| r.rows_affected()))
    }

    /// Queue a dead job again with a fresh set of attempts. False if it is not dead.
    pub async fn rerun_job(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = tx.rerun_job(None, id).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// A tenant's jobs in `state`, most recently changed first.
    pub async fn tenant_jobs(
        &self,
        tenant_id: &str,
        state: &str,
        limit: i64,
    ) -> Result<Vec<JobRow>> {
        let sql = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE tenant_id = $1 AND state = $2 ORDER BY updated_at DESC, id LIMIT $3"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(state).bind(limit).fetch_all(pool).await
            .op("listing a tenant's jobs"))
    }

    /// A request's queued jobs that wait on a rate limit, soonest first: those whose deduplication key starts with
    /// the request's id (its extraction, write-backs and notices) or equals `delivery_id` (its delivery's jobs).
    pub async fn waiting_jobs(
        &self,
        tenant_id: &str,
        request_id: &str,
        delivery_id: Option<&str>,
    ) -> Result<Vec<JobRow>> {
        let sql = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE tenant_id = $1 AND state = 'queued' AND waiting_since IS NOT NULL \
             AND (substr(dedupe_key, 1, length($2)) = $2 OR dedupe_key = $3) ORDER BY run_at, id LIMIT 20"
        );
        let prefix = format!("{request_id}:");
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(&prefix).bind(delivery_id)
            .fetch_all(pool).await.op("listing a request's waiting jobs"))
    }

    /// A job by id.
    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        let sql = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1");
        with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await.op("reading a job"))
    }

    /// Every attempt at a job, in order.
    pub async fn job_attempts(&self, id: &str) -> Result<Vec<AttemptRow>> {
        let sql = "SELECT attempt, worker, started_at, finished_at, outcome, error FROM job_attempts \
                   WHERE job_id = $1 ORDER BY finished_at, attempt";
        with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await.op("reading job attempts"))
    }

    /// Jobs per state, e.g. `[("done", 12), ("queued", 3)]`.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state";
        with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await.op("counting jobs"))
    }
}
