//! The audit chain: how fast events are appended (one transaction each, as a state change does, from 1 and from 8
//! concurrent writers on one tenant) and how fast `audit verify` walks a chain.
//!
//! Run: `cargo bench --bench audit` (PostgreSQL too when CLEARANCE_TEST_POSTGRES_URL is set). Knob: BENCH_EVENTS
//! (default 20000, appended per run).

use std::time::Instant;

use clearance::{
    audit::AuditAction,
    audit::verify,
    crypto::{MasterKeys, tenant_secret_context},
    store::{InstallRecord, NewAuditEvent, SealedSecret, Store},
};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};

async fn tenant(store: &Store, name: &str) -> String {
    let keys = MasterKeys::parse(MasterKeys::generate().expose_secret(), &[]).unwrap();
    store
        .upsert_installed_tenant(&InstallRecord {
            client_key: name.into(),
            shared_secret: SealedSecret(keys.seal(&tenant_secret_context(name), "secret")),
            base_url: "https://bench.atlassian.net".parse().unwrap(),
            display_url: "https://bench.atlassian.net".parse().unwrap(),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .unwrap()
        .tenant
        .id
}

async fn append(store: &Store, tenant_id: &str, n: usize, writer: usize) {
    for i in 0..n {
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: "557058:bench-analyst".into(),
                action: AuditAction::RequestPlanSaved,
                request_id: Some(format!("req-{writer}-{}", i % 50)),
                detail: json!({"digest": "ab".repeat(32), "from": "in_review", "to": "in_review", "i": i}),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn run(label: &str, url: &str, events: usize) {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    for writers in [1_usize, 8] {
        let t = tenant(&store, &format!("bench-{writers}")).await;
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (store, t) = (store.clone(), t.clone());
                tokio::spawn(async move { append(&store, &t, events / writers, w).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let n = (events / writers) * writers;
        println!(
            "{label}: append, {writers} writer(s): {n} events in {secs:.2} s = {:.0} events/s ({:.2} ms each)",
            n as f64 / secs,
            secs * 1000.0 / n as f64
        );
        let started = Instant::now();
        let report = verify::verify(&store, &t).await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert!(report.ok(), "{report}");
        assert_eq!(report.verified as usize, n);
        println!(
            "{label}: verify: {n} events in {secs:.2} s = {:.0} events/s",
            n as f64 / secs
        );
    }
    store.close().await;
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    run(
        "SQLite",
        &format!("sqlite://{}", dir.path().join("audit.db").display()),
        events,
    )
    .await;
    match std::env::var("CLEARANCE_TEST_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("clearance_bench_audit_{}", std::process::id());
            let mut conn = PgConnection::connect(&admin).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            run("PostgreSQL", url.as_str(), events).await;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .await
            .unwrap();
        }
        Err(_) => println!("PostgreSQL SKIPPED: CLEARANCE_TEST_POSTGRES_URL is not set"),
    }
}
