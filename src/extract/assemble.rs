//! The writing half of an extraction, on its own thread: rows arrive in batches from the database half, are masked,
//! written as CSV or XLSX into the bundle's data entry (counted and hashed on the way), checked against the byte
//! cap, and followed by `manifest.json`. Formatting, compression and encryption run here while the database half
//! reads the next rows on the other core.

use std::{path::PathBuf, sync::Arc, sync::atomic::Ordering};

use tokio::sync::mpsc::Receiver;

use super::{
    bundle::{BundleWriter, Tap},
    cell::Cell,
    csv_out::CsvOut,
    mask::{Masker, OutputColumn},
    pipeline::{ExtractError, Progress},
    protect::Protection,
    xlsx_out::XlsxOut,
};
use crate::requests::plan::Format;

/// A batch of rows as read from the database.
pub type Batch = Vec<Vec<Cell>>;

/// Everything the writing thread needs.
pub struct Assembly {
    /// Where the bundle goes (inside the work folder).
    pub bundle_path: PathBuf,
    /// The work folder, for XLSX temporary files.
    pub work_dir: PathBuf,
    /// Protection.
    pub protection: Protection,
    /// Deflate level for CSV.
    pub level: i64,
    /// Output format.
    pub format: Format,
    /// Byte order mark in CSV.
    pub csv_bom: bool,
    /// Data file name inside the zip.
    pub data_name: String,
    /// Byte cap of the data file.
    pub max_bytes: u64,
    /// Masking.
    pub masker: Masker,
    /// Delivered columns.
    pub columns: Vec<OutputColumn>,
    /// The manifest, without what only the writer knows (rows, bytes, hash); filled in here.
    pub manifest: serde_json::Value,
    /// Live counters.
    pub progress: Arc<Progress>,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Written {
    /// Data rows.
    pub rows: u64,
    /// Bytes of the data file.
    pub bytes: u64,
    /// SHA-256 of the data file (hex).
    pub sha256: String,
    /// Worksheets (XLSX).
    pub sheets: usize,
}

fn byte_cap(cap: u64) -> ExtractError {
    ExtractError::ByteCap(cap)
}

/// Write the whole bundle from the batches in `rx`. Returns when the sender is gone and the bundle is closed.
pub fn assemble(mut rx: Receiver<Batch>, a: Assembly) -> Result<Written, ExtractError> {
    let mut bundle = BundleWriter::create(&a.bundle_path, &a.protection, a.level)?;
    let header: Vec<String> = a.columns.iter().map(|c| c.name.clone()).collect();
    let large = a.max_bytes >= u64::from(u32::MAX);
    let compress = a.format == Format::Csv;
    let entry = bundle.start(&a.data_name, compress, large)?;
    let mut tap = Tap::new(entry);
    let mut rows = 0u64;
    let mut sheets = 1;
    match a.format {
        Format::Csv => {
            let mut out = CsvOut::new(&mut tap, a.csv_bom, &header).map_err(write_err)?;
            while let Some(batch) = rx.blocking_recv() {
                for mut row in batch {
                    a.masker.apply(&mut row);
                    out.row(&row).map_err(write_err)?;
                    rows += 1;
                }
                a.progress.rows.store(rows, Ordering::Relaxed);
                let bytes = out.get_ref().bytes();
                a.progress.bytes.store(bytes, Ordering::Relaxed);
                if bytes > a.max_bytes {
                    return Err(byte_cap(a.max_bytes));
                }
            }
            out.finish()?;
        }
        Format::Xlsx => {
            let mut out = XlsxOut::new(&a.work_dir, header).map_err(write_err)?;
            let mut payload = 0u64;
            while let Some(batch) = rx.blocking_recv() {
                for mut row in batch {
                    a.masker.apply(&mut row);
                    payload += row.iter().map(payload_bytes).sum::<u64>();
                    out.row(&row).map_err(write_err)?;
                    rows += 1;
                }
                a.progress.rows.store(rows, Ordering::Relaxed);
                a.progress.bytes.store(payload, Ordering::Relaxed);
                if payload > a.max_bytes {
                    return Err(byte_cap(a.max_bytes));
                }
            }
            sheets = out.sheets();
            out.save(&mut tap).map_err(write_err)?;
        }
    }
    let (bytes, sha256) = tap.finish();
    if bytes > a.max_bytes {
        return Err(byte_cap(a.max_bytes));
    }
    a.progress.bytes.store(bytes, Ordering::Relaxed);
    let written = Written {
        rows,
        bytes,
        sha256,
        sheets,
    };
    let manifest = finish_manifest(a.manifest, &a.data_name, a.format, &written, &a.columns);
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| ExtractError::Write(e.to_string()))?;
    bundle
        .start("manifest.json", true, false)?
        .write_all(&text)?;
    bundle.finish()?;
    Ok(written)
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

fn write_err(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::Write(e.to_string())
}

fn finish_manifest(
    mut manifest: serde_json::Value,
    name: &str,
    format: Format,
    w: &Written,
    columns: &[OutputColumn],
) -> serde_json::Value {
    let mut file = serde_json::json!({
        "name": name,
        "format": format,
        "rows": w.rows,
        "bytes": w.bytes,
        "sha256": w.sha256,
        "columns": columns,
    });
    if format == Format::Xlsx {
        file["sheets"] = w.sheets.into();
    }
    manifest["files"] = serde_json::json!([file]);
    manifest
}
