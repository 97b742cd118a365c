//! Load benchmark of the authenticated request path: the app in-process on a loopback port, N concurrent clients
//! calling the panel API with a context token (tenant lookup, secret unsealing, HS256, qsh) for a fixed time.
//! Reports requests/s and latency percentiles per database backend.
//!
//! Run: `cargo bench --bench auth_load` (PostgreSQL too when CLEARANCE_TEST_POSTGRES_URL is set).
//! Knobs: BENCH_SECONDS (default 5), BENCH_CONCURRENCY (default 32).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use clearance::{
    app::AppState,
    config::Config,
    crypto::MasterKeys,
    store::{InstallRecord, SealedSecret},
};
use jsonwebtoken::{EncodingKey, Header, encode};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(label: &str, database_url: &str, seconds: u64, concurrency: u64) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let master = MasterKeys::generate().expose_secret().to_string();
    let cfg = Config::from_pairs([
        ("base_url", format!("http://{addr}")),
        ("database_url", database_url.to_string()),
        ("master_key", master),
    ])
    .unwrap();
    let state = AppState::build(cfg).await.unwrap();
    let keys = state.cfg.master_keys.clone().unwrap();
    let client_key = "bench-tenant";
    let secret = "bench-shared-secret";
    state
        .store
        .upsert_installed_tenant(&InstallRecord {
            client_key: client_key.into(),
            shared_secret: SealedSecret(keys.seal(
                &clearance::crypto::tenant_secret_context(client_key),
                secret,
            )),
            base_url: "https://bench.atlassian.net".parse().unwrap(),
            display_url: "https://bench.atlassian.net".parse().unwrap(),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(clearance::app::serve(state.clone(), listener, async {
        let _ = rx.await;
    }));

    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": client_key, "sub": "557058:bench", "qsh": "context-qsh", "iat": now, "exp": now + 3600});
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let url = format!("http://{addr}/api/panel/context");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()
        .unwrap();

    // Warm-up.
    for _ in 0..200 {
        assert!(
            http.get(&url)
                .header("Authorization", format!("JWT {token}"))
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, latencies) =
            (http.clone(), url.clone(), token.clone(), latencies.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let resp = http
                    .get(&url)
                    .header("Authorization", format!("JWT {token}"))
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success());
                let _ = resp.bytes().await.unwrap();
                mine.push(t.elapsed());
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    println!(
        "{label:<10} {:>7} requests in {:.1} s = {:>7.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms",
        l.len(),
        elapsed.as_secs_f64(),
        l.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        l[l.len() - 1].as_secs_f64() * 1e3,
    );
    let _ = tx.send(());
    let _ = server.await;
    state.store.close().await;
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass other flags: only run under cargo bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let seconds = env_num("BENCH_SECONDS", 5);
    let concurrency = env_num("BENCH_CONCURRENCY", 32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "authenticated panel API calls, {concurrency} concurrent clients, {seconds} s per backend"
    );
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        run(
            "sqlite",
            &format!("sqlite://{}/bench.db", dir.path().display()),
            seconds,
            concurrency,
        )
        .await;
        match std::env::var("CLEARANCE_TEST_POSTGRES_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("clearance_bench_{}", std::process::id());
                let mut conn = PgConnection::connect(&admin).await.unwrap();
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&format!("/{name}"));
                run("postgres", url.as_str(), seconds, concurrency).await;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE {name} WITH (FORCE)"
                )))
                .await
                .unwrap();
            }
            _ => println!("postgres   skipped: CLEARANCE_TEST_POSTGRES_URL is unset"),
        }
    });
}
