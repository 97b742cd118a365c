//! The batched writer. A blocking thread generates chunks of customers and encodes them (bind parameters, or COPY
//! text for PostgreSQL); the async side writes each chunk in one transaction, table by table, parents first. At
//! most a few chunks exist at once, so memory stays flat whatever the row count.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow};
use sqlx::{
    AssertSqlSafe, Connection, error::BoxDynError, mysql::MySqlArguments, sqlite::SqliteArguments,
};
use tokio::sync::mpsc;

use super::{
    encode::{Binds, CopyText, InsertSql, Row, Sink, column_list},
    generator::Generator,
    report::{Progress, Report},
    rows::Batch,
    schema::{self, Engine, TABLES},
    target::{Conn, Target},
};

/// Customers generated, encoded and committed together.
const CUSTOMERS_PER_CHUNK: usize = 2_000;
/// Chunks waiting between the generator thread and the writer.
const CHUNKS_IN_FLIGHT: usize = 2;
/// Rows per `INSERT` statement, below each engine's bind-parameter limit (SQLite 32766, MySQL 65535).
const MAX_ROWS_PER_INSERT: usize = 1_000;
/// Minimum time between progress reports.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Largest accepted `rows` (ids are `BIGINT`, orders ≈ 3.5 × customers at most… and far more than a disk holds).
const MAX_ROWS: u64 = 1 << 40;

/// What one statement or `COPY` carries.
enum Body {
    Sqlite(SqliteArguments),
    MySql(MySqlArguments),
    Copy(Vec<u8>),
}

/// One statement's worth of one table's rows.
struct Part {
    table: usize,
    rows: usize,
    sql: Arc<str>,
    body: Body,
}

/// The encoded rows of [`CUSTOMERS_PER_CHUNK`] customers.
struct Chunk {
    customers: u64,
    parts: Vec<Part>,
}

/// Generate `rows` customers (and their orders, payments and tickets) from `seed` into the database at `url`,
/// replacing any previous demo tables; `on_progress` is called every few seconds and once at the end of the load.
pub(crate) async fn load(
    url: &str,
    rows: u64,
    seed: u64,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    if rows > MAX_ROWS {
        anyhow::bail!("{rows} rows is too many: at most {MAX_ROWS} customers");
    }
    let target = Target::parse(url)?;
    let shown = target.shown.clone();
    let engine = target.engine;
    let mut conn = target.connect().await?;
    conn.run_all(
        &schema::drop_tables(),
        "drop the previous demo tables",
        &shown,
    )
    .await?;
    conn.run_all(
        &schema::create_tables(engine),
        "create the demo tables",
        &shown,
    )
    .await?;

    let (tx, mut rx) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let producer = tokio::task::spawn_blocking(move || produce(engine, rows, seed, &tx));
    let mut report = Report::new(engine);
    let mut last_progress = Instant::now();
    let mut customers_done = 0u64;
    while let Some(chunk) = rx.recv().await {
        customers_done += chunk.customers;
        write_chunk(&mut conn, chunk, &mut report, &shown).await?;
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            on_progress(&Progress::new(
                customers_done,
                rows,
                report.total_rows(),
                started.elapsed(),
            ));
        }
    }
    producer
        .await
        .map_err(|e| anyhow!("the demo data generator crashed: {e}"))?
        .map_err(|e| anyhow!("cannot encode demo rows for {}: {e}", engine.name()))?;
    report.load_time = started.elapsed();
    on_progress(&Progress::new(
        customers_done,
        rows,
        report.total_rows(),
        started.elapsed(),
    ));

    let indexing = Instant::now();
    conn.run_all(&schema::finish(engine), "index the demo tables", &shown)
        .await?;
    report.index_time = indexing.elapsed();
    conn.close().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The generator thread: chunks of customers, encoded for `engine`, until done or the writer hangs up.
fn produce(
    engine: Engine,
    rows: u64,
    seed: u64,
    tx: &mpsc::Sender<Chunk>,
) -> Result<(), BoxDynError> {
    let mut generator = Generator::new(rows, seed);
    let mut sql = InsertSql::default();
    while let Some(batch) = generator.next_batch(CUSTOMERS_PER_CHUNK) {
        let chunk = encode(engine, batch, &mut sql)?;
        if tx.blocking_send(chunk).is_err() {
            break; // the writer failed and reports why
        }
    }
    Ok(())
}

