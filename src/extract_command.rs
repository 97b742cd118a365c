//! `clearance extract`: one extraction by hand (or by a benchmark) — a progress bar on a terminal, a one-line JSON
//! summary when standard output is not one. A generated passphrase goes to `--passphrase-out` (created 0600) or, on
//! a terminal only, is shown once; it is never part of the summary.

use std::{
    collections::BTreeMap,
    io::{IsTerminal as _, Write as _},
    path::{Path, PathBuf},
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use anyhow::{Context as _, bail};
use secrecy::{ExposeSecret as _, SecretString};

use clearance_extract::{
    Format, Masking,
    bundle::create_private,
    ids::{Limits, read_ids_off_runtime},
    pipeline::{Progress, Request, Summary, extract},
    protect::{Protection, generate_passphrase, parse_recipients},
    source_policy::SourcePolicy,
};

/// How the bundle is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Encrypt {
    /// age with a generated passphrase.
    Age,
    /// age to X25519 public keys (--recipient); no passphrase.
    AgeRecipients,
    /// AES-256 zip (7-Zip, WinZip) with a generated passphrase.
    ZipAes,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    /// RFC 4180 CSV, UTF-8.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// Arguments of `clearance extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// Data source: postgres://…, mysql://… (MariaDB too) or sqlite://PATH. Prefer the environment variable, which
    /// keeps the password out of the process list.
    #[arg(long, env = "CLEARANCE_EXTRACT_SOURCE", hide_env_values = true)]
    source: SecretString,
    /// The query (one SELECT, WITH … SELECT or VALUES).
    #[arg(
        long,
        conflicts_with = "query_file",
        required_unless_present = "query_file"
    )]
    query: Option<String>,
    /// Read the query from this file.
    #[arg(long, value_name = "FILE")]
    query_file: Option<PathBuf>,
    /// CSV or XLSX file with the ID list.
    #[arg(long, value_name = "FILE", requires_all = ["ids_column", "param"])]
    ids: Option<PathBuf>,
    /// Header of the ID column in --ids.
    #[arg(long, value_name = "COLUMN", requires = "ids")]
    ids_column: Option<String>,
    /// Query parameter the IDs bind to (`customer_ids` for `IN (:customer_ids)`).
    #[arg(long, value_name = "NAME", requires = "ids")]
    param: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: OutFormat,
    /// Start CSV files with a byte order mark (helps Excel with accents).
    #[arg(long)]
    bom: bool,
    /// Encryption.
    #[arg(long, value_enum, default_value = "age")]
    encrypt: Encrypt,
    /// age public key (age1…) for --encrypt age-recipients; repeat for several.
    #[arg(long, value_name = "AGE_KEY")]
    recipient: Vec<String>,
    /// Masking of a column: COLUMN=keep|drop|mask|pseudonymise; repeat for several.
    #[arg(long, value_name = "COLUMN=ACTION")]
    mask: Vec<String>,
    /// Write the generated passphrase to this file (created 0600, must not exist).
    #[arg(long, value_name = "FILE")]
    passphrase_out: Option<PathBuf>,
    /// The bundle to create (must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Name of the data file inside the bundle (default: --out's name without extensions).
    #[arg(long)]
    name: Option<String>,
    /// Stop with an error when the result has more rows.
    #[arg(long, default_value_t = 10_000_000)]
    max_rows: u64,
    /// Stop with an error when the data file grows past this many bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024 * 1024)]
    max_bytes: u64,
    /// Statement timeout in seconds (server side where supported, and a client-side deadline for the whole read).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Deflate level, 1 fastest … 9 smallest (default: 1 for CSV, 3 inside XLSX workbooks).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=9))]
    level: Option<i64>,
    /// Write CSV text that starts with = + - @ TAB or CR as is (by default such cells get a leading ', so a
    /// spreadsheet shows them instead of running them as formulas).
    #[arg(long)]
    keep_formulas: bool,
    /// Skip the personal-data scan of every value (the summary then has no findings).
    #[arg(long)]
    no_scan: bool,
}

fn parse_mask(items: &[String]) -> anyhow::Result<BTreeMap<String, Masking>> {
    items
        .iter()
        .map(|item| {
            let (col, action) = item
                .split_once('=')
                .with_context(|| format!("--mask {item:?}: write COLUMN=ACTION"))?;
            let action = match action.trim() {
                "keep" => Masking::Keep,
                "drop" => Masking::Drop,
                "mask" => Masking::Mask,
                "pseudonymise" | "pseudonymize" => Masking::Pseudonymise,
                other => {
                    bail!("--mask {item:?}: {other:?} is not keep, drop, mask or pseudonymise")
                }
            };
            Ok((col.trim().to_owned(), action))
        })
        .collect()
}

/// Where a generated passphrase goes.
enum Reveal {
    File(PathBuf),
    Terminal,
}

fn protection(args: &ExtractArgs) -> anyhow::Result<(Protection, Option<(SecretString, Reveal)>)> {
    if args.encrypt == Encrypt::AgeRecipients {
        if args.passphrase_out.is_some() {
            bail!("--passphrase-out has no use with age-recipients: there is no passphrase");
        }
        let keys = parse_recipients(&args.recipient).map_err(anyhow::Error::msg)?;
        return Ok((Protection::AgeRecipients(keys), None));
    }
    if !args.recipient.is_empty() {
        bail!("--recipient needs --encrypt age-recipients");
    }
    let reveal = match &args.passphrase_out {
        Some(p) => {
            if p.exists() {
                bail!(
                    "--passphrase-out {} already exists; not overwritten",
                    p.display()
                );
            }
            Reveal::File(p.clone())
        }
        None if std::io::stderr().is_terminal() => Reveal::Terminal,
        None => bail!(
            "the generated passphrase has nowhere to go: pass --passphrase-out FILE (it is shown on screen only when run on a terminal)"
        ),
    };
    let pass = generate_passphrase().map_err(anyhow::Error::msg)?;
    let p = match args.encrypt {
        Encrypt::ZipAes => Protection::ZipAes(pass.clone()),
        _ => Protection::AgePassphrase(pass.clone()),
    };
    Ok((p, Some((pass, reveal))))
}

