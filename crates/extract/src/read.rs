//! The reading half of an extraction: a read-only session (sqlx for PostgreSQL and MySQL/MariaDB, `rusqlite` on a
//! blocking thread for SQLite), the result's columns from the prepared statement, rows decoded into cells and handed
//! to the writer in batches under the row cap, and the matched-ID count. (A preview's bounded sample is read by
//! `Reader::sample` in [`super::preview`].)

use std::{time::Duration, time::Instant};

use futures_util::TryStreamExt as _;
use secrecy::SecretString;
use sqlx::{
    AssertSqlSafe, Executor as _, MySql, Postgres, SqlSafeStr as _, Statement as _,
    mysql::MySqlArguments, postgres::PgArguments, query::Query,
};
use tokio::sync::mpsc::Sender;

use super::{
    bind::{Arg, Bound},
    cell::Cell,
    decode::{self, Column, Kind},
    encode::{Chunk, Encoder},
    pg_copy::{CopyError, CopyReader},
    pipeline::{ExtractError, Stages},
    source::{Session, SourceError},
    source_policy::SourcePolicy,
    sqlite_read::SqliteSource,
};

/// A read-only source, whichever engine.
#[derive(Debug)]
pub enum Reader {
    /// PostgreSQL or MySQL/MariaDB through sqlx.
    Server(Session, Duration),
    /// SQLite through rusqlite (moved to a blocking thread for each use).
    Sqlite(Option<SqliteSource>),
}

pub(super) fn source_err(timeout: Duration) -> impl Fn(sqlx::Error) -> ExtractError {
    move |e| ExtractError::Source(super::source::classify(e, timeout))
}

/// Run `f` on the SQLite source on a blocking thread, and put the source back.
pub(super) async fn blocking<T: Send + 'static>(
    slot: &mut Option<SqliteSource>,
    f: impl FnOnce(&SqliteSource) -> T + Send + 'static,
) -> Result<T, ExtractError> {
    let src = slot.take().ok_or_else(|| {
        ExtractError::Write("the SQLite reader was lost after an earlier failure".into())
    })?;
    let (src, out) = tokio::task::spawn_blocking(move || {
        let out = f(&src);
        (src, out)
    })
    .await
    .map_err(|e| ExtractError::Write(format!("the SQLite reader stopped: {e}")))?;
    *slot = Some(src);
    Ok(out)
}

impl Reader {
    /// Open a read-only session on `url` once `policy` admits it.
    pub async fn open(
        policy: &SourcePolicy,
        url: &SecretString,
        timeout: Duration,
    ) -> Result<Self, ExtractError> {
        let target = policy.target(url).await?;
        Ok(match target.sqlite() {
            Some(path) => {
                let path = path.to_owned();
                let src = tokio::task::spawn_blocking(move || SqliteSource::open(&path, timeout))
                    .await
                    .map_err(|e| ExtractError::Write(format!("opening SQLite failed: {e}")))??;
                Self::Sqlite(Some(src))
            }
            None => Self::Server(Session::open(&target, timeout).await?, timeout),
        })
    }

    /// The result columns of `sql`, from the prepared statement.
    pub async fn describe(&mut self, sql: &str) -> Result<Vec<Column>, ExtractError> {
        match self {
            Self::Sqlite(src) => {
                let sql = sql.to_owned();
                Ok(blocking(src, move |s| s.describe(&sql)).await??)
            }
            Self::Server(session, timeout) => {
                let source_err = source_err(*timeout);
                let sql = AssertSqlSafe(sql.to_owned()).into_sql_str();
                Ok(match session {
                    Session::Postgres(c) => decode::columns(
                        c.prepare(sql).await.map_err(source_err)?.columns(),
                        decode::pg_kind,
                    )?,
                    Session::MySql(c) => decode::columns(
                        c.prepare(sql).await.map_err(source_err)?.columns(),
                        decode::mysql_kind,
                    )?,
                    Session::Sqlite(_) => {
                        return Err(
                            SourceError::Url("SQLite is read through rusqlite".into()).into()
                        );
                    }
                })
            }
        }
    }

