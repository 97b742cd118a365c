//! Claiming jobs: which due jobs one claim may take (a lane's kinds, a tenant's limit, the order of jobs sharing an
//! order key), taken with a lease in one statement.

use std::time::Duration;

use chrono::Utc;

use super::{JobRow, QueryContext, Result, Store, jobs::job_columns};

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

/// Due (`queued` and `run_at` passed) or abandoned (`running` on an expired lease), with `$3` the time now, and
/// first in its order (no job of its order key with a lower number is queued or running); `table` names the row's
/// table or alias (`jobs` or `j`).
fn claimable(table: &str) -> String {
    format!(
        "(({table}.state = 'queued' AND {table}.run_at <= $3) OR ({table}.state = 'running' AND {table}.locked_until < $3)) \
         AND ({table}.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs e WHERE e.order_key = {table}.order_key \
         AND e.order_seq < {table}.order_seq AND e.state IN ('queued', 'running')))"
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
                claimable("jobs")
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
                claimable("j")
            )
        }
    };
    format!(
        concat!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE {} AND id IN ({}) RETURNING ",
            job_columns!()
        ),
        claimable("jobs"),
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
