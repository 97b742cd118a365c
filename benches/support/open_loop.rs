//! Open-loop load for the intake bench: requests leave at a fixed rate whatever the server does, and each latency is
//! measured from the request's *intended* send time, so a stalled server shows up in the percentiles instead of
//! slowing the client down (no coordinated omission, as wrk2 does it; wrk2 is not packaged for Debian).
//!
//! Runs in its own process (the bench re-executes itself with `--open-loop-client`) on a single-threaded runtime, so
//! it takes at most one core from the app. Sends are scheduled with tokio's timer, whose granularity is 1 ms: a
//! request may leave up to ~1 ms after its intended time, and that delay is counted in its latency (a pessimistic
//! bias of at most ~1 ms).

use std::time::{Duration, Instant};

/// The child-process side: `--open-loop-client URL TOKEN RUN ISSUE_BASE RATE SECONDS`; prints one result line on
/// stdout. Identifiers are `open-RUN-n`, issue ids `ISSUE_BASE + n` (unique across runs, so no job is deduplicated).
pub fn client(args: &[String]) {
    let [url, token, run, base, rate, seconds] = args else {
        eprintln!("usage: --open-loop-client URL TOKEN RUN ISSUE_BASE RATE SECONDS");
        std::process::exit(2);
    };
    let base: u64 = base.parse().expect("issue id base");
    let rate: u64 = rate.parse().expect("rate");
    let seconds: u64 = seconds.parse().expect("seconds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let outcome = rt.block_on(send_all(url, token, run, base, rate, seconds));
    println!("{}", outcome.line());
}

/// What one open-loop run saw.
pub struct Outcome {
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    /// Sorted latencies from intended send time, in microseconds.
    pub micros: Vec<u64>,
}

impl Outcome {
    fn pct(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let i = ((q * self.micros.len() as f64).ceil() as usize).clamp(1, self.micros.len()) - 1;
        self.micros[i] as f64 / 1000.0
    }

    fn line(&self) -> String {
        format!(
            "sent {} ok {} failed {} p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}",
            self.sent,
            self.ok,
            self.failed,
            self.pct(0.50),
            self.pct(0.90),
            self.pct(0.99),
            self.pct(0.999),
            self.pct(1.0)
        )
    }

    /// Read a line printed by [`client`] back: sent, ok, failed, and the percentiles as printed.
    pub fn parse(line: &str) -> Option<(u64, u64, u64, &str)> {
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |key: &str| {
            w.iter()
                .position(|x| *x == key)
                .and_then(|i| w.get(i + 1))
                .and_then(|v| v.parse().ok())
        };
        let at = line.find("p50 ")?;
        Some((num("sent")?, num("ok")?, num("failed")?, &line[at..]))
    }
}

async fn send_all(
    url: &str,
    token: &str,
    run: &str,
    base: u64,
    rate: u64,
    seconds: u64,
) -> Outcome {
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1024)
        .build()
        .expect("client");
    let total = rate * seconds;
    // Bounds open connections if the server stalls; waiting for a slot counts in the latency too.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(2048));
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let intended = start + Duration::from_nanos(i * 1_000_000_000 / rate.max(1));
        tokio::time::sleep_until(intended.into()).await;
        let (client, slots) = (client.clone(), slots.clone());
        let auth = format!("JWT {token}");
        let (url, id) = (url.to_owned(), format!("{run}-{i}"));
        let body = format!(
            r#"{{"webhookEvent":"jira:issue_created","timestamp":1700000000000,"issue":{{"id":"{}","key":"DATA-{i}"}}}}"#,
            base + i
        );
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore");
            let ok = client
                .post(url)
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .header("X-Atlassian-Webhook-Identifier", format!("open-{id}"))
                .body(body)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            (ok, intended.elapsed())
        }));
    }
    let mut out = Outcome {
        sent: total,
        ok: 0,
        failed: 0,
        micros: Vec::with_capacity(total as usize),
    };
    for t in tasks {
        let (ok, latency) = t.await.expect("request task");
        if ok {
            out.ok += 1;
        } else {
            out.failed += 1;
        }
        out.micros.push(latency.as_micros() as u64);
    }
    out.micros.sort_unstable();
    out
}
