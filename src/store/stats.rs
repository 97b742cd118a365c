//! Counts for `/metrics`, read at scrape time: the job queue and requests by state.

use chrono::{DateTime, Utc};

use super::{QueryContext, Result, Store, with_pool};

/// The job queue as Prometheus sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueStats {
    /// Jobs queued and due now.
    pub due: i64,
    /// When the oldest due job became due.
    pub oldest_due: Option<DateTime<Utc>>,
    /// Jobs running under a lease.
    pub running: i64,
    /// Jobs that gave up (admins can re-run them).
    pub dead: i64,
}

impl Store {
    /// Queue depth, age and dead jobs, across tenants.
    pub async fn queue_stats(&self) -> Result<QueueStats> {
        let now = Utc::now();
        let sql = "SELECT COUNT(*), MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1";
        let (due, oldest_due): (i64, Option<DateTime<Utc>>) = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(now).fetch_one(pool).await.op("measuring the job queue"))?;
        let sql =
            "SELECT state, COUNT(*) FROM jobs WHERE state IN ('running', 'dead') GROUP BY state";
        let by_state: Vec<(String, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .fetch_all(pool).await.op("measuring the job queue"))?;
        let count = |s: &str| {
            by_state
                .iter()
                .find(|(st, _)| st == s)
                .map_or(0, |(_, n)| *n)
        };
        Ok(QueueStats {
            due,
            oldest_due,
            running: count("running"),
            dead: count("dead"),
        })
    }

    /// Requests per state, across tenants.
    pub async fn request_counts(&self) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state";
        with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await.op("counting requests"))
    }
}
