//! The writing half of an extraction, on its own thread: CSV bytes (or, for XLSX, masked rows) arrive from the
//! reading half and go into the bundle's data entry, counted and hashed on the way, followed by `manifest.json`.
//! Compression and encryption run here while the reading half reads and formats the next rows on the other core.

use std::{io::Write as _, path::PathBuf, sync::Arc, sync::atomic::Ordering};

use tokio::sync::mpsc::Receiver;

use super::{
    bundle::{BundleWriter, Tap},
    encode::{Chunk, ScanReport},
    mask::OutputColumn,
    pipeline::{ExtractError, Progress},
    protect::Protection,
    xlsx_out::XlsxOut,
};
use crate::Format;

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
    /// Deflate level inside XLSX workbooks.
    pub xlsx_level: u8,
    /// Output format.
    pub format: Format,
    /// Data file name inside the zip.
    pub data_name: String,
    /// Byte cap of the data file.
    pub max_bytes: u64,
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
    /// The whole-result personal-data scan, when one ran.
    pub scan: Option<ScanReport>,
}

/// Write the whole bundle from the chunks in `rx`. Returns when [`Chunk::Done`] has arrived and the bundle is
/// closed; a channel closed before that means the reading side failed, and nothing is finished.
pub fn assemble(mut rx: Receiver<Chunk>, a: Assembly) -> Result<Written, ExtractError> {
    let mut bundle = BundleWriter::create(&a.bundle_path, &a.protection, a.level)?;
    let header: Vec<String> = a.columns.iter().map(|c| c.name.clone()).collect();
    let large = a.max_bytes >= u64::from(u32::MAX);
    let compress = a.format == Format::Csv;
    let entry = bundle.start(&a.data_name, compress, large)?;
    let mut tap = Tap::new(entry);
    let mut xlsx = match a.format {
        Format::Xlsx => Some(XlsxOut::new(&a.work_dir, header, a.xlsx_level).map_err(write_err)?),
        Format::Csv => None,
    };
    let (rows, scan) = loop {
        match rx.blocking_recv() {
            Some(Chunk::Csv(bytes)) => tap.write_all(&bytes)?,
            Some(Chunk::Rows(rows)) => {
                let Some(out) = xlsx.as_mut() else {
                    return Err(write_err("rows arrived for a CSV file"));
                };
                for row in rows {
                    out.row(&row).map_err(write_err)?;
                }
            }
            Some(Chunk::Done { rows, scan }) => break (rows, scan),
            None => return Err(ExtractError::Interrupted("the reading side stopped")),
        }
    };
    let mut sheets = 1;
    if let Some(out) = xlsx {
        sheets = out.sheets();
        out.save(&mut tap).map_err(write_err)?;
    }
    let (bytes, sha256) = tap.finish();
    if bytes > a.max_bytes {
        return Err(ExtractError::ByteCap(a.max_bytes));
    }
    a.progress.bytes.store(bytes, Ordering::Relaxed);
    let written = Written {
        rows,
        bytes,
        sha256,
        sheets,
        scan,
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
    if let Some(scan) = &w.scan {
        manifest["personal_data_scan"] = serde_json::json!({
            "rows_scanned": scan.rows,
            "findings": scan.findings.iter().map(|f| serde_json::json!({
                "column": f.column,
                "categories": f.categories.iter().map(|c| serde_json::json!({"category": c.category, "values": c.hits, "by_name": c.by_name})).collect::<Vec<_>>(),
                "free_text": f.free_text,
            })).collect::<Vec<_>>(),
        });
    }
    manifest
}
