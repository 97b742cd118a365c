//! The generator thread's side of a load: chunks of customers generated and encoded for one engine — bind
//! parameters of multi-row `INSERT`s below the engine's limit (SQLite, MySQL), or `COPY` text (PostgreSQL) — and
//! handed to the writers through a bounded channel.

use std::sync::Arc;

use sqlx::{error::BoxDynError, mysql::MySqlArguments, sqlite::SqliteArguments};
use tokio::sync::mpsc;

use super::{
    encode::{Binds, CopyText, InsertSql, Row, Sink},
    generator::Generator,
    rows::Batch,
    schema::Engine,
};

/// Bind parameters allowed in one statement: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (3.32+) and MySQL's protocol
/// limit. (PostgreSQL's is 65535 too, but it loads with `COPY`.)
const SQLITE_MAX_BINDS: usize = 32_766;
const MYSQL_MAX_BINDS: usize = 65_535;
/// Rows per `INSERT`: enough to amortise the statement, small enough to stay far below MySQL's default
/// `max_allowed_packet` (4 MiB on old servers) with ticket bodies of a few hundred bytes.
const MAX_ROWS_PER_INSERT: usize = 1_000;

/// What one statement carries.
pub(crate) enum Body {
    Sqlite(SqliteArguments),
    MySql(MySqlArguments),
    Copy(Vec<u8>),
}

/// One statement's worth of one table's rows.
pub(crate) struct Part {
    /// Index into [`TABLES`](super::schema::TABLES).
    pub table: usize,
    pub rows: usize,
    /// The `INSERT` statement (empty for `COPY` data).
    pub sql: Arc<str>,
    pub body: Body,
}

/// The encoded rows of a run of consecutive customers, parents first.
pub(crate) struct Chunk {
    pub customers: u64,
    pub parts: Vec<Part>,
}

/// Generate `rows` customers in chunks of `per_chunk`, encode them for `engine` and send them until done or until
/// the writers hang up (they report why).
pub(crate) fn produce(
    engine: Engine,
    rows: u64,
    seed: u64,
    per_chunk: usize,
    tx: &mpsc::Sender<Chunk>,
) -> Result<(), BoxDynError> {
    let mut generator = Generator::new(rows, seed);
    let mut sql = InsertSql::default();
    while let Some(batch) = generator.next_batch(per_chunk) {
        if tx.blocking_send(encode(engine, &batch, &mut sql)?).is_err() {
            break;
        }
    }
    Ok(())
}

fn encode(engine: Engine, batch: &Batch, sql: &mut InsertSql) -> Result<Chunk, BoxDynError> {
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
            let body = Body::Copy(text.data);
            parts.push(Part {
                table,
                rows: rows.len(),
                sql: Arc::from(""),
                body,
            });
        }
        Engine::Sqlite => {
            for group in rows.chunks(MAX_ROWS_PER_INSERT.min(SQLITE_MAX_BINDS / columns)) {
                let body = Body::Sqlite(bind(group, SqliteArguments::default())?);
                parts.push(Part {
                    table,
                    rows: group.len(),
                    sql: sql.get(R::TABLE, group.len()),
                    body,
                });
            }
        }
        Engine::MySql => {
            for group in rows.chunks(MAX_ROWS_PER_INSERT.min(MYSQL_MAX_BINDS / columns)) {
                let body = Body::MySql(bind(group, MySqlArguments::default())?);
                parts.push(Part {
                    table,
                    rows: group.len(),
                    sql: sql.get(R::TABLE, group.len()),
                    body,
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
