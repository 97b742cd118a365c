//! One extraction, end to end: check and bind the SQL, open a read-only session, learn the columns, bind the masking
//! plan to them, then stream rows from the database cursor to the writing thread (see [`super::assemble`]) under the
//! row cap and the deadline, count the IDs that matched nothing, and move the finished bundle into place. Work files
//! live in a private folder next to the output and are removed on success and failure alike, so a failed
//! extraction (cap exceeded, timeout, bad data) leaves no partial bundle behind.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use secrecy::SecretString;
use serde::Serialize;

use super::{
    assemble::{Assembly, assemble},
    bind::bind,
    bundle::BundleError,
    decode::{self, Unsupported},
    encode::{Chunk, Encoder, EncoderSettings, ScanReport},
    full_scan::FullScan,
    ids::{IdReport, Ids},
    mask::{Masker, OutputColumn},
    protect::Protection,
    read::Reader,
    source::{SourceError, dialect_of},
    sql_guard::{self, Rejected},
};
use crate::{Format, Masking};

/// Chunks in flight between the two halves (bounds memory: 256 KiB of CSV or 1,024 rows each).
const CHUNKS_IN_FLIGHT: usize = 8;

/// What to extract and how.
#[derive(Debug)]
pub struct Request {
    /// Source URL (`postgres://`, `mysql://`, `sqlite://`).
    pub source_url: SecretString,
    /// What the source may reach (checked when it is opened).
    pub policy: std::sync::Arc<super::source_policy::SourcePolicy>,
    /// Name of the source, for the manifest.
    pub source_name: String,
    /// Statement timeout (server side where supported; also the client-side deadline for the whole read).
    pub timeout: Duration,
    /// The analyst's SQL.
    pub sql: String,
    /// The ID list and the parameter it binds to.
    pub ids: Option<(String, Ids, IdReport)>,
    /// Masking per column.
    pub masking: BTreeMap<String, Masking>,
    /// CSV or XLSX.
    pub format: Format,
    /// Byte order mark at the start of CSV files.
    pub csv_bom: bool,
    /// Row cap.
    pub max_rows: u64,
    /// Byte cap of the data file.
    pub max_bytes: u64,
    /// Data file name without extension (the request key, for example).
    pub name: String,
    /// Request key for the manifest.
    pub request_key: Option<String>,
    /// Approved plan digest for the manifest.
    pub plan_digest: Option<String>,
    /// Deflate level (1-9) of the CSV entry or inside the workbook; `None` for the format's default.
    pub deflate_level: Option<i64>,
    /// CSV text cells that a spreadsheet would run as formulas get a leading `'`.
    pub neutralise_formulas: bool,
    /// Scan every value of every delivered column for personal data while streaming.
    pub full_scan: bool,
}

/// Live counters, for progress bars and job heartbeats.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows written.
    pub rows: AtomicU64,
    /// Bytes of the data file so far.
    pub bytes: AtomicU64,
}

/// Why an extraction failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The SQL was refused.
    #[error("the query was refused: {0}")]
    Sql(#[from] Rejected),
    /// The source failed.
    #[error("{0}")]
    Source(#[from] SourceError),
    /// A column type cannot be written.
    #[error("{0}")]
    Unsupported(#[from] Unsupported),
    /// The masking plan does not fit the query.
    #[error("{0}")]
    Masking(String),
    /// More rows than the cap.
    #[error(
        "the result has more than {0} rows, the cap for this extraction; narrow the query or ask for a higher cap"
    )]
    RowCap(u64),
    /// More bytes than the cap.
    #[error(
        "the data file grew past {0} bytes, the cap for this extraction; select fewer columns or rows, or ask for a higher cap"
    )]
    ByteCap(u64),
    /// Writing failed.
    #[error("{0}")]
    Write(String),
    /// The bundle could not be written.
    #[error("{0}")]
    Bundle(#[from] BundleError),
    /// One half of the extraction stopped because the other did (its error is the one reported).
    #[error("the extraction stopped: {0}")]
    Interrupted(&'static str),
    /// Disk trouble.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Seconds spent per stage.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stages {
    /// Parsing, binding, connecting and describing the query.
    pub prepare: f64,
    /// From sending the query to its first row.
    pub first_row: f64,
    /// Streaming all rows into the bundle.
    pub stream: f64,
    /// Closing the bundle (XLSX assembly, manifest, encryption trailer, fsync) and the matched-ID count.
    pub finish: f64,
}

/// ID-list figures for the analyst.
#[derive(Clone, Debug, Serialize)]
pub struct IdSummary {
    /// Counts from reading the file.
    #[serde(flatten)]
    pub report: IdReport,
    /// Distinct IDs that matched no row, when it could be counted.
    pub unmatched: Option<u64>,
}

/// What an extraction produced (never the passphrase).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Data rows.
    pub rows: u64,
    /// Bytes of the data file.
    pub bytes: u64,
    /// SHA-256 of the data file.
    pub data_sha256: String,
    /// The bundle.
    pub bundle: PathBuf,
    /// Bundle size.
    pub bundle_bytes: u64,
    /// SHA-256 of the bundle file.
    pub bundle_sha256: String,
    /// `age`, `age-recipients` or `zip-aes`.
    pub encryption: &'static str,
    /// Delivered columns.
    pub columns: Vec<OutputColumn>,
    /// ID-list figures.
    pub ids: Option<IdSummary>,
    /// Timings.
    pub seconds: Stages,
    /// The personal-data scan of the whole result, when it ran.
    pub scan: Option<ScanReport>,
}

