//! The `jobs` and `job_attempts` tables: enqueue (deduplicated), claim with a lease, finish, extend, re-run.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{QueryContext, Result, Store, StoreError, with_pool};

macro_rules! job_columns {
    () => {
        "id, tenant_id, kind, payload, dedupe_key, state, priority, run_at, attempts, max_attempts, locked_by, \
         locked_until, last_error, created_at, updated_at, finished_at"
    };
}

/// The enqueue statement for a [`NewJob`], bound and ready to execute on any pool or transaction (a macro because
/// the query type differs per database). Deduplicated jobs insert nothing (`ON CONFLICT DO NOTHING`).
macro_rules! insert_job {
    ($id:expr, $job:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, priority, run_at, attempts, \
             max_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, $8, $9, $9) \
             ON CONFLICT DO NOTHING",
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
    };
}
pub(super) use insert_job;

/// [`insert_job!`] for many jobs at once (SQLite): `$1` is a JSON array of objects with the [`NewJob`] fields and an
/// `id` (`payload` as JSON text, `run_at` as sqlx encodes timestamps), `$2` the creation time.
pub(super) const INSERT_JOBS_JSON: &str = "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, \
     priority, run_at, attempts, max_attempts, created_at, updated_at) \
     SELECT j.value ->> 'id', j.value ->> 'tenant_id', j.value ->> 'kind', j.value ->> 'payload', \
     j.value ->> 'dedupe_key', 'queued', j.value ->> 'priority', j.value ->> 'run_at', 0, j.value ->> 'max_attempts', \
     $2, $2 FROM json_each($1) AS j WHERE true ORDER BY j.key ON CONFLICT DO NOTHING";

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
    /// Tries before the job is dead.
    pub max_attempts: i32,
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
    /// `done`, `retry`, `dead` or `lease_lost`.
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

/// Which jobs one claim may take: the runner's lanes in the store's terms (job kinds by name).
#[derive(Clone, Copy, Debug)]
pub enum ClaimScope<'a> {
    /// Jobs of any kind but these.
    Except(&'a [&'a str]),
    /// Jobs of these kinds only, and only for a tenant with fewer than `per_tenant` of them running (leased, the
    /// lease not expired) in all workers together; jobs without a tenant count as one tenant.
    Only {
        /// Kind names.
        kinds: &'a [&'a str],
        /// Jobs of these kinds one tenant may have running at once.
        per_tenant: u32,
    },
}

/// The PostgreSQL advisory lock that makes per-tenant claims one at a time across workers: without it two workers
/// could each see a tenant with no running job and both start one.
const PER_TENANT_CLAIM_LOCK: i64 = 0x636c_6561_7261_6e63; // "clearanc"

