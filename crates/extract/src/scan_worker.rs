//! The whole-result scan on a thread of its own: the reader copies each row's scanned values into a batch (text
//! into one string) and hands full batches over, so reading, formatting and scanning share the cores instead of the
//! scan lengthening the reader's critical path.

use std::{
    sync::mpsc::{Receiver, SyncSender, sync_channel},
    thread::JoinHandle,
};

use super::{
    cell::Cell,
    full_scan::{Batch, FullScan},
    pipeline::ExtractError,
};

/// Rows in a batch.
const BATCH_ROWS: u64 = 1024;
/// Text in a batch, in bytes (a batch of long values is handed over early).
const BATCH_TEXT: usize = 1 << 20;
/// Batches waiting for the scan; the reader waits when the scan is this far behind.
const BATCHES_IN_FLIGHT: usize = 4;

/// Feeds a [`FullScan`] running on its own thread.
#[derive(Debug)]
pub struct ScanWorker {
    scanned: Vec<bool>,
    batch: Batch,
    tx: Option<SyncSender<Batch>>,
    thread: Option<JoinHandle<FullScan>>,
}

impl ScanWorker {
    /// Start `scan` on a new thread.
    pub fn start(scan: FullScan) -> Result<Self, ExtractError> {
        let scanned = scan.scanned();
        let (tx, rx) = sync_channel(BATCHES_IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("clearance-scan".into())
            .spawn(move || run(scan, rx))
            .map_err(|e| {
                ExtractError::Write(format!("could not start the personal-data scan: {e}"))
            })?;
        Ok(Self {
            scanned,
            batch: Batch::default(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Copy one row's scanned values (unmasked); hands the batch over when it is full.
    pub fn observe(&mut self, row: &[Cell]) -> Result<(), ExtractError> {
        self.batch.push(row, &self.scanned);
        if self.batch.rows() >= BATCH_ROWS || self.batch.text_bytes() >= BATCH_TEXT {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hand over the last batch and wait for the scan of every row.
    pub fn finish(mut self) -> Result<FullScan, ExtractError> {
        self.hand_over()?;
        // The scan ends when its channel closes.
        self.tx = None;
        self.thread
            .take()
            .ok_or_else(stopped)?
            .join()
            .map_err(|_| stopped())
    }

    fn hand_over(&mut self) -> Result<(), ExtractError> {
        if self.batch.rows() == 0 {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.tx
            .as_ref()
            .ok_or_else(stopped)?
            .send(batch)
            .map_err(|_| stopped())
    }
}

fn run(mut scan: FullScan, rx: Receiver<Batch>) -> FullScan {
    while let Ok(batch) = rx.recv() {
        scan.observe_batch(&batch);
    }
    scan
}

/// The scan thread ended before its rows did (it panicked): the result cannot be vouched for.
fn stopped() -> ExtractError {
    ExtractError::Write("the personal-data scan stopped before the end of the result".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Masking,
        decode::{Column, Kind},
    };

    #[test]
    fn the_thread_sees_every_row_across_batches() {
        let cols = [
            Column {
                name: "ref".into(),
                kind: Kind::Text,
                source_type: "TEXT".into(),
            },
            Column {
                name: "n".into(),
                kind: Kind::I64,
                source_type: "INTEGER".into(),
            },
        ];
        let scan = FullScan::new(&cols, &[Masking::Keep, Masking::Drop]);
        let mut worker = ScanWorker::start(scan).expect("thread");
        let rows = 3 * BATCH_ROWS + 7;
        for i in 0..rows {
            let text = if i == rows - 1 {
                Cell::Text("last@example.org".into())
            } else {
                Cell::Text(format!("row {i}"))
            };
            worker
                .observe(&[text, Cell::Int(i as i64)])
                .expect("observe");
        }
        let scan = worker.finish().expect("finish");
        assert_eq!(scan.rows(), rows);
        let findings = scan.findings();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].categories[0].hits, 1);
    }
}
