//! Extraction benchmark: `clearance extract` against the Python stack on the same demo warehouse in the same run.
//!
//! `cargo bench --bench extract` builds the release binary, generates (or reuses) a demo warehouse of `BENCH_ROWS`
//! customers (default 1,000,000) in SQLite and, when `CLEARANCE_TEST_POSTGRES_URL` is set, in PostgreSQL, then
//! extracts `SELECT * FROM customers` (12 mixed columns) as CSV+age, CSV+zip-aes and XLSX+age with Clearance and with
//! `benches/python/extract_baseline.py` (pandas, and the hand-tuned cursor loop), timing each run and reading its
//! peak RSS from GNU time. Every bundle is checked afterwards (`benches/python/verify_bundle.py`: decrypt, manifest
//! hash and size, and for CSV the row count).
//!
//! Knobs: `BENCH_ROWS`; `BENCH_BACKENDS` (default `sqlite,postgres`); `BENCH_PYTHON` (default `pandas,cursor`,
//! empty for none); `BENCH_XLSX_PYTHON=0` skips the slow Python XLSX runs; `BENCH_BIG=10` adds a CSV run over
//! `customers × 10` rows (a cross join) to show memory does not grow with the row count; `BENCH_LEVELS=2,6` adds
//! Clearance's CSV jobs at those deflate levels (the default is 1), to weigh time against bundle size;
//! `BENCH_SCAN_OFF=1` adds Clearance's CSV jobs without the whole-result personal-data scan (`--no-scan`), to show
//! its share; `BENCH_REPEAT` (default 3) is how often each CSV run is repeated, Clearance's and Python's alike, the median
//! being reported (XLSX runs once). One untimed run per source first warms its page cache.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

const PASSPHRASE: &str = "bench-passphrase-not-secret";

struct Run {
    backend: &'static str,
    tool: String,
    job: String,
    rows: u64,
    seconds: f64,
    max_rss_mb: f64,
    bundle_mb: f64,
}

/// The run with the median time of `n` (peak RSS: the largest seen).
fn median_of(n: usize, mut run: impl FnMut() -> (f64, f64, u64)) -> (f64, f64, u64) {
    let mut runs: Vec<(f64, f64, u64)> = (0..n.max(1)).map(|_| run()).collect();
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (s, _, rows) = runs[runs.len() / 2];
    (s, rss, rows)
}