/// Run one extraction into `out` (which must not exist yet).
pub async fn extract(
    req: &Request,
    protection: Protection,
    out: &Path,
    progress: Arc<Progress>,
) -> Result<Summary, ExtractError> {
    let started = Instant::now();
    if out.exists() {
        return Err(ExtractError::Write(format!(
            "{} already exists; choose another --out or remove it",
            out.display()
        )));
    }
    let dialect = dialect_of(secrecy::ExposeSecret::expose_secret(&req.source_url))?;
    let statement = sql_guard::parse(&req.sql, dialect)?;
    let bound = bind(
        &req.sql,
        &statement,
        dialect,
        req.ids.as_ref().map(|(p, ids, _)| (p.as_str(), ids)),
    )?;
    let mut reader = Reader::open(&req.policy, &req.source_url, req.timeout).await?;
    let columns = reader.describe(&bound.sql).await?;
    let masker = Masker::new(&columns, &req.masking).map_err(ExtractError::Masking)?;
    let out_columns = masker.output_columns(&columns);

    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".clearance-extract-")
        .tempdir_in(&parent)?;
    let bundle_path = work.path().join("bundle");
    let ext = match req.format {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
    };
    let encryption = protection.name();
    let assembly = Assembly {
        bundle_path: bundle_path.clone(),
        work_dir: work.path().to_path_buf(),
        protection,
        level: req.deflate_level.unwrap_or(super::DEFAULT_DEFLATE_LEVEL),
        xlsx_level: req
            .deflate_level
            .and_then(|l| u8::try_from(l).ok())
            .unwrap_or(super::XLSX_DEFLATE_LEVEL),
        format: req.format,
        data_name: format!("{}.{ext}", req.name),
        max_bytes: req.max_bytes,
        columns: out_columns.clone(),
        manifest: serde_json::json!({
            "request": req.request_key,
            "plan_digest": req.plan_digest,
            "source": req.source_name,
            "encryption": encryption,
            "generated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "clearance_version": env!("CARGO_PKG_VERSION"),
            "csv_formulas": match (req.format, req.neutralise_formulas) {
                (Format::Csv, true) => Some("neutralised: text starting with = + - @ TAB or CR has a leading '"),
                (Format::Csv, false) => Some("kept as written"),
                (Format::Xlsx, _) => None,
            },
        }),
        progress: progress.clone(),
    };
    let mut seconds = Stages {
        prepare: started.elapsed().as_secs_f64(),
        ..Stages::default()
    };

    let scan = req
        .full_scan
        .then(|| FullScan::new(&columns, masker.actions()));
    let encoder = Encoder::new(EncoderSettings {
        masker,
        csv_header: (req.format == Format::Csv)
            .then(|| out_columns.iter().map(|c| c.name.clone()).collect()),
        bom: req.csv_bom,
        max_rows: req.max_rows,
        max_bytes: req.max_bytes,
        progress: progress.clone(),
        neutralise_formulas: req.neutralise_formulas,
        scan,
    })?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let writer = tokio::task::spawn_blocking(move || assemble(rx, assembly));
    let kinds: Vec<decode::Kind> = columns.iter().map(|c| c.kind).collect();
    let streamed = Instant::now();
    let read = tokio::time::timeout(
        req.timeout,
        reader.pump(&bound, kinds, encoder, tx, &mut seconds),
    )
    .await;
    let written = writer
        .await
        .map_err(|e| ExtractError::Write(format!("the writer stopped: {e}")));
    // Each half stops when the other does; report the error that started it.
    let written = match (read, written) {
        (Ok(Ok(())), Ok(Ok(w))) => w,
        (Err(_), _) => return Err(SourceError::Timeout(req.timeout).into()),
        (Ok(Err(r)), w) if !matches!(r, ExtractError::Interrupted(_)) => {
            drop(w);
            return Err(r);
        }
        (_, Ok(Err(w))) | (_, Err(w)) => return Err(w),
        (Ok(Err(r)), Ok(Ok(_))) => return Err(r),
    };
    seconds.stream = streamed.elapsed().as_secs_f64() - seconds.first_row;
    let finishing = Instant::now();
    let ids = match &req.ids {
        Some((_, _, report)) => Some(IdSummary {
            report: *report,
            unmatched: reader
                .matched(&bound)
                .await?
                .map(|m| report.distinct.saturating_sub(m)),
        }),
        None => None,
    };
    reader.close().await;
    let bundle_bytes = std::fs::metadata(&bundle_path)?.len();
    let bundle_sha256 = sha256_file(&bundle_path)?;
    // A hard link never replaces an existing file (unlike rename), so a file that appeared meanwhile is kept.
    std::fs::hard_link(&bundle_path, out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => ExtractError::Write(format!(
            "{} appeared while extracting; not overwritten",
            out.display()
        )),
        _ => ExtractError::Io(e),
    })?;
    drop(work);
    seconds.finish = finishing.elapsed().as_secs_f64();
    Ok(Summary {
        rows: written.rows,
        bytes: written.bytes,
        data_sha256: written.sha256,
        bundle: out.to_path_buf(),
        bundle_bytes,
        bundle_sha256,
        encryption,
        columns: out_columns,
        ids,
        seconds,
        scan: written.scan,
    })
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex::encode(ctx.finish().as_ref()))
}
