//! WAL checkpoints beside the SQLite intake writer, so that the writer neither stalls on them nor lets the WAL grow.
//!
//! A checkpoint copies the WAL into the database file and syncs it (about 5-10 ms here). Run by the writer, as
//! SQLite's auto-checkpoint does, it stalls every delivery queued behind it; so the writer's connection has
//! `wal_autocheckpoint = 0`, and a background task runs a PASSIVE checkpoint on a pooled connection [`AFTER`]
//! writes. That alone is not enough under steady load: SQLite only starts the WAL over when a write begins with the
//! whole WAL checkpointed, and a writer that commits while every background checkpoint runs never sees that, so the
//! WAL grows without end (hundreds of MB in a minute of load). When it passes [`RESTART_FRAMES`], the background task
//! asks the writer to run one checkpoint itself between two batches: almost everything is copied by then, so that
//! costs the writer little, and its next write starts the WAL over.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::{SqliteConnection, sqlite::SqlitePool};
use tokio::sync::mpsc;

use super::{QueryContext, Result};

/// How long after a write the background checkpoint runs (one checkpoint covers the batches of that time). Short on
/// purpose: on two cores a checkpoint competes with the writer for CPU and disk, and small frequent ones (about 3 ms
/// each at 2,500 deliveries/s) hurt the latency tail far less than large rare ones (100 ms: ~7 ms each, p99 doubled;
/// 500 ms: ~30 ms each, p99 tripled).
const AFTER: Duration = Duration::from_millis(25);
/// WAL length (in pages, 4 KiB each) past which the writer is asked to let the WAL start over: 16 MiB.
const RESTART_FRAMES: i64 = 4096;
/// The checkpoint statement; it answers `(busy, frames in the WAL, frames checkpointed)`.
const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// The writer's side: tell the checkpointer about writes, and hear when to checkpoint itself.
pub(super) struct Checkpoints {
    wrote: mpsc::Sender<()>,
    restart: Arc<AtomicBool>,
}

impl Checkpoints {
    /// Start the background checkpointer on `pool`; it ends when the returned handle is dropped.
    pub fn start(pool: SqlitePool) -> Self {
        let (wrote, written) = mpsc::channel(1);
        let restart = Arc::new(AtomicBool::new(false));
        tokio::spawn(background(pool, written, restart.clone()));
        Self { wrote, restart }
    }

    /// Something was committed: a checkpoint is due soon (one pending signal covers any number of writes).
    pub fn wrote(&self) {
        let _ = self.wrote.try_send(());
    }

    /// Before a batch: if the WAL has grown long, checkpoint on the writer's own connection, so that its next write
    /// starts the WAL over.
    pub async fn restart_if_due(&self, conn: &mut SqliteConnection) {
        if self.restart.swap(false, Ordering::Relaxed)
            && let Err(e) = run(&mut *conn).await
        {
            tracing::warn!(error = %e, "SQLite WAL checkpoint by the intake writer failed");
        }
    }
}

async fn run<'c, E: sqlx::SqliteExecutor<'c>>(on: E) -> Result<i64> {
    let (_busy, frames, _done): (i64, i64, i64) = sqlx::query_as(PASSIVE)
        .fetch_one(on)
        .await
        .op("checkpointing the WAL")?;
    Ok(frames)
}

async fn background(pool: SqlitePool, mut written: mpsc::Receiver<()>, restart: Arc<AtomicBool>) {
    while written.recv().await.is_some() {
        tokio::time::sleep(AFTER).await;
        match run(&pool).await {
            Ok(frames) if frames > RESTART_FRAMES => restart.store(true, Ordering::Relaxed),
            Ok(_) => {}
            Err(_) if pool.is_closed() => return,
            Err(e) => tracing::warn!(error = %e, "SQLite WAL checkpoint failed"),
        }
    }
}
