//! The reading side's share of the writing: masking, the row cap, and for CSV the formatting itself, so rows leave
//! the reading thread as ready CSV bytes and the writing thread only compresses, hashes and encrypts. This splits
//! the work about evenly over two cores. XLSX rows travel as cells; the workbook is built on the writing thread. The
//! whole-result scan gets a copy of every unmasked row and runs on a third thread (see [`super::scan_worker`]).

use std::sync::{Arc, atomic::Ordering};

use super::{
    cell::Cell,
    csv_out::CsvOut,
    full_scan::FullScan,
    mask::Masker,
    pipeline::{ExtractError, Progress},
    scan_worker::ScanWorker,
};
use crate::Masking;

/// CSV bytes handed over at a time.
const CHUNK_BYTES: usize = 256 * 1024;
/// XLSX rows handed over at a time.
const BATCH_ROWS: usize = 1024;
/// Rows between two updates of the live row count.
const PROGRESS_ROWS: u64 = 64;

/// What travels from the reading side to the writing side.
#[derive(Debug)]
pub enum Chunk {
    /// Formatted CSV bytes.
    Csv(Vec<u8>),
    /// Masked rows for the workbook.
    Rows(Vec<Vec<Cell>>),
    /// Every row was read: how many, and the personal-data scan of all of them (when one ran).
    Done {
        /// Data rows.
        rows: u64,
        /// The whole-result scan.
        scan: Option<ScanReport>,
    },
}

/// What the whole-result scan found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanReport {
    /// Rows scanned (every row of the result).
    pub rows: u64,
    /// Columns that look personal, over the whole result.
    pub findings: Vec<super::pii_values::Finding>,
}

enum Mode {
    Csv(Box<CsvOut<Vec<u8>>>),
    Rows(Vec<Vec<Cell>>),
}

/// Masks, counts and (for CSV) formats rows.
pub struct Encoder {
    masker: Masker,
    mode: Mode,
    rows: u64,
    bytes: u64,
    max_rows: u64,
    max_bytes: u64,
    progress: Arc<Progress>,
    scan: Option<ScanWorker>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// Settings of an encoder.
pub struct EncoderSettings {
    /// Masking.
    pub masker: Masker,
    /// CSV header, or `None` for XLSX (rows travel as cells).
    pub csv_header: Option<Vec<String>>,
    /// Byte order mark before the CSV header.
    pub bom: bool,
    /// Row cap.
    pub max_rows: u64,
    /// Byte cap (CSV bytes, or the XLSX payload estimate).
    pub max_bytes: u64,
    /// Live counters.
    pub progress: Arc<Progress>,
    /// Text cells that read as spreadsheet formulas get a leading `'` (CSV only).
    pub neutralise_formulas: bool,
    /// The whole-result personal-data scan, fed every row before masking (on a thread of its own).
    pub scan: Option<FullScan>,
}

impl Encoder {
    /// A new encoder; for CSV the header (and BOM) is written at once.
    pub fn new(s: EncoderSettings) -> Result<Self, ExtractError> {
        let mode = match s.csv_header {
            Some(header) => Mode::Csv(Box::new(
                CsvOut::new(Vec::with_capacity(CHUNK_BYTES * 2), s.bom, &header)
                    .map_err(csv_err)?
                    .neutralising_formulas(s.neutralise_formulas),
            )),
            None => Mode::Rows(Vec::with_capacity(BATCH_ROWS)),
        };
        Ok(Self {
            masker: s.masker,
            mode,
            rows: 0,
            bytes: 0,
            max_rows: s.max_rows,
            max_bytes: s.max_bytes,
            progress: s.progress,
            scan: s.scan.map(ScanWorker::start).transpose()?,
        })
    }

    /// Take one row (the reader keeps its buffer); returns a chunk when one is full.
    pub fn push(&mut self, row: &[Cell]) -> Result<Option<Chunk>, ExtractError> {
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(ExtractError::RowCap(self.max_rows));
        }
        if let Some(scan) = &mut self.scan {
            scan.observe(row)?;
        }
        // Rows show up in the progress as they come, not only when a chunk of bytes is full (a slow source fills a
        // chunk in seconds).
        if self.rows.is_multiple_of(PROGRESS_ROWS) {
            self.progress.rows.store(self.rows, Ordering::Relaxed);
        }
        match &mut self.mode {
            Mode::Csv(out) => {
                for (cell, action) in row.iter().zip(self.masker.actions()) {
                    match action {
                        Masking::Drop => {}
                        Masking::Keep => out.field(cell).map_err(csv_err)?,
                        _ if cell.is_null() => out.field(cell).map_err(csv_err)?,
                        _ => out
                            .text_field(&self.masker.masked_text(*action, cell))
                            .map_err(csv_err)?,
                    }
                }
                out.end_row().map_err(csv_err)?;
                if out.get_ref().len() >= CHUNK_BYTES {
                    return self.take_csv().map(Some);
                }
            }
            Mode::Rows(batch) => {
                let row = self.masker.masked_row(row);
                self.bytes += row.iter().map(payload_bytes).sum::<u64>();
                batch.push(row);
                if batch.len() == BATCH_ROWS {
                    let full = std::mem::replace(batch, Vec::with_capacity(BATCH_ROWS));
                    self.check_bytes()?;
                    self.publish();
                    return Ok(Some(Chunk::Rows(full)));
                }
            }
        }
        Ok(None)
    }

    /// The last chunks: what is left, then [`Chunk::Done`].
    pub fn finish(&mut self) -> Result<[Chunk; 2], ExtractError> {
        let last = match &mut self.mode {
            Mode::Csv(_) => self.take_csv()?,
            Mode::Rows(batch) => {
                let rest = std::mem::take(batch);
                self.check_bytes()?;
                Chunk::Rows(rest)
            }
        };
        self.publish();
        let scan = match self.scan.take() {
            Some(worker) => {
                let s = worker.finish()?;
                Some(ScanReport {
                    rows: s.rows(),
                    findings: s.findings(),
                })
            }
            None => None,
        };
        Ok([
            last,
            Chunk::Done {
                rows: self.rows,
                scan,
            },
        ])
    }

    fn take_csv(&mut self) -> Result<Chunk, ExtractError> {
        let Mode::Csv(out) = &mut self.mode else {
            return Err(ExtractError::Write("not writing CSV".into()));
        };
        let chunk = out.take(CHUNK_BYTES * 2).map_err(csv_err)?;
        self.bytes += chunk.len() as u64;
        self.check_bytes()?;
        self.publish();
        Ok(Chunk::Csv(chunk))
    }

    fn check_bytes(&self) -> Result<(), ExtractError> {
        if self.bytes > self.max_bytes {
            return Err(ExtractError::ByteCap(self.max_bytes));
        }
        Ok(())
    }

    fn publish(&self) {
        self.progress.rows.store(self.rows, Ordering::Relaxed);
        self.progress.bytes.store(self.bytes, Ordering::Relaxed);
    }
}

fn csv_err(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::Write(format!("writing CSV failed: {e}"))
}

/// What a value adds to an XLSX file, roughly (its text and the cell markup).
fn payload_bytes(c: &Cell) -> u64 {
    let text = match c {
        Cell::Null => 0,
        Cell::Text(s) | Cell::Json(s) | Cell::Decimal(s) => s.len(),
        _ => 12,
    };
    text as u64 + 20
}
