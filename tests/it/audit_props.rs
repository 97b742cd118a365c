//! Property test of the audit chain on a real store: chains of events with arbitrary details (floats of every kind,
//! extreme integers, any Unicode, nesting, empty containers, long strings) always verify, and changing any one byte
//! of any column the hash covers (detail, actor, action, at, request_id, seq, prev_hash, hash) with an SQL UPDATE is
//! always caught at that very event (on SQLite, which keeps any bytes in a TEXT column, the new byte may leave the
//! text invalid UTF-8 or hold a NUL). Cases per backend: `CLEARANCE_AUDIT_PROP_CASES` (default 48).

use std::time::Instant;

use clearance::{
    audit::{AuditAction, verify},
    store::{AuditEvent, NewAuditEvent, Store},
};
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::Value;

use crate::{
    audit_exact::{tenant, update},
    helpers::{Backend, TestApp},
    on_each_backend,
};

on_each_backend!(untouched_chains_verify_and_every_byte_counts);

/// The columns a change to which the chain must catch.
const COLUMNS: [&str; 8] = [
    "detail",
    "actor",
    "action",
    "at",
    "request_id",
    "seq",
    "prev_hash",
    "hash",
];

/// Any JSON value; the floats issue 15 saw come up often.
fn json_value() -> impl Strategy<Value = Value> {
    let awkward = [
        2.4640395809999998,
        0.1 + 0.2,
        1e300,
        -0.0,
        5e-324,
        f64::MAX,
        1e16,
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(awkward.to_vec()).prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        any::<String>().prop_map(Value::from),
        "[\u{0}-\u{1f}\"\\\\\u{7f}\u{2028}\u{2029}😀𝄞é]{0,8}".prop_map(Value::from),
        (0_usize..3000).prop_map(|n| Value::from("ü".repeat(n))),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text PostgreSQL can store (no NUL), of any other characters.
fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,12}"
}

fn event() -> impl Strategy<Value = NewAuditEvent> {
    (
        text(),
        prop::sample::select(AuditAction::ALL),
        prop::option::of(text()),
        json_value(),
    )
        .prop_map(|(actor, action, request_id, detail)| NewAuditEvent {
            actor,
            action,
            request_id,
            detail,
        })
}

/// One change: which event, where in the column's text, and the byte to try first.
type Change = (Index, Index, u8);

/// `s` with the byte at `at` replaced by another: the first from `with` on, or, unless `any` (SQLite keeps any bytes
/// in a TEXT column), the first that keeps the text valid UTF-8 without NUL (PostgreSQL's rule). An empty text gains
/// one byte.
fn change_one_byte(s: &str, at: Index, with: u8, any: bool) -> Vec<u8> {
    if s.is_empty() {
        return b"x".to_vec();
    }
    let i = at.index(s.len());
    (0..=255_u8)
        .map(|k| with.wrapping_add(k))
        .filter(|b| *b != s.as_bytes()[i])
        .map(|b| {
            let mut bytes = s.as_bytes().to_vec();
            bytes[i] = b;
            bytes
        })
        .find(|bytes| any || (!bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()))
        .unwrap_or_else(|| panic!("no byte can replace byte {i} of {s:?}"))
}

/// `seq` with one decimal digit replaced so that it names no other event of the chain (the table keeps positions
/// unique); digits only, so the column still holds a number.
fn change_one_digit(seq: i64, at: Index, with: u8, events: i64) -> i64 {
    let digits = seq.to_string().into_bytes();
    let i = at.index(digits.len());
    (0..10_u8)
        .map(|k| b'0' + (with % 10 + k) % 10)
        .filter(|d| *d != digits[i])
        .filter_map(|d| {
            let mut changed = digits.clone();
            changed[i] = d;
            String::from_utf8(changed).ok()?.parse::<i64>().ok()
        })
        .find(|n| !(1..=events).contains(n))
        .unwrap_or_else(|| panic!("no digit can replace digit {i} of {seq}"))
}

