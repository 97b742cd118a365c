//! Webhook intake under load: the app in-process with its worker off (intake only: JWT + qsh check, durable write of
//! the delivery and its sync job), and load from a separate process posting signed deliveries with unique identifiers
//! and issue ids. Afterwards the stored deliveries are counted against the 2xx answers.
//!
//! Two kinds of load per backend: closed-loop `wrk` (N connections, each sends when its last answer came: the most
//! the app can take), then open-loop at fixed rates (see `support/open_loop.rs`: latency from intended send time).
//!
//! Run: `cargo bench --bench intake_load` (needs `wrk` on PATH; PostgreSQL too when CLEARANCE_TEST_POSTGRES_URL is
//! set). Knobs: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (comma list, default "8,32"), BENCH_RATES (deliveries
//! per second, comma list, default "2500"; empty for none), BENCH_BACKENDS (default "sqlite,postgres").

#[path = "support/open_loop.rs"]
mod open_loop;

use std::process::Command;

use clearance::{
    app::AppState,
    config::Config,
    crypto::{MasterKeys, tenant_secret_context},
    host::connect::{jwt::Claims, qsh},
    store::{InstallRecord, SealedSecret},
};
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection};

const LUA: &str = r#"
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  token = args[1]
  run = args[2]
  base = tonumber(args[3])
end
request = function()
  counter = counter + 1
  local id = base + tid * 100000000 + counter
  local body = '{"webhookEvent":"jira:issue_created","timestamp":1700000000000,"issue":{"id":"' .. id .. '","key":"DATA-' .. id .. '"}}'
  return wrk.format("POST", "/webhooks/issue-created", {
    ["Authorization"] = "JWT " .. token,
    ["Content-Type"] = "application/json",
    ["X-Atlassian-Webhook-Identifier"] = "bench-" .. run .. "-" .. id,
  }, body)
end
"#;

/// What to run against one backend.
struct Plan {
    seconds: u64,
    connections: Vec<u32>,
    rates: Vec<u64>,
}

