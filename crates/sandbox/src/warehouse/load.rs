//! A whole load: connect, replace the demo tables, run the generator thread and the writers, account for what
//! they report (progress callback, [`Report`]), then index. At most a few chunks exist at once, so memory stays
//! flat whatever the row count.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::anyhow;
use tokio::{
    sync::{Mutex, mpsc},
    task::JoinSet,
};

use super::{
    chunk::{Chunk, produce},
    report::{Progress, Report},
    schema::{self, Engine},
    target::{Conn, Target},
    write::{Event, copy_writer, insert_writer},
};

/// Chunks waiting between the generator thread and the writers.
const CHUNKS_IN_FLIGHT: usize = 2;
/// Minimum time between progress reports.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Largest accepted `rows`: ids stay far inside `BIGINT`, and it is far more than a disk holds anyway.
const MAX_ROWS: u64 = 1 << 40;

/// Customers per chunk (one transaction for SQLite and MySQL) and writer connections, per engine: SQLite has one
/// writer; MySQL parses and inserts on one core per connection; PostgreSQL streams one table per connection.
fn plan(engine: Engine) -> (usize, usize) {
    match engine {
        Engine::Sqlite => (5_000, 1),
        Engine::MySql => (
            2_000,
            std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4)),
        ),
        Engine::Postgres => (2_000, 4),
    }
}

/// Generate `rows` customers (and their orders, payments and tickets) from `seed` into the database at `url`,
/// replacing any previous demo tables (but refusing to drop same-named tables it did not create); `on_progress` is called every few seconds and once at the end of the load.
pub(crate) async fn load(
    url: &str,
    rows: u64,
    seed: u64,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    if rows > MAX_ROWS {
        anyhow::bail!("{rows} customers is too many: at most {MAX_ROWS}");
    }
    let target = Target::parse(url)?;
    let shown: Arc<str> = target.shown.as_str().into();
    let engine = target.engine;
    let (per_chunk, writers) = plan(engine);
    let mut main = target.connect().await?;
    let existing = main
        .strings(&schema::existing_tables(engine), "list tables", &shown)
        .await?;
    if !existing.is_empty() && !existing.iter().any(|t| t == schema::MARKER) {
        anyhow::bail!(
            "{shown} already has tables named {} that the demo generator did not create (no {} table); \
             refusing to drop them: use an empty database",
            existing.join(", "),
            schema::MARKER
        );
    }
    let mut replace = schema::drop_tables();
    replace.extend(schema::create_marker(engine, rows, seed));
    main.run_all(&replace, "replace the previous demo tables", &shown)
        .await?;
    main.run_all(
        &schema::create_tables(engine),
        "create the demo tables",
        &shown,
    )
    .await?;

    let (chunk_tx, chunk_rx) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let producer =
        tokio::task::spawn_blocking(move || produce(engine, rows, seed, per_chunk, &chunk_tx));
    let (event_tx, mut events) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    match main {
        Conn::Postgres(first) => {
            let mut conns = vec![first];
            for _ in 1..writers {
                match target.connect().await? {
                    Conn::Postgres(c) => conns.push(c),
                    _ => anyhow::bail!("internal error: PostgreSQL URL gave another engine"),
                }
            }
            let conns = conns
                .try_into()
                .map_err(|_| anyhow!("internal error: one connection per table"))?;
            let (tx, shown) = (event_tx.clone(), shown.clone());
            tasks.spawn(async move {
                copy_writer(conns, chunk_rx, tx, shown)
                    .await
                    .map(Conn::Postgres)
            });
        }
        first => {
            let chunks = Arc::new(Mutex::new(chunk_rx));
            let mut conns = vec![first];
            for _ in 1..writers {
                conns.push(target.connect().await?);
            }
            for conn in conns {
                tasks.spawn(insert_writer(
                    conn,
                    chunks.clone(),
                    event_tx.clone(),
                    shown.clone(),
                ));
            }
        }
    }
    drop(event_tx);

    let mut report = Report::new(engine);
    let (mut done, mut last) = (0u64, Instant::now());
    while let Some(event) = events.recv().await {
        match event {
            Event::Rows { table, rows, time } => report.add(table, rows, time),
            Event::Customers(n) => {
                done += n;
                if last.elapsed() >= PROGRESS_EVERY {
                    last = Instant::now();
                    on_progress(&Progress::new(
                        done,
                        rows,
                        report.total_rows(),
                        started.elapsed(),
                    ));
                }
            }
            Event::Failed(e) => {
                tasks.abort_all();
                return Err(e);
            }
        }
    }
    let mut conns = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        conns.extend(joined.map_err(|e| anyhow!("a demo data writer crashed: {e}"))?);
    }
    producer
        .await
        .map_err(|e| anyhow!("the demo data generator crashed: {e}"))?
        .map_err(|e| anyhow!("cannot encode demo rows for {}: {e}", engine.name()))?;
    let mut main = conns
        .pop()
        .ok_or_else(|| anyhow!("internal error: no writer connection left"))?;
    for conn in conns {
        conn.close().await?;
    }
    report.load_time = started.elapsed();
    on_progress(&Progress::new(
        done,
        rows,
        report.total_rows(),
        started.elapsed(),
    ));

    tracing::info!(
        "demo data: {} rows stored; creating indexes and foreign keys",
        report.total_rows()
    );
    let indexing = Instant::now();
    main.run_all(&schema::finish(engine), "index the demo tables", &shown)
        .await?;
    report.index_time = indexing.elapsed();
    main.close().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}