    /// Read every row of the bound query through `encoder` into the writer.
    pub async fn pump(
        &mut self,
        bound: &Bound,
        kinds: Vec<Kind>,
        mut encoder: Encoder,
        tx: Sender<Chunk>,
        seconds: &mut Stages,
    ) -> Result<(), ExtractError> {
        match self {
            Self::Sqlite(src) => {
                let (sql, arg) = (bound.sql.clone(), json_arg(bound));
                blocking(src, move |s| {
                    s.pump(&sql, arg.as_deref(), &kinds, &mut encoder, &tx)
                })
                .await?
            }
            Self::Server(session, timeout) => {
                let mut feed = Feed { tx, encoder };
                server_pump(session, bound, &kinds, &mut feed, seconds, *timeout).await?;
                for chunk in feed.encoder.finish()? {
                    feed.send(chunk).await?;
                }
                Ok(())
            }
        }
    }

    /// How many distinct IDs matched a row, when the binder could build the count query.
    pub async fn matched(&mut self, bound: &Bound) -> Result<Option<u64>, ExtractError> {
        let Some(sql) = bound.matched_sql.clone() else {
            return Ok(None);
        };
        let n: i64 = match (self, &bound.arg) {
            (Self::Sqlite(src), Some(Arg::Json(j))) => {
                let j = j.clone();
                blocking(src, move |s| s.count(&sql, &j)).await??
            }
            (Self::Server(session, timeout), arg) => {
                let sql = AssertSqlSafe(sql);
                match (session, arg) {
                    (Session::Postgres(c), Some(Arg::Integers(v))) => {
                        sqlx::query_scalar(sql).bind(v.clone()).fetch_one(c).await
                    }
                    (Session::Postgres(c), Some(Arg::Texts(v))) => {
                        sqlx::query_scalar(sql).bind(v.clone()).fetch_one(c).await
                    }
                    (Session::MySql(c), Some(Arg::Json(j))) => {
                        sqlx::query_scalar(sql).bind(j.clone()).fetch_one(c).await
                    }
                    _ => return Ok(None),
                }
                .map_err(source_err(*timeout))?
            }
            _ => return Ok(None),
        };
        Ok(u64::try_from(n).ok())
    }

    /// End the session (read-only: nothing to commit).
    pub async fn close(self) {
        if let Self::Server(session, _) = self {
            session.close().await;
        }
    }
}

/// The JSON array an ID list is bound as on SQLite.
pub(super) fn json_arg(bound: &Bound) -> Option<String> {
    match &bound.arg {
        Some(Arg::Json(j)) => Some(j.clone()),
        _ => None,
    }
}

/// `sql` with the bound ID list, if any, for PostgreSQL.
pub(super) fn pg_query(sql: String, arg: &Option<Arg>) -> Query<'static, Postgres, PgArguments> {
    let q = sqlx::query(AssertSqlSafe(sql));
    match arg {
        Some(Arg::Integers(v)) => q.bind(v.clone()),
        Some(Arg::Texts(v)) => q.bind(v.clone()),
        Some(Arg::Json(j)) => q.bind(j.clone()),
        None => q,
    }
}

/// `sql` with the bound ID list, if any, for MySQL/MariaDB.
pub(super) fn mysql_query(sql: String, arg: &Option<Arg>) -> Query<'static, MySql, MySqlArguments> {
    let q = sqlx::query(AssertSqlSafe(sql));
    match arg {
        Some(Arg::Json(j)) => q.bind(j.clone()),
        _ => q,
    }
}

/// Rows through the encoder, chunks to the writer.
struct Feed {
    tx: Sender<Chunk>,
    encoder: Encoder,
}

impl Feed {
    async fn push(&mut self, row: &[Cell]) -> Result<(), ExtractError> {
        if let Some(chunk) = self.encoder.push(row)? {
            self.send(chunk).await?;
        }
        Ok(())
    }