async fn run(label: &str, database_url: &str, plan: &Plan) {
    let seconds = plan.seconds;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = Config::from_pairs([
        ("base_url", format!("http://{addr}")),
        ("database_url", database_url.to_string()),
        (
            "master_key",
            MasterKeys::generate().expose_secret().to_string(),
        ),
        ("worker", "false".to_string()),
    ])
    .unwrap();
    let state = AppState::build(cfg).await.unwrap();
    let keys = state.cfg.master_keys.clone().unwrap();
    let (client_key, secret) = ("bench-tenant", "bench-shared-secret");
    let tenant = state
        .store
        .upsert_installed_tenant(&InstallRecord {
            client_key: client_key.into(),
            shared_secret: SealedSecret(keys.seal(&tenant_secret_context(client_key), secret)),
            base_url: "https://bench.atlassian.net".parse().unwrap(),
            display_url: "https://bench.atlassian.net".parse().unwrap(),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .unwrap()
        .tenant;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(clearance::app::serve(state.clone(), listener, async {
        let _ = rx.await;
    }));
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        iss: client_key.into(),
        sub: None,
        qsh: Some(qsh::query_string_hash(
            "POST",
            "/webhooks/issue-created",
            "",
            "",
        )),
        iat: Some(now),
        exp: now + 3600,
        context: None,
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("intake.lua");
    std::fs::write(&script, LUA).unwrap();
    // Issue ids are unique across runs (a repeated one would deduplicate its job and make the run cheaper).
    let mut issue_base = 0u64;
    for &c in &plan.connections {
        issue_base += 1_000_000_000;
        let before = state.store.webhook_event_count(&tenant.id).await.unwrap();
        let out = tokio::task::spawn_blocking({
            let (script, token) = (script.clone(), token.clone());
            move || {
                Command::new("wrk")
                    .args([
                        "-t2",
                        &format!("-c{c}"),
                        &format!("-d{seconds}s"),
                        "--latency",
                        "-s",
                    ])
                    .arg(&script)
                    .arg(format!("http://{addr}"))
                    .arg("--")
                    .arg(token)
                    .arg(format!("{c}-{}", uuid::Uuid::new_v4().simple()))
                    .arg(issue_base.to_string())
                    .output()
                    .expect("wrk on PATH")
            }
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let stored = state.store.webhook_event_count(&tenant.id).await.unwrap() - before;
        let grab = |prefix: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(prefix))
                .map(|l| l.trim().to_owned())
                .unwrap_or_default()
        };
        let requests: i64 = text
            .lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1);
        let non2xx: i64 = grab("Non-2xx")
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        println!(
            "{label:<9} c={c:<3} {} | {} | p50 {} | p90 {} | p99 {} | sent {requests}, non-2xx {non2xx}, stored {stored}{}",
            grab("Requests/sec"),
            grab("Latency"),
            grab("50%").split_whitespace().last().unwrap_or("?"),
            grab("90%").split_whitespace().last().unwrap_or("?"),
            grab("99%").split_whitespace().last().unwrap_or("?"),
            // wrk does not count requests still in flight when it stops; the app may have stored up to c of them.
            if (0..=i64::from(c)).contains(&(stored - (requests - non2xx))) {
                " (nothing lost)"
            } else {
                " (LOST DELIVERIES)"
            }
        );
    }
    for &rate in &plan.rates {
        issue_base += 1_000_000_000;
        let before = state.store.webhook_event_count(&tenant.id).await.unwrap();
        let out = tokio::task::spawn_blocking({
            let token = token.clone();
            move || {
                Command::new(std::env::current_exe().expect("bench executable"))
                    .arg("--open-loop-client")
                    .arg(format!("http://{addr}/webhooks/issue-created"))
                    .arg(token)
                    .arg(uuid::Uuid::new_v4().simple().to_string())
                    .arg(issue_base.to_string())
                    .arg(rate.to_string())
                    .arg(seconds.to_string())
                    .output()
                    .expect("open-loop client")
            }
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let stored = state.store.webhook_event_count(&tenant.id).await.unwrap() - before;
        match open_loop::Outcome::parse(text.trim()) {
            Some((sent, ok, failed, percentiles)) => println!(
                "{label:<9} open loop {rate}/s | {percentiles} ms (from intended send time) | sent {sent}, failed \
                 {failed}, stored {stored}{}",
                // Every request finished before the client exited: stored must equal accepted exactly.
                if stored == i64::try_from(ok).unwrap_or(-1) {
                    " (nothing lost)"
                } else {
                    " (LOST DELIVERIES)"
                }
            ),
            None => println!(
                "{label:<9} open loop {rate}/s failed: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    let _ = tx.send(());
    let _ = server.await;
    state.store.close().await;
}

fn list<T: std::str::FromStr>(var: &str, default: &str) -> Vec<T> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--open-loop-client") {
        return open_loop::client(&args[i + 1..]);
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let plan = Plan {
        seconds: std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
        connections: list("BENCH_CONNECTIONS", "8,32"),
        rates: list("BENCH_RATES", "2500"),
    };
    let backends: Vec<String> = list("BENCH_BACKENDS", "sqlite,postgres");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "webhook intake, {} s per run: wrk -t2 with {:?} connections, open loop at {:?}/s",
        plan.seconds, plan.connections, plan.rates
    );
    rt.block_on(async {
        if backends.iter().any(|b| b == "sqlite") {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/intake.db", dir.path().display());
            run("sqlite", &url, &plan).await;
        }
        if !backends.iter().any(|b| b == "postgres") {
            return;
        }
        if let Ok(admin) = std::env::var("CLEARANCE_TEST_POSTGRES_URL") {
            let name = format!("clearance_bench_{}", std::process::id());
            let mut conn = PgConnection::connect(&admin).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{name}"));
            run("postgres", url.as_str(), &plan).await;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .await
            .unwrap();
        } else {
            println!("postgres  skipped: CLEARANCE_TEST_POSTGRES_URL is unset");
        }
    });
}