fn encode(engine: Engine, batch: Batch, sql: &mut InsertSql) -> Result<Chunk, BoxDynError> {
    let mut parts = Vec::new();
    encode_table(engine, 0, &batch.customers, sql, &mut parts)?;
    encode_table(engine, 1, &batch.orders, sql, &mut parts)?;
    encode_table(engine, 2, &batch.payments, sql, &mut parts)?;
    encode_table(engine, 3, &batch.support_tickets, sql, &mut parts)?;
    Ok(Chunk {
        customers: batch.customers.len() as u64,
        parts,
    })
}

fn encode_table<R: Row>(
    engine: Engine,
    table: usize,
    rows: &[R],
    sql: &mut InsertSql,
    parts: &mut Vec<Part>,
) -> Result<(), BoxDynError> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns = R::TABLE.columns.len();
    match engine {
        Engine::Postgres => {
            let mut text = CopyText::with_capacity(rows.len() * columns * 16);
            for row in rows {
                row.write(&mut text);
            }
            let copy = format!(
                "COPY {} ({}) FROM STDIN",
                R::TABLE.name,
                column_list(R::TABLE)
            );
            parts.push(Part {
                table,
                rows: rows.len(),
                sql: copy.into(),
                body: Body::Copy(text.data),
            });
        }
        Engine::Sqlite => {
            for group in rows.chunks(MAX_ROWS_PER_INSERT.min(32_766 / columns)) {
                let args = bind(group, SqliteArguments::default())?;
                let sql = sql.get(R::TABLE, group.len());
                parts.push(Part {
                    table,
                    rows: group.len(),
                    sql,
                    body: Body::Sqlite(args),
                });
            }
        }
        Engine::MySql => {
            for group in rows.chunks(MAX_ROWS_PER_INSERT.min(65_535 / columns)) {
                let args = bind(group, MySqlArguments::default())?;
                let sql = sql.get(R::TABLE, group.len());
                parts.push(Part {
                    table,
                    rows: group.len(),
                    sql,
                    body: Body::MySql(args),
                });
            }
        }
    }
    Ok(())
}

fn bind<R: Row, A>(rows: &[R], args: A) -> Result<A, BoxDynError>
where
    Binds<A>: Sink,
{
    let mut binds = Binds { args, error: None };
    for row in rows {
        row.write(&mut binds);
    }
    match binds.error {
        Some(e) => Err(e),
        None => Ok(binds.args),
    }
}

/// Write one chunk in one transaction.
async fn write_chunk(
    conn: &mut Conn,
    chunk: Chunk,
    report: &mut Report,
    shown: &str,
) -> anyhow::Result<()> {
    let failed = |table: usize| format!("cannot write to {} in {shown}", TABLES[table].name);
    match conn {
        Conn::Sqlite(c) => {
            let mut tx = c
                .begin()
                .await
                .with_context(|| format!("cannot start a transaction in {shown}"))?;
            for part in chunk.parts {
                let (t0, table, rows) = (Instant::now(), part.table, part.rows);
                let Body::Sqlite(args) = part.body else {
                    continue;
                };
                let q = sqlx::query_with(AssertSqlSafe(part.sql), args);
                q.execute(&mut *tx).await.with_context(|| failed(table))?;
                report.add(table, rows, t0.elapsed());
            }
            tx.commit()
                .await
                .with_context(|| format!("cannot commit in {shown}"))?;
        }
        Conn::MySql(c) => {
            let mut tx = c
                .begin()
                .await
                .with_context(|| format!("cannot start a transaction in {shown}"))?;
            for part in chunk.parts {
                let (t0, table, rows) = (Instant::now(), part.table, part.rows);
                let Body::MySql(args) = part.body else {
                    continue;
                };
                let q = sqlx::query_with(AssertSqlSafe(part.sql), args);
                q.execute(&mut *tx).await.with_context(|| failed(table))?;
                report.add(table, rows, t0.elapsed());
            }
            tx.commit()
                .await
                .with_context(|| format!("cannot commit in {shown}"))?;
        }
        Conn::Postgres(c) => {
            let mut tx = c
                .begin()
                .await
                .with_context(|| format!("cannot start a transaction in {shown}"))?;
            for part in chunk.parts {
                let (t0, table, rows) = (Instant::now(), part.table, part.rows);
                let Body::Copy(data) = part.body else {
                    continue;
                };
                let mut copy = tx
                    .copy_in_raw(&part.sql)
                    .await
                    .with_context(|| failed(table))?;
                copy.send(data).await.with_context(|| failed(table))?;
                copy.finish().await.with_context(|| failed(table))?;
                report.add(table, rows, t0.elapsed());
            }
            tx.commit()
                .await
                .with_context(|| format!("cannot commit in {shown}"))?;
        }
    }
    Ok(())
}
