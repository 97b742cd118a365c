//! The dry run ("preview") of a saved plan before approval: the same SQL guard, ID-list binding, read-only session,
//! type mapping and masking as the extraction, on a bounded sample of the real result. The first rows are shown
//! masked exactly as the bundle would deliver them (pseudonyms aside: their key is made per masker, so a preview's
//! tokens never match a delivery's), and the PII value scan looks at the unmasked sample, column by query column.
//!
//! Bounded means the source never has to produce the whole result: at most `scan_rows + 1` rows are read (the extra
//! row only says whether there are more). SQLite steps the statement that often; PostgreSQL fetches that many rows
//! from a cursor; MySQL/MariaDB stops reading and hangs up. One deadline covers connecting, describing and reading,
//! on top of the server's own statement timeout that every session sets.

use std::{collections::BTreeMap, time::Duration, time::Instant};

use futures_util::{Stream, TryStreamExt as _};
use secrecy::{ExposeSecret as _, SecretString};
use sqlx::{AssertSqlSafe, Connection as _, Executor as _};

use super::{
    bind::{Bound, bind},
    cell::{Cell, ColumnType},
    decode::{self, Column, Declared, Kind},
    ids::Ids,
    mask::Masker,
    pii_values::{ColumnScan, Finding},
    pipeline::ExtractError,
    read::{Reader, blocking, json_arg, mysql_query, pg_query, source_err},
    source::{Session, SourceError, dialect_of},
    sql_guard,
};
use crate::Masking;

/// Rows scanned for personal data by default.
pub const SCAN_ROWS: usize = 500;
/// Rows shown by default.
pub const SHOW_ROWS: usize = 20;

/// What to preview.
#[derive(Debug)]
pub struct PreviewRequest {
    /// Source URL (`postgres://`, `mysql://`, `sqlite://`).
    pub source_url: SecretString,
    /// What the source may reach (checked when it is opened).
    pub policy: std::sync::Arc<super::source_policy::SourcePolicy>,
    /// Client deadline for the whole preview; also the server's statement timeout.
    pub timeout: Duration,
    /// The analyst's SQL.
    pub sql: String,
    /// The parameter name (without `:`) and the ID list bound to it.
    pub ids: Option<(String, Ids)>,
    /// Masking per column, as in the plan.
    pub masking: BTreeMap<String, Masking>,
    /// Rows the PII scan looks at.
    pub scan_rows: usize,
    /// Rows shown (at most `scan_rows`: only sampled rows can be shown).
    pub show_rows: usize,
    /// Show the values of columns the scan flags as masked (`Masking::Mask`) even where the plan keeps them, so a
    /// dry run shows no personal data unless the site allows it.
    pub mask_flagged: bool,
}

/// A delivered column, as the preview shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PreviewColumn {
    /// Name.
    pub name: String,
    /// Type as delivered (masked columns are text).
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// The engine's type name.
    pub source_type: String,
    /// What the plan does to it.
    pub masking: Masking,
    /// The scan flagged it and the preview shows it masked although the plan keeps it.
    pub masked_in_preview: bool,
}

/// What the dry run found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Preview {
    /// Delivered columns, in order (dropped ones left out).
    pub columns: Vec<PreviewColumn>,
    /// The first `show_rows` rows, masked exactly as the bundle would have them; `None` is NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows the scan looked at.
    pub sampled: u64,
    /// The result has more rows than were sampled.
    pub more: bool,
    /// One per query column (before masking and dropping) that looks personal.
    pub findings: Vec<Finding>,
    /// Wall-clock time of the whole preview.
    pub seconds: f64,
}

/// Run the plan's query on a bounded sample: masked rows to show, and the PII scan of the unmasked sample.
pub async fn preview(req: &PreviewRequest) -> Result<Preview, ExtractError> {
    let started = Instant::now();
    let dialect = dialect_of(req.source_url.expose_secret())?;
    let statement = sql_guard::parse(&req.sql, dialect)?;
    let ids = req.ids.as_ref().map(|(p, ids)| (p.as_str(), ids));
    let bound = bind(&req.sql, &statement, dialect, ids)?;
    let read = async {
        let mut reader = Reader::open(&req.policy, &req.source_url, req.timeout).await?;
        let sampled = describe_and_sample(&mut reader, req, &bound).await;
        reader.abandon().await;
        sampled
    };
    let (columns, masker, rows) = tokio::time::timeout(req.timeout, read)
        .await
        .map_err(|_| SourceError::Timeout(req.timeout))??;
    let mut preview = summarise(&columns, &masker, rows, req);
    preview.seconds = started.elapsed().as_secs_f64();
    Ok(preview)
}