/// Change one byte of `column` of `ev` in the database.
async fn apply(store: &Store, ev: &AuditEvent, column: &str, (_, at, with): Change, n: i64) {
    let any = matches!(store, Store::Sqlite(..));
    let text = |s: &str| change_one_byte(s, at, with, any);
    let (sql, value) = match column {
        "detail" => (
            "UPDATE audit_events SET detail = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.detail),
        ),
        "actor" => (
            "UPDATE audit_events SET actor = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.actor),
        ),
        "action" => (
            "UPDATE audit_events SET action = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.action),
        ),
        "at" => (
            "UPDATE audit_events SET at = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.at),
        ),
        // A missing request becomes an empty one: null and "" hash differently.
        "request_id" => (
            "UPDATE audit_events SET request_id = CAST($1 AS TEXT) WHERE id = $2",
            ev.request_id.as_deref().map_or(Vec::new(), text),
        ),
        "seq" => (
            "UPDATE audit_events SET seq = CAST($1 AS BIGINT) WHERE id = $2",
            change_one_digit(ev.seq, at, with, n)
                .to_string()
                .into_bytes(),
        ),
        "prev_hash" => (
            "UPDATE audit_events SET prev_hash = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.prev_hash),
        ),
        "hash" => (
            "UPDATE audit_events SET hash = CAST($1 AS TEXT) WHERE id = $2",
            text(&ev.hash),
        ),
        other => panic!("no column {other}"),
    };
    // SQLite gets the bytes as they are (a blob cast to text); PostgreSQL takes text only.
    match store {
        Store::Sqlite(p, _) => sqlx::query(sql)
            .bind(value)
            .bind(&ev.id)
            .execute(p)
            .await
            .map(drop),
        Store::Postgres(p) => {
            let value = String::from_utf8(value).expect("PostgreSQL changes keep UTF-8");
            sqlx::query(sql)
                .bind(value)
                .bind(&ev.id)
                .execute(p)
                .await
                .map(drop)
        }
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Put every column of `ev` back as it was written.
async fn restore(store: &Store, ev: &AuditEvent) {
    let sql = "UPDATE audit_events SET seq = CAST($1 AS BIGINT), at = $2, actor = $3, action = $4, request_id = $5, \
               detail = $6, prev_hash = $7, hash = $8 WHERE id = $9";
    let seq = ev.seq.to_string();
    let params = [
        Some(seq.as_str()),
        Some(ev.at.as_str()),
        Some(ev.actor.as_str()),
        Some(ev.action.as_str()),
        ev.request_id.as_deref(),
        Some(ev.detail.as_str()),
        Some(ev.prev_hash.as_str()),
        Some(ev.hash.as_str()),
        Some(ev.id.as_str()),
    ];
    update(store, sql, &params).await;
}

/// One case: append the events to a new tenant's chain, verify it, then change each column of one event in turn.
async fn case(
    app: &TestApp,
    events: Vec<NewAuditEvent>,
    changes: [Change; 8],
) -> Result<(), TestCaseError> {
    let store = &app.state.store;
    let t = tenant(app, "prop").await;
    for ev in &events {
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&t, ev).await.unwrap();
        tx.commit().await.unwrap();
    }
    let n = events.len() as i64;
    let report = verify::verify(store, &t).await.unwrap();
    prop_assert!(report.ok(), "an untouched chain failed: {}", report);
    prop_assert_eq!(report.verified, n);
    let stored = store.audit_page(&t, 0, n).await.unwrap();
    for (column, change) in COLUMNS.iter().zip(changes) {
        let ev = &stored[change.0.index(stored.len())];
        apply(store, ev, column, change, n).await;
        let report = verify::verify(store, &t).await.unwrap();
        let broken = report.broken.as_ref();
        prop_assert!(
            broken.is_some(),
            "a changed {} of event #{} went unnoticed",
            column,
            ev.seq
        );
        prop_assert_eq!(
            broken.map(|b| b.seq),
            Some(ev.seq),
            "{} of event #{}: {}",
            column,
            ev.seq,
            report
        );
        restore(store, ev).await;
    }
    let report = verify::verify(store, &t).await.unwrap();
    prop_assert!(report.ok(), "the restored chain failed: {}", report);
    Ok(())
}

async fn untouched_chains_verify_and_every_byte_counts(backend: Backend) {
    let cases = std::env::var("CLEARANCE_AUDIT_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let app = TestApp::spawn(backend).await;
    let handle = tokio::runtime::Handle::current();
    let started = Instant::now();
    // proptest drives the cases from a blocking thread; each case runs on the test's runtime.
    let (app, result) = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            prop::collection::vec(event(), 1..7),
            any::<[(Index, Index, u8); 8]>(),
        );
        let result = runner.run(&strategy, |(events, changes)| {
            handle.block_on(case(&app, events, changes))
        });
        (app, result)
    })
    .await
    .unwrap();
    eprintln!(
        "audit property test: {cases} chains, {} column changes, {:.1} s",
        cases * 8,
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // The command sees every chain intact again.
    let out = crate::helpers::clearance_command()
        .env("CLEARANCE_DATABASE_URL", &app.database_url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    app.cleanup().await;
}