impl Store {
    /// Claim up to `limit` due jobs in `scope` (queued and due, or running with an expired lease) for `worker` for
    /// `lease`. On PostgreSQL concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`) and per-tenant
    /// claims take turns (an advisory lock held until commit); SQLite serialises writers.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        lease: Duration,
        limit: i64,
        scope: ClaimScope<'_>,
    ) -> Result<Vec<JobRow>> {
        if limit <= 0 || matches!(scope, ClaimScope::Only { kinds: [], .. }) {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let mut tx = self.begin().await?;
        if let (super::Tx::Postgres(c), ClaimScope::Only { .. }) = (&mut tx, scope) {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PER_TENANT_CLAIM_LOCK)
                .execute(&mut **c)
                .await
                .op("waiting for another worker's claim")?;
        }
        // The attempt whose worker stopped renewing its lease (crashed, killed, cut off) ends in the history.
        let lost = "INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error) \
                    SELECT id, attempts, COALESCE(locked_by, 'unknown'), updated_at, $1, 'lease_lost', \
                    'the worker stopped renewing its lease (crashed or cut off); the job was taken over' \
                    FROM jobs WHERE state = 'running' AND locked_until < $1 ON CONFLICT DO NOTHING";
        let claim = claim_sql(scope, matches!(tx, super::Tx::Postgres(_)));
        let (kinds, per_tenant) = match scope {
            ClaimScope::Except(kinds) => (kinds, None),
            ClaimScope::Only { kinds, per_tenant } => (kinds, Some(i64::from(per_tenant))),
        };
        let rows: Vec<JobRow> = super::with_tx!(&mut tx, c => {
            sqlx::query(lost).bind(now).execute(&mut *c).await.op("recording abandoned job attempts")?;
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(worker)
                .bind(until)
                .bind(now)
                .bind(limit);
            if let Some(n) = per_tenant {
                q = q.bind(n);
            }
            for kind in kinds {
                q = q.bind(*kind);
            }
            q.fetch_all(&mut *c).await.op("claiming jobs")?
        });
        tx.commit().await?;
        Ok(rows)
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
            Finish::Dead { error } => ("dead", None, Some(error.as_str()), "dead"),
        };
        let finished_at = matches!(finish, Finish::Done | Finish::Dead { .. }).then_some(now);
        let update = "UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = COALESCE($5, last_error), \
                      locked_by = NULL, locked_until = NULL, updated_at = $6, finished_at = $7 \
                      WHERE id = $1 AND locked_by = $2 AND state = 'running'";
        let record = "INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.op("starting to finish a job")?;
            let mut n = match sqlx::query(update)
                .bind(id).bind(worker).bind(state).bind(run_at).bind(error).bind(now).bind(finished_at)
                .execute(&mut *tx).await
            {
                Ok(r) => r.rows_affected(),
                // A retry would make two queued twins: the newer queued one covers this work, so this one ends.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => 0,
                Err(e) => return Err(StoreError::Query { op: "finishing a job", source: e }),
            };
            let superseded = n == 0 && matches!(finish, Finish::Retry { .. });
            if superseded {
                tx.rollback().await.op("rolling back a superseded retry")?;
                tx = pool.begin().await.op("starting to finish a superseded job")?;
                n = sqlx::query(update)
                    .bind(id).bind(worker).bind("done").bind(None::<DateTime<Utc>>)
                    .bind(error.map(|e| format!("{e} (superseded by a newer queued run)"))).bind(now).bind(now)
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

/// Due (`queued` and `run_at` passed) or abandoned (`running` on an expired lease), with `$3` the time now; `col`
/// qualifies the columns (`""` or `"j."`).
fn claimable(col: &str) -> String {
    format!(
        "(({col}state = 'queued' AND {col}run_at <= $3) OR ({col}state = 'running' AND {col}locked_until < $3))"
    )
}

/// The claim statement for `scope`: `$1` worker, `$2` lease end, `$3` now, `$4` limit, then `$5` the per-tenant
/// limit (`Only`), then the kinds. The update checks again that each row is claimable: on PostgreSQL a row that
/// changed while the statement waited for it (its late worker finished it) is re-checked, not claimed blindly.
fn claim_sql(scope: ClaimScope<'_>, postgres: bool) -> String {
    let pick = match scope {
        ClaimScope::Except(kinds) => {
            let except = if kinds.is_empty() {
                String::new()
            } else {
                format!(" AND kind NOT IN ({})", placeholders(5, kinds.len()))
            };
            let skip_locked = if postgres {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            };
            format!(
                "SELECT id FROM jobs WHERE {}{except} ORDER BY priority DESC, run_at LIMIT $4{skip_locked}",
                claimable("")
            )
        }
        // Each candidate's place among its tenant's candidates, plus what the tenant already runs, must stay within
        // the limit: one claim never takes more of a tenant's jobs than the limit leaves room for.
        ClaimScope::Only { kinds, .. } => {
            let kinds = placeholders(6, kinds.len());
            format!(
                "SELECT id FROM (SELECT j.id, j.priority, j.run_at, \
                 ROW_NUMBER() OVER (PARTITION BY COALESCE(j.tenant_id, '') ORDER BY j.priority DESC, j.run_at, j.id) \
                 AS place, (SELECT COUNT(*) FROM jobs r WHERE COALESCE(r.tenant_id, '') = COALESCE(j.tenant_id, '') \
                 AND r.state = 'running' AND r.locked_until >= $3 AND r.kind IN ({kinds})) AS busy \
                 FROM jobs j WHERE {} AND j.kind IN ({kinds})) c \
                 WHERE c.place + c.busy <= $5 ORDER BY c.priority DESC, c.run_at LIMIT $4",
                claimable("j.")
            )
        }
    };
    format!(
        concat!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE {} AND id IN ({}) RETURNING ",
            job_columns!()
        ),
        claimable(""),
        pick
    )
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