fn default_name(out: &Path) -> String {
    let file = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "extract".into());
    let stem = file.split('.').next().unwrap_or_default();
    if stem.is_empty() {
        "extract".into()
    } else {
        stem.to_owned()
    }
}

/// Run `clearance extract`.
pub async fn run(args: ExtractArgs) -> anyhow::Result<()> {
    let sql = match (&args.query, &args.query_file) {
        (Some(q), _) => q.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("reading --query-file {}", f.display()))?,
        (None, None) => bail!("give --query or --query-file"),
    };
    let ids = match (&args.ids, &args.ids_column, &args.param) {
        (Some(file), Some(column), Some(param)) => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading --ids {}", file.display()))?;
            let name = file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let list = read_ids_off_runtime(bytes, name, column.clone(), Limits::default())
                .await
                .with_context(|| format!("--ids {}", file.display()))?;
            Some((
                param.trim_start_matches(':').to_owned(),
                list.ids,
                list.report,
            ))
        }
        _ => None,
    };
    let masking = parse_mask(&args.mask)?;
    let (protection, secret) = protection(&args)?;
    let request = Request {
        source_url: args.source.clone(),
        // The operator's own command line: it runs with the operator's rights on this host anyway.
        policy: Arc::new(SourcePolicy::operator()),
        source_name: redacted_source(args.source.expose_secret()),
        timeout: Duration::from_secs(args.timeout),
        sql,
        ids,
        masking,
        format: match args.format {
            OutFormat::Csv => Format::Csv,
            OutFormat::Xlsx => Format::Xlsx,
        },
        csv_bom: args.bom,
        max_rows: args.max_rows,
        max_bytes: args.max_bytes,
        name: args.name.clone().unwrap_or_else(|| default_name(&args.out)),
        request_key: None,
        plan_digest: None,
        deflate_level: args.level,
        neutralise_formulas: !args.keep_formulas,
        full_scan: !args.no_scan,
    };
    let progress = Arc::new(Progress::default());
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress_bar(progress.clone()));
    let result = extract(&request, protection, &args.out, progress).await;
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }
    let summary = result?;
    if let Some((pass, reveal)) = secret {
        match reveal {
            Reveal::File(path) => {
                let mut f = create_private(&path)
                    .with_context(|| format!("creating --passphrase-out {}", path.display()))?;
                writeln!(f, "{}", pass.expose_secret())?;
            }
            Reveal::Terminal => eprintln!(
                "Passphrase (shown once, not stored anywhere): {}",
                pass.expose_secret()
            ),
        }
    }
    report(&summary)
}

/// The source for the manifest: engine and database, never credentials.
fn redacted_source(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "sqlite" => {
            let path = format!("{}{}", u.host_str().unwrap_or_default(), u.path());
            let file = path.rsplit('/').next().unwrap_or_default().to_owned();
            format!("sqlite:{file}")
        }
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.path()
        ),
        Err(_) => "source".into(),
    }
}

fn report(s: &Summary) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    if out.is_terminal() {
        writeln!(
            out,
            "{} rows, {} bytes of data (sha256 {}) → {} ({} bytes, {})",
            s.rows,
            s.bytes,
            s.data_sha256,
            s.bundle.display(),
            s.bundle_bytes,
            s.encryption
        )?;
        if let Some(ids) = &s.ids {
            writeln!(
                out,
                "ID list: {} read, {} distinct, {} invalid, {} empty, {} duplicates; {} matched no row",
                ids.report.read,
                ids.report.distinct,
                ids.report.invalid,
                ids.report.empty,
                ids.report.duplicates,
                ids.unmatched.map_or("?".into(), |n| n.to_string())
            )?;
        }
    } else {
        writeln!(out, "{}", serde_json::to_string(s)?)?;
    }
    Ok(())
}

fn progress_bar(p: Arc<Progress>) -> (indicatif::ProgressBar, tokio::task::JoinHandle<()>) {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} {human_pos} rows ({per_sec}) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let b = bar.clone();
    let ticker = tokio::spawn(async move {
        loop {
            b.set_position(p.rows.load(Ordering::Relaxed));
            b.set_message(indicatif::HumanBytes(p.bytes.load(Ordering::Relaxed)).to_string());
            b.tick();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    (bar, ticker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_names() {
        let m = parse_mask(&["email=mask".into(), " phone = drop".into()]).unwrap_or_default();
        assert_eq!(m.get("email"), Some(&Masking::Mask));
        assert_eq!(m.get("phone"), Some(&Masking::Drop));
        assert!(parse_mask(&["email".into()]).is_err());
        assert!(parse_mask(&["email=hide".into()]).is_err());
        assert_eq!(default_name(Path::new("/tmp/DATA-7.zip.age")), "DATA-7");
        assert_eq!(
            redacted_source("postgres://u:secret@db:5432/wh?sslmode=require"),
            "postgres://db/wh"
        );
        assert_eq!(
            redacted_source("sqlite:///data/warehouse.db"),
            "sqlite:warehouse.db"
        );
    }
}