fn megabytes(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Run `cmd` under GNU time; returns wall seconds, peak RSS in MB and stdout.
fn timed(cmd: &mut Command, scratch: &Path) -> (f64, f64, String) {
    let rss_file = scratch.join("time.txt");
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let started = Instant::now();
    let out = timed
        .output()
        .expect("run /usr/bin/time (apt-get install time)");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let kb: f64 = std::fs::read_to_string(&rss_file)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    (
        seconds,
        kb / 1024.0,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn verify(bundle: &Path, passphrase: Option<&str>, rows: u64) {
    let mut c = Command::new("python3");
    // Counting a million XLSX rows with openpyxl takes minutes; for workbooks the hash and size are checked.
    c.arg("benches/python/verify_bundle.py")
        .arg(bundle)
        .arg("--rows")
        .arg(rows.to_string())
        .arg("--quick");
    if let Some(p) = passphrase {
        c.arg("--passphrase").arg(p);
    }
    let out = c.output().expect("python3");
    assert!(
        out.status.success(),
        "verify {}: {}{}",
        bundle.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn warehouse(backend: &str, rows: u64, dir: &Path) -> Option<String> {
    match backend {
        "sqlite" => {
            let path = dir.join(format!("warehouse-{rows}.db"));
            let url = format!("sqlite://{}", path.display());
            if !path.exists() {
                eprintln!("generating {rows} customers into {url}");
                clearance_sandbox::warehouse::generate(
                    &url,
                    rows,
                    clearance_sandbox::warehouse::DEFAULT_SEED,
                )
                .await
                .expect("generate SQLite warehouse");
            }
            Some(url)
        }
        "postgres" => {
            let admin = std::env::var("CLEARANCE_TEST_POSTGRES_URL").ok()?;
            let name = format!("clearance_bench_wh_{rows}");
            let mut u = url::Url::parse(&admin).expect("postgres url");
            u.set_path(&format!("/{name}"));
            let url = u.to_string();
            let exists = Command::new("psql")
                .arg(&admin)
                .args([
                    "-Atc",
                    &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "1")
                .unwrap_or(false);
            if !exists {
                eprintln!("generating {rows} customers into {name}");
                let st = Command::new("psql")
                    .arg(&admin)
                    .args(["-qc", &format!("CREATE DATABASE {name}")])
                    .status()
                    .expect("psql");
                assert!(st.success());
                clearance_sandbox::warehouse::generate(
                    &url,
                    rows,
                    clearance_sandbox::warehouse::DEFAULT_SEED,
                )
                .await
                .expect("generate PostgreSQL warehouse");
            }
            Some(url)
        }
        _ => None,
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one flat call per benchmark run reads best"
)]
fn clearance_run(
    bin: &Path,
    url: &str,
    query: &str,
    format: &str,
    encrypt: &str,
    level: Option<&str>,
    out: &Path,
    scratch: &Path,
) -> (f64, f64, u64) {
    let pass = scratch.join("pass.txt");
    let _ = std::fs::remove_file(&pass);
    let _ = std::fs::remove_file(out);
    let mut c = Command::new(bin);
    c.args([
        "extract",
        "--query",
        query,
        "--format",
        format,
        "--encrypt",
        encrypt,
    ])
    .arg("--passphrase-out")
    .arg(&pass)
    .arg("--out")
    .arg(out)
    .args([
        "--max-rows",
        "100000000",
        "--max-bytes",
        "100000000000",
        "--timeout",
        "3600",
    ])
    .env("CLEARANCE_EXTRACT_SOURCE", url);
    match level {
        // Not a level: the same run without the whole-result personal-data scan, to show what the scan costs.
        Some("no-scan") => {
            c.arg("--no-scan");
        }
        Some(level) => {
            c.args(["--level", level]);
        }
        None => {}
    }
    let (s, rss, stdout) = timed(&mut c, scratch);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON summary");
    let rows = summary["rows"].as_u64().unwrap_or(0);
    let p = std::fs::read_to_string(&pass).unwrap_or_default();
    verify(out, Some(p.trim()), rows);
    (s, rss, rows)
}

fn python_run(
    variant: &str,
    url: &str,
    query: &str,
    format: &str,
    encrypt: &str,
    out: &Path,
    scratch: &Path,
) -> (f64, f64, u64) {
    let _ = std::fs::remove_file(out);
    let mut c = Command::new("python3");
    c.arg("benches/python/extract_baseline.py")
        .args([
            "--source",
            url,
            "--query",
            query,
            "--format",
            format,
            "--encrypt",
            encrypt,
        ])
        .arg("--out")
        .arg(out)
        .args([
            "--passphrase",
            PASSPHRASE,
            "--variant",
            variant,
            "--scrypt-log-n",
            "14",
        ]);
    let (s, rss, stdout) = timed(&mut c, scratch);
    let summary: serde_json::Value =
        serde_json::from_str(stdout.trim().lines().last().unwrap_or("{}"))
            .expect("JSON from extract_baseline.py");
    let rows = summary["rows"].as_u64().unwrap_or(0);
    verify(out, Some(PASSPHRASE), rows);
    (s, rss, rows)
}

#[tokio::main]
async fn main() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_clearance"));
    let rows: u64 = env_or("BENCH_ROWS", "1000000").parse().expect("BENCH_ROWS");
    let backends = env_or("BENCH_BACKENDS", "sqlite,postgres");
    let python = env_or("BENCH_PYTHON", "pandas,cursor");
    let python_xlsx = env_or("BENCH_XLSX_PYTHON", "1") != "0";
    let big: u64 = env_or("BENCH_BIG", "0").parse().expect("BENCH_BIG");
    let levels = env_or("BENCH_LEVELS", "");
    let scan_off = env_or("BENCH_SCAN_OFF", "0") == "1";
    let repeat: usize = env_or("BENCH_REPEAT", "3").parse().expect("BENCH_REPEAT");
    let data = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-extract");
    std::fs::create_dir_all(&data).expect("bench dir");
    let scratch = tempfile::tempdir_in(&data).expect("scratch");
    let query = "SELECT * FROM customers";
    let jobs = [("csv", "age"), ("csv", "zip-aes"), ("xlsx", "age")];
    let mut runs = Vec::new();
    for backend in backends.split(',').map(str::trim) {
        let backend: &'static str = match backend {
            "sqlite" => "SQLite",
            "postgres" => "PostgreSQL",
            _ => continue,
        };
        let Some(url) = warehouse(
            &backend
                .to_ascii_lowercase()
                .replace("postgresql", "postgres"),
            rows,
            &data,
        )
        .await
        else {
            eprintln!("SKIPPED {backend}: CLEARANCE_TEST_POSTGRES_URL is unset");
            continue;
        };
        let warm = scratch.path().join("warm.zip.age");
        clearance_run(&bin, &url, query, "csv", "age", None, &warm, scratch.path());
        let _ = std::fs::remove_file(&warm);
        for (format, encrypt) in jobs {
            let reps = if format == "csv" { repeat } else { 1 };
            let ext = if encrypt == "age" { "zip.age" } else { "zip" };
            let out = scratch.path().join(format!("bundle.{ext}"));
            let job = format!("{} + {encrypt}", format.to_uppercase());
            let extra: Vec<&str> = if format == "csv" {
                levels
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect()
            } else {
                Vec::new()
            };
            let mut extra = extra;
            if format == "csv" && scan_off {
                extra.push("no-scan");
            }
            for level in std::iter::once(None).chain(extra.into_iter().map(Some)) {
                let (s, rss, n) = median_of(reps, || {
                    clearance_run(
                        &bin,
                        &url,
                        query,
                        format,
                        encrypt,
                        level,
                        &out,
                        scratch.path(),
                    )
                });
                let tool = match level {
                    None => "clearance".into(),
                    Some("no-scan") => "clearance --no-scan".into(),
                    Some(l) => format!("clearance --level {l}"),
                };
                eprintln!("{backend} {job} {tool}: {s:.2} s, {rss:.0} MB");
                runs.push(Run {
                    backend,
                    tool,
                    job: job.clone(),
                    rows: n,
                    seconds: s,
                    max_rss_mb: rss,
                    bundle_mb: megabytes(&out),
                });
            }
            for variant in python.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                // The cursor loop is the hand-tuned CSV reference; for XLSX the comparison is pandas + openpyxl.
                if format == "xlsx" && (!python_xlsx || variant == "cursor") {
                    continue;
                }
                let (s, rss, n) = median_of(reps, || {
                    python_run(variant, &url, query, format, encrypt, &out, scratch.path())
                });
                eprintln!("{backend} {job} python/{variant}: {s:.2} s, {rss:.0} MB");
                runs.push(Run {
                    backend,
                    tool: format!("python {variant}"),
                    job: job.clone(),
                    rows: n,
                    seconds: s,
                    max_rss_mb: rss,
                    bundle_mb: megabytes(&out),
                });
            }
        }
        if big > 1 {
            let values: Vec<String> = (1..=big).map(|i| format!("SELECT {i} AS k")).collect();
            let cross = format!(
                "SELECT c.* FROM customers c CROSS JOIN ({}) AS t",
                values.join(" UNION ALL ")
            );
            let out = scratch.path().join("big.zip.age");
            let (s, rss, n) =
                clearance_run(&bin, &url, &cross, "csv", "age", None, &out, scratch.path());
            eprintln!("{backend} CSV + age x{big} clearance: {s:.2} s, {rss:.0} MB");
            runs.push(Run {
                backend,
                tool: "clearance".into(),
                job: format!("CSV + age, customers × {big}"),
                rows: n,
                seconds: s,
                max_rss_mb: rss,
                bundle_mb: megabytes(&out),
            });
            let _ = std::fs::remove_file(&out);
        }
    }
    println!(
        "| source | job | tool | rows | seconds | rows/s | peak RSS (MB) | bundle (MB) | vs pandas |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &runs {
        let pandas = runs
            .iter()
            .find(|p| p.backend == r.backend && p.job == r.job && p.tool == "python pandas")
            .map(|p| format!("{:.1}×", p.seconds / r.seconds))
            .unwrap_or_default();
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.0} | {:.0} | {:.1} | {} |",
            r.backend,
            r.job,
            r.tool,
            r.rows,
            r.seconds,
            r.rows as f64 / r.seconds,
            r.max_rss_mb,
            r.bundle_mb,
            pandas
        );
    }
}
