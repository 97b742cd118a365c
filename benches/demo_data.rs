//! Throughput of the demo warehouse generator: the pure row generator alone, then a full load into a temporary
//! SQLite file and, when their variables are set, into a fresh PostgreSQL and MariaDB database (dropped after).
//! Prints rows/s per table (over the writers' time in that table's statements, summed over connections; not for
//! PostgreSQL, which streams the four tables at once) and overall (wall clock, with and without building indexes
//! and foreign keys).
//!
//! Run: `cargo bench --bench demo_data` (PostgreSQL with CLEARANCE_TEST_POSTGRES_URL, MariaDB with
//! CLEARANCE_TEST_MYSQL_URL). Knob: BENCH_ROWS customers (default 100000).

use std::time::Instant;

use clearance_sandbox::warehouse::{self, DEFAULT_SEED, Engine, Generator, Report};
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection};

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass other flags: only run under cargo bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rows = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000u64);
    println!("demo warehouse, {rows} customers, seed {DEFAULT_SEED:#x}");
    generator_only(rows);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        print_report(
            &warehouse::generate(&url, rows, DEFAULT_SEED)
                .await
                .expect("SQLite load"),
        );
        for (var, engine) in [
            ("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL"),
            ("CLEARANCE_TEST_MYSQL_URL", "MariaDB"),
        ] {
            match std::env::var(var) {
                Ok(admin) if !admin.trim().is_empty() => server(admin.trim(), engine, rows).await,
                _ => println!("\n{engine}: skipped ({var} is unset)"),
            }
        }
    });
}

/// Rows/s of the generator without any database.
fn generator_only(rows: u64) {
    let started = Instant::now();
    let mut generator = Generator::new(rows, DEFAULT_SEED);
    let mut total = 0usize;
    while let Some(batch) = generator.next_batch(5_000) {
        total += batch.total_rows();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "\ngenerator only: {total} rows in {secs:.2} s = {:.0} rows/s",
        total as f64 / secs
    );
}

/// Load into a fresh database on the server at `admin`, then drop it.
async fn server(admin: &str, engine: &str, rows: u64) {
    let name = format!("clearance_bench_{}", uuid::Uuid::new_v4().simple());
    let mut url = url::Url::parse(admin).expect("server URL");
    url.set_path(&format!("/{name}"));
    let create = AssertSqlSafe(format!("CREATE DATABASE {name}"));
    let drop = AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"));
    if engine == "PostgreSQL" {
        let mut admin = PgConnection::connect(admin)
            .await
            .expect("connect to PostgreSQL");
        admin.execute(create).await.expect("create database");
        let report = warehouse::generate(url.as_str(), rows, DEFAULT_SEED).await;
        admin.execute(drop).await.expect("drop database");
        print_report(&report.expect("PostgreSQL load"));
    } else {
        let mut admin = MySqlConnection::connect(admin)
            .await
            .expect("connect to MariaDB");
        admin.execute(create).await.expect("create database");
        let report = warehouse::generate(url.as_str(), rows, DEFAULT_SEED).await;
        admin.execute(drop).await.expect("drop database");
        print_report(&report.expect("MariaDB load"));
    }
}

fn print_report(r: &Report) {
    println!("\n{}", r.engine.name());
    println!(
        "  {:<16} {:>10} {:>10} {:>12}",
        "table", "rows", "writer s", "rows/s"
    );
    let streamed = r.engine == Engine::Postgres;
    for (table, t) in r.tables() {
        let secs = t.write_time.as_secs_f64();
        let rate = if streamed {
            "streamed".to_owned()
        } else {
            format!("{:.0}", t.rows_per_sec())
        };
        println!("  {table:<16} {:>10} {secs:>10.2} {rate:>12}", t.rows);
    }
    let load = r.load_time.as_secs_f64();
    println!(
        "  {:<16} {:>10} {:>10.2} {:>12.0}  (load {load:.2} s = {:.0} rows/s, indexes {:.2} s)",
        "total",
        r.total_rows(),
        r.elapsed.as_secs_f64(),
        r.rows_per_sec(),
        r.total_rows() as f64 / load,
        r.index_time.as_secs_f64()
    );
}
