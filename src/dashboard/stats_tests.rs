//! The dashboard's figures from hand-made rows with known times.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::{Inputs, compute};
use crate::{
    dashboard::{
        model::{Outcome, Role},
        window::Window,
    },
    model::AuditAction,
    model::State,
    store::{DashboardRequest, DeliveredRows, ExpiringDelivery, RequestEvent},
};

/// Wednesday 26 Nov 2025, 12:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 26, 12, 0, 0)
        .single()
        .unwrap()
}

fn request(
    id: &str,
    state: State,
    created: DateTime<Utc>,
    scan: Option<serde_json::Value>,
) -> DashboardRequest {
    DashboardRequest {
        id: id.into(),
        state,
        created_at: created,
        pii_scan: scan.map(|s| s.to_string()),
    }
}

fn change(id: &str, at: DateTime<Utc>, from: State, to: State) -> RequestEvent {
    RequestEvent {
        request_id: id.into(),
        at: at.to_rfc3339(),
        action: format!("request.{to}"),
        detail: json!({"from": from, "to": to}).to_string(),
    }
}

fn scan(findings: serde_json::Value) -> serde_json::Value {
    json!({"digest": "d", "sampled": 10, "at": now(), "findings": findings})
}

fn finding(column: &str, categories: &[&str], free_text: bool) -> serde_json::Value {
    let cats: Vec<_> = categories
        .iter()
        .map(|c| json!({"category": c, "confidence": 1.0, "hits": 10, "by_name": true}))
        .collect();
    json!({"column": column, "categories": cats, "free_text": free_text, "blocking": false})
}

#[test]
fn an_empty_site_has_zeros_everywhere() {
    let w = Window::ending(now(), 4);
    let d = compute(
        w,
        &Inputs {
            requests: &[],
            events: &[],
            deliveries: &[],
            expiring: &[],
        },
    );
    assert_eq!(d.weeks.len(), 4);
    assert_eq!(d.requests(), 0);
    assert_eq!(d.rows(), 0);
    assert!(d.lead_times.iter().all(|l| l.spread.is_none()));
    assert!(
        d.waiting
            .iter()
            .all(|r| r.spread.is_none() && r.total_hours == 0.0)
    );
    assert!(d.pii.is_empty());
    assert_eq!(d.scanned, 0);
}

#[test]
fn weeks_lead_times_waiting_and_categories_come_from_the_rows() {
    let w = Window::ending(now(), 3);
    let monday = w.start(); // Mon 10 Nov
    let h = Duration::hours;
    let a = monday + h(10);
    let b = monday + Duration::days(8);
    let c = monday + Duration::days(15);
    let old = monday - Duration::days(1);
    let requests = [
        request(
            "a",
            State::Delivered,
            a,
            Some(scan(json!([
                finding("email", &["email"], false),
                finding("notes", &[], true)
            ]))),
        ),
        request(
            "b",
            State::Rejected,
            b,
            Some(scan(json!([finding("mail", &["email", "name"], false)]))),
        ),
        request("c", State::AwaitingPrivacyApproval, c, None),
        request("old", State::New, old, None),
    ];
    let events = [
        change("a", a, State::New, State::New),
        change("a", a + h(2), State::New, State::InReview),
        change(
            "a",
            a + h(4),
            State::InReview,
            State::AwaitingPrivacyApproval,
        ),
        change(
            "a",
            a + h(10),
            State::AwaitingPrivacyApproval,
            State::Approved,
        ),
        change("a", a + h(11), State::Approved, State::Extracting),
        change("a", a + h(12), State::Extracting, State::AwaitingDelivery),
        change("a", a + h(15), State::AwaitingDelivery, State::Delivered),
        change("b", b + h(1), State::New, State::InReview),
        change(
            "b",
            b + h(3),
            State::InReview,
            State::AwaitingPrivacyApproval,
        ),
        change(
            "b",
            b + h(4),
            State::AwaitingPrivacyApproval,
            State::Rejected,
        ),
        change("c", c + h(1), State::New, State::InReview),
        change(
            "c",
            c + h(2),
            State::InReview,
            State::AwaitingPrivacyApproval,
        ),
        RequestEvent {
            request_id: "a".into(),
            at: (a + h(5)).to_rfc3339(),
            action: AuditAction::RequestDryRun.as_str().into(),
            detail: json!({"columns": ["email"]}).to_string(),
        },
    ];
    let deliveries = [
        DeliveredRows {
            uploaded_at: a + h(12),
            row_count: Some(300),
        },
        DeliveredRows {
            uploaded_at: c,
            row_count: Some(1200),
        },
        DeliveredRows {
            uploaded_at: old,
            row_count: Some(7),
        },
    ];
    let expiring = [ExpiringDelivery {
        issue_key: "DATA-1".into(),
        summary: "<b>x</b>".into(),
        file_name: "DATA-1-ab.zip.age".into(),
        expires_at: now() + Duration::days(3),
    }];
    let d = compute(
        w,
        &Inputs {
            requests: &requests,
            events: &events,
            deliveries: &deliveries,
            expiring: &expiring,
        },
    );
    // One request a week; the one picked up before the window and the unknown state are left out.
    assert_eq!(d.requests(), 3);
    assert_eq!(d.weeks[0].outcomes[Outcome::Delivered.index()], 1);
    assert_eq!(d.weeks[1].outcomes[Outcome::Rejected.index()], 1);
    assert_eq!(d.weeks[2].outcomes[Outcome::Open.index()], 1);
    assert_eq!(
        (d.weeks[0].rows, d.weeks[2].rows, d.rows()),
        (300, 1200, 1500)
    );
    assert_eq!(d.deliveries(), 2);

    // Lead times: only `a` was approved (10 h) and delivered (15 h).
    let approval = d.lead_times[0].spread.unwrap();
    assert_eq!(
        (approval.count, approval.median, approval.p90),
        (1, 10.0, 10.0)
    );
    assert_eq!(d.lead_times[1].spread.unwrap().median, 15.0);

    // Waiting: a — analyst 4 h (new 2 + review 2) + 1 h approved, privacy 6 h, Clearance 1 h, Slack 3 h;
    // b — analyst 3 h, privacy 1 h; c — analyst 2 h, privacy from +2 h until now (still waiting).
    let role = |r: Role| d.waiting[r.index()].clone();
    let analyst = role(Role::Analyst).spread.unwrap();
    assert_eq!((analyst.count, analyst.median, analyst.p90), (3, 3.0, 5.0));
    assert_eq!(role(Role::Analyst).total_hours, 10.0);
    let privacy = role(Role::PrivacyOfficer);
    let c_waiting = (now() - (c + h(2))).num_minutes() as f64 / 60.0;
    assert_eq!(privacy.spread.unwrap().count, 3);
    assert!(
        (privacy.total_hours - (6.0 + 1.0 + c_waiting)).abs() < 1e-6,
        "{privacy:?}"
    );
    assert_eq!(role(Role::Clearance).spread.unwrap().median, 1.0);
    assert_eq!(role(Role::Delivery).total_hours, 3.0);

    // Categories: e-mail in two requests (two columns), name and free text in one each.
    let pii: Vec<(&str, u64, u64)> = d
        .pii
        .iter()
        .map(|p| (p.key.as_str(), p.requests, p.columns))
        .collect();
    assert_eq!(pii, [("email", 2, 2), ("free_text", 1, 1), ("name", 1, 1)]);
    assert_eq!(d.scanned, 2);
    assert_eq!(d.expiries.len(), 1);
    assert_eq!(
        d.expiries[0].summary, "<b>x</b>",
        "kept as text; escaped where shown"
    );
}