/// The columns, the masking bound to them (refused before any row is read when it names a missing column), and up
/// to `scan_rows + 1` rows.
async fn describe_and_sample(
    reader: &mut Reader,
    req: &PreviewRequest,
    bound: &Bound,
) -> Result<(Vec<Column>, Masker, Vec<Vec<Cell>>), ExtractError> {
    let columns = reader.describe(&bound.sql).await?;
    let masker = Masker::new(&columns, &req.masking).map_err(ExtractError::Masking)?;
    let kinds: Vec<Kind> = columns.iter().map(|c| c.kind).collect();
    let rows = reader
        .sample(bound, &kinds, req.scan_rows.saturating_add(1))
        .await?;
    Ok((columns, masker, rows))
}

/// Whether the source column is text-typed, for the scan (see [`ColumnScan::typed`]).
fn textual(kind: Kind) -> bool {
    matches!(kind, Kind::Text | Kind::Dynamic(Declared::Text))
}

/// The preview of sampled `rows` (up to `scan_rows + 1` of them); `seconds` is left at zero.
fn summarise(
    columns: &[Column],
    masker: &Masker,
    mut rows: Vec<Vec<Cell>>,
    req: &PreviewRequest,
) -> Preview {
    let (scan_rows, show_rows) = (req.scan_rows, req.show_rows);
    let more = rows.len() > scan_rows;
    rows.truncate(scan_rows);
    let mut scans: Vec<ColumnScan> = columns
        .iter()
        .map(|c| ColumnScan::typed(&c.name, textual(c.kind)))
        .collect();
    let mut text = String::new();
    for row in &rows {
        for (scan, cell) in scans.iter_mut().zip(row) {
            text.clear();
            cell.write_text(&mut text);
            scan.observe((!cell.is_null()).then_some(text.as_str()));
        }
    }
    let findings: Vec<Finding> = scans.iter().filter_map(ColumnScan::finding).collect();
    // What each column shows: the plan's action, or a mask where the scan flagged a kept column.
    let shown_as: Vec<Masking> = columns
        .iter()
        .zip(masker.actions())
        .map(|(c, a)| {
            let flagged = findings.iter().any(|f| f.column == c.name);
            if *a == Masking::Keep && flagged && req.mask_flagged {
                Masking::Mask
            } else {
                *a
            }
        })
        .collect();
    let shown = rows.iter().take(show_rows).map(|row| {
        row.iter()
            .zip(&shown_as)
            .filter(|(_, a)| **a != Masking::Drop)
            .map(|(c, a)| (!c.is_null()).then(|| masker.masked_text(*a, c)))
            .collect()
    });
    // The delivered columns are the query's minus the dropped ones, in order: pair them to add the source type.
    let kept = columns
        .iter()
        .zip(&shown_as)
        .filter(|(_, a)| **a != Masking::Drop);
    let delivered = masker.output_columns(columns).into_iter().zip(kept);
    Preview {
        columns: delivered
            .map(|(out, (c, shown))| PreviewColumn {
                name: out.name,
                column_type: if *shown == out.masking {
                    out.column_type
                } else {
                    ColumnType::Text
                },
                source_type: c.source_type.clone(),
                masking: out.masking,
                masked_in_preview: *shown != out.masking,
            })
            .collect(),
        rows: shown.collect(),
        sampled: rows.len() as u64,
        more,
        findings,
        seconds: 0.0,
    }
}

/// The cursor a PostgreSQL sample is fetched from (closed after, so one session can sample twice).
const CURSOR: &str = "clearance_preview";

