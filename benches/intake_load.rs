//! Webhook intake under load: the app in-process with its worker off (intake only: JWT + qsh check, durable write of
//! the delivery and its sync job in one transaction), and `wrk` in a separate process posting signed deliveries with
//! unique identifiers and issue ids. Afterwards the stored deliveries are counted against wrk's 2xx answers.
//!
//! Run: `cargo bench --bench intake_load` (needs `wrk` on PATH; PostgreSQL too when CLEARANCE_TEST_POSTGRES_URL is
//! set). Knobs: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (comma list, default "8,32").

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
end
request = function()
  counter = counter + 1
  local id = tid * 100000000 + counter
  local body = '{"webhookEvent":"jira:issue_created","timestamp":1700000000000,"issue":{"id":"' .. id .. '","key":"DATA-' .. id .. '"}}'
  return wrk.format("POST", "/webhooks/issue-created", {
    ["Authorization"] = "JWT " .. token,
    ["Content-Type"] = "application/json",
    ["X-Atlassian-Webhook-Identifier"] = "bench-" .. run .. "-" .. id,
  }, body)
end
"#;

async fn run(label: &str, database_url: &str, seconds: u64, connections: &[u32]) {
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
    for &c in connections {
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
    let _ = tx.send(());
    let _ = server.await;
    state.store.close().await;
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let connections: Vec<u32> = std::env::var("BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "8,32".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("webhook intake, wrk -t2 for {seconds} s per run");
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        run(
            "sqlite",
            &format!("sqlite://{}/intake.db", dir.path().display()),
            seconds,
            &connections,
        )
        .await;
        if let Ok(admin) = std::env::var("CLEARANCE_TEST_POSTGRES_URL") {
            let name = format!("clearance_bench_{}", std::process::id());
            let mut conn = PgConnection::connect(&admin).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{name}"));
            run("postgres", url.as_str(), seconds, &connections).await;
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
