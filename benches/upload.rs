//! Upload benchmark: `JiraClient::upload_attachment` (the delivery's upload) streams a bundle from disk as Jira's
//! multipart `file` part, so memory must not grow with the file. `cargo bench --bench upload` writes files of
//! `BENCH_UPLOAD_MB` megabytes (default `16,256,1024`, random bytes as an encrypted bundle is) and uploads each to a
//! local endpoint that answers like Jira and reads the body to the end without keeping it, timing each upload and
//! reading this process's peak RSS (`VmHWM`) after it. The endpoint runs in this process too, so the figure is an
//! upper bound for the client alone. Each file is uploaded `BENCH_REPEAT` times (default 3; the median is reported).

use std::{
    io::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use axum::{Json, Router, body::Body, extract::State, routing::post};
use clearance::jira::{JiraAuth, JiraClient, JiraError, JiraSite};
use futures_util::StreamExt as _;
use reqwest::{Method, header::HeaderValue};
use serde_json::{Value, json};
use url::Url;

struct NoAuth;

impl JiraAuth for NoAuth {
    fn authorization(&self, _: &Method, _: &Url) -> Result<HeaderValue, JiraError> {
        Ok(HeaderValue::from_static("JWT bench"))
    }
}

/// Reads the multipart body to the end, counting bytes, keeping none; answers as Jira does.
async fn sink(State(seen): State<Arc<AtomicU64>>, body: Body) -> Json<Value> {
    let mut stream = body.into_data_stream();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        n += chunk.map(|c| c.len() as u64).unwrap_or(0);
    }
    seen.store(n, Ordering::SeqCst);
    Json(json!([{"id": "10001", "filename": "bundle.zip.age", "size": n}]))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn random_file(dir: &std::path::Path, mb: u64) -> std::path::PathBuf {
    let path = dir.join(format!("bundle-{mb}.zip.age"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create the file"));
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ mb;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mb {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        f.write_all(&block).expect("write the file");
    }
    f.flush().expect("flush the file");
    path
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_UPLOAD_MB")
        .unwrap_or_else(|_| "16,256,1024".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let repeat: usize = std::env::var("BENCH_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let seen = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/rest/api/3/issue/{key}/attachments", post(sink))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let site = JiraSite {
        base_url: Url::parse(&format!("http://{addr}")).expect("url"),
        auth: Arc::new(NoAuth),
    };
    let client = JiraClient::new(reqwest::Client::new(), site);
    let dir = tempfile::tempdir().expect("temporary folder");

    println!("| file | upload (median of {repeat}) | throughput | peak RSS after |");
    println!("|---:|---:|---:|---:|");
    for mb in sizes {
        let path = random_file(dir.path(), mb);
        let mut times = Vec::new();
        for _ in 0..repeat {
            let started = Instant::now();
            let a = client
                .upload_attachment(
                    "DATA-1",
                    &path,
                    "bundle.zip.age",
                    "application/octet-stream",
                )
                .await
                .expect("upload");
            times.push(started.elapsed().as_secs_f64());
            assert!(
                seen.load(Ordering::SeqCst) >= mb << 20 && a.size >= mb << 20,
                "the whole file went over the wire"
            );
        }
        times.sort_by(f64::total_cmp);
        let t = times[times.len() / 2];
        println!(
            "| {mb} MB | {t:.2} s | {:.0} MB/s | {:.1} MB |",
            mb as f64 / t,
            peak_rss_mb()
        );
        std::fs::remove_file(&path).ok();
    }
}
