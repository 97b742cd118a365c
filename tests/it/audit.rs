//! The audit chain: appends from many writers at once stay one chain; editing, deleting, reordering or re-hashing
//! events in the database is detected and the first broken event named, by the library and by
//! `clearance audit verify`; exports in CSV and JSON lines carry every event.

use std::process::Command;

use clearance::{
    audit::{AuditAction, export, verify},
    store::{NewAuditEvent, Store},
};
use serde_json::json;

use crate::{
    helpers::{Backend, Site, TestApp},
    on_each_backend,
};

on_each_backend!(
    concurrent_appends_keep_one_chain,
    tampering_is_detected,
    exports_carry_every_event,
);

/// The binary with a clean environment (no CLEARANCE_* from the test run) on the test's database.
fn clearance(database_url: &str) -> Command {
    let mut c = crate::helpers::clearance_command();
    c.env("CLEARANCE_DATABASE_URL", database_url);
    c
}

async fn tenant(app: &TestApp, name: &str) -> String {
    let site = Site::new(name);
    app.install(&site).await;
    app.tenant(&site.client_key).await.unwrap().tenant.id
}

async fn append(store: &Store, tenant_id: &str, n: usize) {
    for i in 0..n {
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: format!("557058:user-{i}"),
                action: AuditAction::RequestClaimed,
                request_id: Some(format!("req-{}", i % 2)),
                detail: json!({"i": i, "reason": "ok"}),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn exec(app: &TestApp, sql: &str) {
    match &app.state.store {
        Store::Sqlite(p, _) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(drop),
        Store::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(drop),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn concurrent_appends_keep_one_chain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, b) = (tenant(&app, "acme").await, tenant(&app, "beta").await);
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = app.state.store.clone();
        let t = if i % 3 == 0 { b.clone() } else { a.clone() };
        tasks.push(tokio::spawn(async move { append(&store, &t, 2).await }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for (t, n) in [(&a, 32), (&b, 16)] {
        let report = verify::verify(&app.state.store, t).await.unwrap();
        assert!(report.ok(), "{report}");
        assert_eq!(report.verified, n);
        let seqs: Vec<i64> = app
            .state
            .store
            .audit_page(t, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    }
    app.cleanup().await;
}

/// One tenant per kind of tampering, each with six events; `(name, sql, first broken seq, words in the problem)`.
async fn tampering_is_detected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let untouched = tenant(&app, "clean").await;
    append(&app.state.store, &untouched, 6).await;
    let cases: [(&str, &str, i64, &str); 7] = [
        (
            "edit-detail",
            "UPDATE audit_events SET detail = '{\"i\":2,\"reason\":\"forged\"}' WHERE {t} AND seq = 3",
            3,
            "changed",
        ),
        (
            "edit-actor",
            "UPDATE audit_events SET actor = '557058:someone-else' WHERE {t} AND seq = 2",
            2,
            "changed",
        ),
        (
            "edit-time",
            "UPDATE audit_events SET at = '2020-01-01T00:00:00.000000Z' WHERE {t} AND seq = 5",
            5,
            "changed",
        ),
        (
            "delete-middle",
            "DELETE FROM audit_events WHERE {t} AND seq = 4",
            4,
            "missing",
        ),
        (
            "delete-tail",
            "DELETE FROM audit_events WHERE {t} AND seq = 6",
            6,
            "removed from the end",
        ),
        (
            "reorder",
            "UPDATE audit_events SET seq = -2 WHERE {t} AND seq = 2; UPDATE audit_events SET seq = 2 WHERE {t} AND seq = 3; \
             UPDATE audit_events SET seq = 3 WHERE {t} AND seq = -2",
            2,
            "",
        ),
        // A forger who also recomputes the edited event's own hash still breaks the next link.
        ("rehash", "", 4, "does not link"),
    ];
    let mut ids = Vec::new();
    for (name, sql, _, _) in &cases {
        let t = tenant(&app, name).await;
        append(&app.state.store, &t, 6).await;
        if !sql.is_empty() {
            exec(&app, &sql.replace("{t}", &format!("tenant_id = '{t}'"))).await;
        }
        ids.push(t);
    }
    // The re-hash forgery: change event 3 and give it the hash its new content would have.
    let forged = {
        let t = &ids[6];
        let mut ev = app.state.store.audit_page(t, 2, 1).await.unwrap().remove(0);
        ev.actor = "557058:forger".into();
        clearance::store::audit_chain::hash(&ev.prev_hash, &ev.link())
    };
    exec(
        &app,
        &format!("UPDATE audit_events SET actor = '557058:forger', hash = '{forged}' WHERE tenant_id = '{}' AND seq = 3", ids[6]),
    )
    .await;

    for ((name, _, seq, words), t) in cases.iter().zip(&ids) {
        let report = verify::verify(&app.state.store, t).await.unwrap();
        let broken = report
            .broken
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: not detected"));
        assert_eq!(broken.seq, *seq, "{name}: {report}");
        assert!(broken.problem.contains(words), "{name}: {report}");
        assert_eq!(report.verified, seq - 1, "{name}: {report}");
    }
    assert!(
        verify::verify(&app.state.store, &untouched)
            .await
            .unwrap()
            .ok()
    );

    // The command says the same and exits 1.
    let out = clearance(&app.database_url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok: 6 events verified"), "{text}");
    assert!(text.contains("BROKEN at event #3"), "{text}");
    assert!(text.contains("removed from the end"), "{text}");
    let clean_key = app
        .state
        .store
        .tenant_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(id, _)| *id == untouched)
        .unwrap()
        .1;
    let out = clearance(&app.database_url)
        .args(["audit", "verify", "--tenant", &clean_key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    app.cleanup().await;
}

async fn exports_carry_every_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "acme").await;
    append(&app.state.store, &t, 5).await;
    let mut csv_out = Vec::new();
    assert_eq!(
        export::export(&app.state.store, &t, export::Format::Csv, &mut csv_out)
            .await
            .unwrap(),
        5
    );
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "seq");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[4][0], "5");
    let detail: serde_json::Value = serde_json::from_str(&rows[2][5]).unwrap();
    assert_eq!(detail["i"], 2);

    let mut jsonl = Vec::new();
    export::export(&app.state.store, &t, export::Format::Jsonl, &mut jsonl)
        .await
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0]["prev_hash"],
        clearance::store::audit_chain::GENESIS
    );
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    assert_eq!(lines[3]["detail"]["reason"], "ok");

    // Through the command, into a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let key = app.state.store.tenant_keys().await.unwrap().remove(0).1;
    let out = clearance(&app.database_url)
        .args([
            "audit", "export", "--tenant", &key, "--format", "jsonl", "--out",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5);
    let out = clearance(&app.database_url)
        .args(["audit", "export", "--tenant", "no-such-site"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tenant"));
    app.cleanup().await;
}
