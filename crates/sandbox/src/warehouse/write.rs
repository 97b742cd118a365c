//! The writers: tasks that take encoded chunks from the generator thread and store them, reporting what they wrote
//! as [`Event`]s. SQLite and MySQL commit each chunk in one transaction of multi-row `INSERT`s (MySQL with two
//! connections so the server uses both cores); PostgreSQL streams each table through one `COPY … FROM STDIN` on
//! its own connection for the whole load, which also avoids a round trip per chunk.

use std::{sync::Arc, time::Instant};

use sqlx::{AssertSqlSafe, Connection, PgConnection, postgres::PgCopyIn};
use tokio::sync::{Mutex, mpsc};

use super::{
    chunk::{Body, Chunk},
    encode::column_list,
    schema::TABLES,
    target::{Conn, DbContext},
};

/// What a writer reports to the coordinator.
pub(crate) enum Event {
    /// `rows` rows of `TABLES[table]` written in `time`.
    Rows {
        table: usize,
        rows: usize,
        time: std::time::Duration,
    },
    /// All rows of this many more customers are stored.
    Customers(u64),
    /// The writer stopped on this error.
    Failed(anyhow::Error),
}

/// Chunks shared by several writers.
pub(crate) type Chunks = Arc<Mutex<mpsc::Receiver<Chunk>>>;

/// Insert chunks until there are none left; returns the connection, or `None` after reporting a failure.
pub(crate) async fn insert_writer(
    mut conn: Conn,
    chunks: Chunks,
    events: mpsc::UnboundedSender<Event>,
    shown: Arc<str>,
) -> Option<Conn> {
    loop {
        let next = chunks.lock().await.recv().await;
        let Some(chunk) = next else { return Some(conn) };
        if let Err(e) = insert_chunk(&mut conn, chunk, &events, &shown).await {
            let _ = events.send(Event::Failed(e));
            return None;
        }
    }
}

async fn insert_chunk(
    conn: &mut Conn,
    chunk: Chunk,
    events: &mpsc::UnboundedSender<Event>,
    shown: &str,
) -> anyhow::Result<()> {
    let failed = |table: usize| format!("cannot write to {} in {shown}", TABLES[table].name);
    let begin = || format!("cannot start a transaction in {shown}");
    let commit = || format!("cannot commit in {shown}");
    match conn {
        Conn::Sqlite(c) => {
            let mut tx = c.begin().await.db(begin)?;
            for part in chunk.parts {
                let (t0, table, rows) = (Instant::now(), part.table, part.rows);
                let Body::Sqlite(args) = part.body else {
                    continue;
                };
                let q = sqlx::query_with(AssertSqlSafe(part.sql), args);
                q.execute(&mut *tx).await.db(|| failed(table))?;
                let _ = events.send(Event::Rows {
                    table,
                    rows,
                    time: t0.elapsed(),
                });
            }
            tx.commit().await.db(commit)?;
        }
        Conn::MySql(c) => {
            let mut tx = c.begin().await.db(begin)?;
            for part in chunk.parts {
                let (t0, table, rows) = (Instant::now(), part.table, part.rows);
                let Body::MySql(args) = part.body else {
                    continue;
                };
                let q = sqlx::query_with(AssertSqlSafe(part.sql), args);
                q.execute(&mut *tx).await.db(|| failed(table))?;
                let _ = events.send(Event::Rows {
                    table,
                    rows,
                    time: t0.elapsed(),
                });
            }
            tx.commit().await.db(commit)?;
        }
        Conn::Postgres(_) => anyhow::bail!("internal error: PostgreSQL loads with COPY"),
    }
    let _ = events.send(Event::Customers(chunk.customers));
    Ok(())
}

/// Stream every chunk into one `COPY` per table, one connection per table (the first is returned, the others
/// closed); `None` after reporting a failure.
pub(crate) async fn copy_writer(
    mut conns: [PgConnection; 4],
    mut chunks: mpsc::Receiver<Chunk>,
    events: mpsc::UnboundedSender<Event>,
    shown: Arc<str>,
) -> Option<PgConnection> {
    match copy_all(&mut conns, &mut chunks, &events, &shown).await {
        Ok(()) => {
            let [main, rest @ ..] = conns;
            for c in rest {
                let _ = c.close().await;
            }
            Some(main)
        }
        Err(e) => {
            let _ = events.send(Event::Failed(e));
            None
        }
    }
}

async fn copy_all(
    conns: &mut [PgConnection; 4],
    chunks: &mut mpsc::Receiver<Chunk>,
    events: &mpsc::UnboundedSender<Event>,
    shown: &str,
) -> anyhow::Result<()> {
    let failed = |table: usize| format!("cannot write to {} in {shown}", TABLES[table].name);
    let mut copies: Vec<PgCopyIn<&mut PgConnection>> = Vec::with_capacity(4);
    for (table, conn) in conns.iter_mut().enumerate() {
        let t = TABLES[table];
        let sql = format!("COPY {} ({}) FROM STDIN", t.name, column_list(t));
        copies.push(conn.copy_in_raw(&sql).await.db(|| failed(table))?);
    }
    while let Some(chunk) = chunks.recv().await {
        for part in chunk.parts {
            let (t0, table, rows) = (Instant::now(), part.table, part.rows);
            let Body::Copy(data) = part.body else {
                continue;
            };
            copies[table].send(data).await.db(|| failed(table))?;
            let _ = events.send(Event::Rows {
                table,
                rows,
                time: t0.elapsed(),
            });
        }
        let _ = events.send(Event::Customers(chunk.customers));
    }
    for (table, copy) in copies.into_iter().enumerate() {
        let t0 = Instant::now();
        copy.finish().await.db(|| failed(table))?;
        let _ = events.send(Event::Rows {
            table,
            rows: 0,
            time: t0.elapsed(),
        });
    }
    Ok(())
}
