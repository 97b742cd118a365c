//! The dashboard's own work: computing every figure from a site's rows (requests, their state changes, deliveries)
//! and drawing the page's charts and tables and the CSV, for a busy site. The store reads are plain selects measured
//! by the database, not here.
//!
//! Run: `cargo bench --bench dashboard`. Knob: BENCH_REQUESTS (default 20000, spread over 12 weeks, 8 state
//! changes each).

use std::time::Instant;

use chrono::{Duration, Utc};
use clearance::{
    dashboard::{Window, csv, stats, view},
    requests::state::State,
    store::{DashboardRequest, DeliveredRows, ExpiringDelivery, RequestEvent},
};
use serde_json::json;

/// The states a delivered request passes through, in order.
const PATH: [State; 8] = [
    State::New,
    State::InReview,
    State::AwaitingPrivacyApproval,
    State::Approved,
    State::Extracting,
    State::AwaitingDelivery,
    State::Delivered,
    State::Expired,
];

fn main() {
    let n: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let now = Utc::now();
    let window = Window::ending(now, 12);
    let span = (now - window.start()).num_seconds().max(1);
    let scan = json!({"digest": "d", "sampled": 100, "at": now, "findings": [
        {"column": "email", "categories": [{"category": "email", "confidence": 1.0, "hits": 100, "by_name": true}],
         "free_text": false, "blocking": false},
        {"column": "notes", "categories": [], "free_text": true, "blocking": false}]})
    .to_string();

    let mut requests = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n * PATH.len());
    let mut deliveries = Vec::new();
    for i in 0..n {
        let id = format!("r{i}");
        let created = window.start() + Duration::seconds((i as i64 * 7919) % span);
        // Requests stop at different points of the path; every fifth is still open.
        let last = if i % 5 == 0 {
            2
        } else {
            PATH.len() - 1 - i % 2
        };
        let mut at = created;
        for step in 1..=last {
            at += Duration::minutes(((i + step) % 240) as i64 + 5);
            events.push(RequestEvent {
                request_id: id.clone(),
                at: at.to_rfc3339(),
                action: format!("request.{}", PATH[step]),
                detail: json!({"from": PATH[step - 1], "to": PATH[step]}).to_string(),
            });
            if PATH[step] == State::AwaitingDelivery {
                deliveries.push(DeliveredRows {
                    uploaded_at: at,
                    row_count: Some((i % 5000) as i64),
                });
            }
        }
        requests.push(DashboardRequest {
            id,
            state: PATH[last],
            created_at: created,
            pii_scan: (i % 3 == 0).then(|| scan.clone()),
        });
    }
    events.sort_by(|a, b| a.at.cmp(&b.at));
    let expiring: Vec<ExpiringDelivery> = (0..200)
        .map(|i| ExpiringDelivery {
            issue_key: format!("DATA-{i}"),
            summary: format!("Request <{i}> & more"),
            file_name: format!("DATA-{i}.zip.age"),
            expires_at: now + Duration::hours(i),
        })
        .collect();

    let inputs = stats::Inputs {
        requests: &requests,
        events: &events,
        deliveries: &deliveries,
        expiring: &expiring,
    };
    let runs = 5;
    let (mut compute_ms, mut view_ms, mut csv_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut page_bytes = 0;
    let mut csv_bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let d = stats::compute(window, &inputs);
        compute_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let v = view::view(&d);
        view_ms.push(t.elapsed().as_secs_f64() * 1e3);
        page_bytes =
            v.outcomes_svg.len() + v.pii_svg.len() + v.waiting_svg.len() + v.rows_svg.len();
        let t = Instant::now();
        let mut out = Vec::new();
        csv::write(&d, &mut out).unwrap();
        csv_ms.push(t.elapsed().as_secs_f64() * 1e3);
        csv_bytes = out.len();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "dashboard, {n} requests, {} state changes, {} deliveries, 12 weeks (median of {runs} runs):",
        events.len(),
        deliveries.len()
    );
    println!("  compute figures   {:8.1} ms", median(&mut compute_ms));
    println!(
        "  charts and tables {:8.1} ms  ({} bytes of SVG)",
        median(&mut view_ms),
        page_bytes
    );
    println!(
        "  CSV               {:8.1} ms  ({} bytes)",
        median(&mut csv_ms),
        csv_bytes
    );
}
