//! The SQLite intake writer: one task owns one write connection and commits queued webhook deliveries in groups,
//! answering each sender only after the transaction holding its delivery has committed.
//!
//! SQLite admits one writer at a time. With every handler writing through the pool, connections race for that lock
//! and the losers sleep in `busy_timeout` back-off (tens to hundreds of milliseconds). Here handlers queue instead,
//! and everything queued while a batch commits goes into the next one, which shares one `BEGIN IMMEDIATE … COMMIT`
//! (one WAL append). Durability is unchanged: a sender hears "stored" only after its batch committed.
//!
//! The writer leaves WAL checkpoints to [`super::checkpoint`].

use std::collections::HashSet;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use sqlx::{
    ConnectOptions, Connection, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqlitePool},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    NewJob, QueryContext, Result, StoreError, WebhookEvent,
    checkpoint::Checkpoints,
    intake::{INSERT_EVENTS_JSON, insert_webhook},
    jobs::INSERT_JOBS_JSON,
};

/// Deliveries that may wait for the writer; senders beyond this wait for room (back-pressure, not refusal).
const QUEUE: usize = 4096;
/// Deliveries committed together at most. Bounds the transaction (and the lock it holds) to a few milliseconds.
const MAX_BATCH: usize = 256;

/// A delivery waiting for the writer.
struct Pending {
    ev: WebhookEvent,
    job: Option<NewJob>,
    reply: oneshot::Sender<Result<bool>>,
}

enum Msg {
    Write(Box<Pending>),
    /// Finish what is queued, close the connection, then answer.
    Close(oneshot::Sender<()>),
}

/// Handle to the SQLite intake writer task (cheap to clone; only the store uses it).
#[derive(Clone, Debug)]
pub struct IntakeWriter {
    tx: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Write(_) => "Write",
            Self::Close(_) => "Close",
        })
    }
}

/// The error a caller sees once the writer has been closed (as a closed pool answers).
fn closed(op: &'static str) -> StoreError {
    StoreError::Query {
        op,
        source: sqlx::Error::PoolClosed,
    }
}

impl IntakeWriter {
    /// Open the write connection and start the task, and its checkpointer on `pool`.
    pub(super) async fn start(opts: &SqliteConnectOptions, pool: SqlitePool) -> Result<Self> {
        let conn = opts
            .clone()
            .pragma("wal_autocheckpoint", "0")
            // When the writer starts the WAL over, the file is cut back to 64 MiB if it grew past that.
            .pragma("journal_size_limit", "67108864")
            .connect()
            .await
            .op("opening the SQLite intake writer")?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(conn, rx, Checkpoints::start(pool)));
        Ok(Self { tx })
    }

    /// Store a delivery (and its job when new); true when new. Returns after the commit.
    pub(super) async fn record(&self, ev: WebhookEvent, job: Option<NewJob>) -> Result<bool> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Msg::Write(Box::new(Pending { ev, job, reply })))
            .await
            .map_err(|_| closed("queueing a webhook delivery"))?;
        answer
            .await
            .map_err(|_| closed("waiting for the intake writer"))?
    }

    /// Write what is queued, then close the connection. Later deliveries are refused; closing twice is harmless.
    pub(super) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.tx.send(Msg::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Msg>, wal: Checkpoints) {
    let mut msgs = Vec::with_capacity(MAX_BATCH);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut closing = Vec::new();
    while closing.is_empty() && rx.recv_many(&mut msgs, MAX_BATCH).await > 0 {
        if msgs.iter().any(|m| matches!(m, Msg::Close(_))) {
            // Refuse new deliveries, but still write everything already queued.
            rx.close();
            while let Ok(m) = rx.try_recv() {
                msgs.push(m);
            }
        }
        wal.restart_if_due(&mut conn).await;
        for m in msgs.drain(..) {
            match m {
                Msg::Write(p) => batch.push(*p),
                Msg::Close(done) => closing.push(done),
            }
            if batch.len() == MAX_BATCH {
                commit(&mut conn, &mut batch).await;
            }
        }
        if !batch.is_empty() {
            commit(&mut conn, &mut batch).await;
        }
        wal.wrote();
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the SQLite intake writer");
    }
    for done in closing {
        let _ = done.send(());
    }
}

/// Commit `batch` in one transaction and answer every sender. If the transaction fails, each delivery is retried in a
/// transaction of its own, so one bad delivery fails alone and the others still get stored.
async fn commit(conn: &mut SqliteConnection, batch: &mut Vec<Pending>) {
    match write(conn, batch).await {
        Ok(fresh) => {
            for (p, fresh) in batch.drain(..).zip(fresh) {
                let _ = p.reply.send(Ok(fresh));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(p) = batch.pop() {
                let _ = p.reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, deliveries = batch.len(), "intake batch failed; storing its deliveries one by one");
            for p in batch.drain(..) {
                let one = write_one(conn, &p).await;
                let _ = p.reply.send(one);
            }
        }
    }
}

/// One transaction of two statements for the whole batch (each statement is a round trip to SQLite's thread, so
/// their number, not the rows, is what costs): which deliveries were new. A copy of a delivery earlier in the same
/// batch is a duplicate like any other.
async fn write(conn: &mut SqliteConnection, batch: &[Pending]) -> Result<Vec<bool>> {
    let now = Utc::now();
    let ids: Vec<String> = batch
        .iter()
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let events: Vec<Value> = batch
        .iter()
        .zip(&ids)
        .map(|(p, id)| {
            json!({
                "id": id, "tenant_id": p.ev.tenant_id, "identifier": p.ev.identifier, "event": p.ev.event,
                "issue_id": p.ev.issue_id, "retry": p.ev.retry, "body": p.ev.body,
            })
        })
        .collect();
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .op("starting webhook intake")?;
    let stored: HashSet<String> = sqlx::query_scalar(INSERT_EVENTS_JSON)
        .bind(Value::Array(events).to_string())
        .bind(now)
        .fetch_all(&mut *tx)
        .await
        .op("storing webhook events")?
        .into_iter()
        .collect();
    let fresh: Vec<bool> = ids.iter().map(|id| stored.contains(id)).collect();
    let jobs: Vec<Value> = batch
        .iter()
        .zip(&fresh)
        .filter_map(|(p, &fresh)| p.job.as_ref().filter(|_| fresh))
        .map(|job| {
            json!({
                "id": uuid::Uuid::now_v7().to_string(), "tenant_id": job.tenant_id, "kind": job.kind,
                "payload": job.payload.to_string(), "dedupe_key": job.dedupe_key, "priority": job.priority,
                // Exactly as sqlx binds a timestamp on SQLite: `run_at` is compared as text.
                "run_at": job.run_at.to_rfc3339_opts(SecondsFormat::AutoSi, false),
                "max_attempts": job.max_attempts,
                "order_key": job.order.as_ref().map(|o| &o.key),
                "order_seq": job.order.as_ref().map(|o| o.seq),
            })
        })
        .collect();
    if !jobs.is_empty() {
        sqlx::query(INSERT_JOBS_JSON)
            .bind(Value::Array(jobs).to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .op("enqueueing the webhooks' jobs")?;
    }
    tx.commit().await.op("committing webhook intake")?;
    Ok(fresh)
}

/// One delivery in its own transaction (after its batch failed): whether it was new.
async fn write_one(conn: &mut SqliteConnection, p: &Pending) -> Result<bool> {
    let now = Utc::now();
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .op("starting webhook intake")?;
    let fresh = insert_webhook!(tx, &p.ev, p.job.as_ref(), now);
    tx.commit().await.op("committing webhook intake")?;
    Ok(fresh)
}