    async fn send(&mut self, chunk: Chunk) -> Result<(), ExtractError> {
        self.tx
            .send(chunk)
            .await
            .map_err(|_| ExtractError::Interrupted("the writer stopped"))
    }
}

macro_rules! stream_into {
    ($conn:expr, $query:expr, $decode:path, $kinds:expr, $feed:expr, $seconds:expr, $err:expr) => {{
        let started = Instant::now();
        let mut first = true;
        let mut rows = $query.fetch(&mut *$conn);
        // One row of cells, refilled for every row.
        let mut cells = vec![Cell::Null; $kinds.len()];
        while let Some(row) = rows.try_next().await.map_err(&$err)? {
            if first {
                $seconds.first_row = started.elapsed().as_secs_f64();
                first = false;
            }
            $decode(&row, $kinds, &mut cells).map_err(&$err)?;
            $feed.push(&cells).await?;
        }
    }};
}

async fn server_pump(
    session: &mut Session,
    bound: &Bound,
    kinds: &[Kind],
    feed: &mut Feed,
    seconds: &mut Stages,
    timeout: Duration,
) -> Result<(), ExtractError> {
    let source_err = source_err(timeout);
    match session {
        Session::Postgres(c) if bound.arg.is_none() => {
            copy_out(c, &bound.sql, kinds, feed, seconds, &source_err).await?;
        }
        Session::Postgres(c) => {
            let q = pg_query(bound.sql.clone(), &bound.arg);
            stream_into!(c, q, decode::pg_row, kinds, feed, seconds, source_err);
        }
        Session::MySql(c) => {
            let q = mysql_query(bound.sql.clone(), &bound.arg);
            stream_into!(c, q, decode::mysql_row, kinds, feed, seconds, source_err);
        }
        Session::Sqlite(_) => {
            return Err(SourceError::Url("SQLite is read through rusqlite".into()).into());
        }
    }
    Ok(())
}

/// A PostgreSQL query without parameters, read as a binary `COPY (query) TO STDOUT` (see [`super::pg_copy`]). The
/// query is the approved text, which the guard admitted as exactly one query, on lines of its own (a trailing `--`
/// comment ends at the line break); the whole `COPY` is parsed once more and must be exactly one `COPY` of a query
/// before it is sent (it goes through the simple protocol, which would run a second statement).
async fn copy_out(
    c: &mut sqlx::PgConnection,
    sql: &str,
    kinds: &[Kind],
    feed: &mut Feed,
    seconds: &mut Stages,
    source_err: &impl Fn(sqlx::Error) -> ExtractError,
) -> Result<(), ExtractError> {
    let started = Instant::now();
    let statement = format!("COPY (\n{sql}\n) TO STDOUT (FORMAT binary)");
    let parsed =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &statement);
    if !matches!(
        parsed.as_deref(),
        Ok([sqlparser::ast::Statement::Copy {
            source: sqlparser::ast::CopySource::Query(_),
            ..
        }])
    ) {
        return Err(ExtractError::Sql(super::sql_guard::Rejected {
            message:
                "the query cannot be read as one COPY statement; simplify its comments and quoting"
                    .into(),
            at: None,
        }));
    }
    let mut stream = c.copy_out_raw(&statement).await.map_err(source_err)?;
    let mut reader = CopyReader::new();
    let mut cells = vec![Cell::Null; kinds.len()];
    let mut first = true;
    let copy_err = |e: CopyError| ExtractError::Source(SourceError::Database(e.to_string()));
    while let Some(msg) = stream.try_next().await.map_err(source_err)? {
        reader.feed(msg);
        while reader.next_row(kinds, &mut cells).map_err(copy_err)? {
            if first {
                seconds.first_row = started.elapsed().as_secs_f64();
                first = false;
            }
            feed.push(&cells).await?;
        }
    }
    if !reader.ended() || reader.has_partial() {
        return Err(copy_err(CopyError::Format(
            "the stream ended before its trailer".into(),
        )));
    }
    Ok(())
}
