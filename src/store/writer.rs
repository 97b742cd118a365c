//! The SQLite intake writer: one task owns one write connection and commits queued webhook deliveries in groups,
//! answering each sender only after the transaction holding its delivery has committed.
//!
//! SQLite admits one writer at a time. With every handler writing through the pool, connections race for that lock
//! and the losers sleep in `busy_timeout` back-off (tens to hundreds of milliseconds). Here handlers queue instead,
//! and everything queued while a batch commits goes into the next one, which shares one `BEGIN IMMEDIATE … COMMIT`
//! (one WAL append). Durability is unchanged: a sender hears "stored" only after its batch committed.

use chrono::Utc;
use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{mpsc, oneshot};

use super::{NewJob, QueryContext, Result, StoreError, WebhookEvent, intake::insert_webhook};

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
    /// Open the write connection and start the task.
    pub(super) async fn start(opts: &SqliteConnectOptions) -> Result<Self> {
        let conn = opts
            .connect()
            .await
            .op("opening the SQLite intake writer")?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(conn, rx));
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

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Msg>) {
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
                let one = write(conn, std::slice::from_ref(&p)).await;
                let _ = p
                    .reply
                    .send(one.map(|fresh| fresh.first().copied().unwrap_or(false)));
            }
        }
    }
}

/// One transaction for `batch`: which deliveries were new. A duplicate of a delivery earlier in the same batch is
/// seen by the unique index like any other duplicate.
async fn write(conn: &mut SqliteConnection, batch: &[Pending]) -> Result<Vec<bool>> {
    let now = Utc::now();
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .op("starting webhook intake")?;
    let mut fresh = Vec::with_capacity(batch.len());
    for p in batch {
        fresh.push(insert_webhook!(tx, &p.ev, p.job.as_ref(), now));
    }
    tx.commit().await.op("committing webhook intake")?;
    Ok(fresh)
}