impl Reader {
    /// The first `n` rows of the bound query, decoded as [`Reader::pump`] decodes them, without making the source
    /// produce more: SQLite steps the statement `n` times; PostgreSQL fetches `n` rows from a cursor, which the
    /// planner optimises for its first rows; MySQL/MariaDB stops reading after `n` rows. End such a reader with
    /// [`Reader::abandon`]: on MySQL/MariaDB any further statement would first read the rest of the result.
    pub async fn sample(
        &mut self,
        bound: &Bound,
        kinds: &[Kind],
        n: usize,
    ) -> Result<Vec<Vec<Cell>>, ExtractError> {
        if n == 0 {
            // PostgreSQL reads `FETCH FORWARD 0` as "the current row again".
            return Ok(Vec::new());
        }
        let (session, timeout) = match self {
            Self::Sqlite(src) => {
                let (sql, arg, kinds) = (bound.sql.clone(), json_arg(bound), kinds.to_vec());
                return blocking(src, move |s| s.sample(&sql, arg.as_deref(), &kinds, n)).await?;
            }
            Self::Server(session, timeout) => (session, *timeout),
        };
        let source_err = source_err(timeout);
        match session {
            Session::Postgres(c) => {
                // A plain query runs to its end (sqlx's row protocol has no row limit), and a LIMIT around it would
                // need a derived table, which refuses duplicate column names. A cursor is planned for its first rows
                // (cursor_tuple_fraction) and computes only what is fetched. PostgreSQL takes bind parameters in
                // DECLARE (extended protocol), so the ID list stays one bound value, as in the extraction.
                let declare = format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR\n{}", bound.sql);
                let declare = pg_query(declare, &bound.arg).persistent(false);
                c.execute(declare).await.map_err(&source_err)?;
                let fetch = AssertSqlSafe(format!("FETCH FORWARD {n} FROM {CURSOR}"));
                let fetched = sqlx::query(fetch).persistent(false).fetch(&mut *c);
                let rows = first_rows(fetched, decode::pg_row, kinds, n, &source_err).await?;
                c.execute(AssertSqlSafe(format!("CLOSE {CURSOR}")))
                    .await
                    .map_err(&source_err)?;
                Ok(rows)
            }
            Session::MySql(c) => {
                // The server streams the result as it computes it; reading stops after `n` rows, and `abandon`
                // hangs up instead of reading the rest.
                let q = mysql_query(bound.sql.clone(), &bound.arg);
                first_rows(q.fetch(&mut *c), decode::mysql_row, kinds, n, &source_err).await
            }
            Session::Sqlite(_) => {
                Err(SourceError::Url("SQLite is read through rusqlite".into()).into())
            }
        }
    }

    /// End the session at once, leaving whatever the source still has to send unread. A MySQL/MariaDB connection is
    /// shut down without a goodbye (sqlx's `close_hard`: nothing more is read or written); the server notices at its
    /// next write and stops the statement, and as the transaction was read-only nothing is lost. Elsewhere the same
    /// as [`Reader::close`]: a PostgreSQL cursor has computed only what was fetched.
    pub async fn abandon(self) {
        match self {
            Self::Server(Session::MySql(c), _) => {
                let _ = c.close_hard().await;
            }
            other => other.close().await,
        }
    }
}

/// How a driver's row becomes cells ([`decode::pg_row`], [`decode::mysql_row`]).
type DecodeRow<R> = fn(&R, &[Kind], &mut [Cell]) -> Result<(), sqlx::Error>;

/// Up to `n` rows from `rows`, each decoded into cells of its own; the stream is not polled past the `n`th row.
async fn first_rows<R>(
    mut rows: impl Stream<Item = Result<R, sqlx::Error>> + Unpin,
    decode: DecodeRow<R>,
    kinds: &[Kind],
    n: usize,
    source_err: &impl Fn(sqlx::Error) -> ExtractError,
) -> Result<Vec<Vec<Cell>>, ExtractError> {
    let mut out = Vec::new();
    while out.len() < n {
        let Some(row) = rows.try_next().await.map_err(source_err)? else {
            break;
        };
        let mut cells = vec![Cell::Null; kinds.len()];
        decode(&row, kinds, &mut cells).map_err(source_err)?;
        out.push(cells);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
