//! Reading a SQLite source with `rusqlite` on a blocking thread: the file opened read-only with `query_only`, the
//! statement stepped in place and each row turned into cells there, batched, and handed to the writer. (sqlx's SQLite
//! driver sends every row through a channel from its worker thread, which cost more than the rest of an extraction
//! together; see docs/PERFORMANCE.md.) A watchdog interrupts the statement when the deadline passes.

use std::{path::Path, time::Duration};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rusqlite::{Connection, OpenFlags, config::DbConfig, types::ValueRef};
use tokio::sync::mpsc::Sender;

use super::{
    cell::Cell,
    decode::{Column, Declared, Kind},
    encode::{Chunk, Encoder},
    pipeline::ExtractError,
    source::SourceError,
};

/// A read-only SQLite connection.
pub struct SqliteSource {
    conn: Connection,
    timeout: Duration,
}

impl std::fmt::Debug for SqliteSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteSource")
    }
}

fn db(e: rusqlite::Error, timeout: Duration) -> SourceError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => SourceError::Timeout(timeout),
        _ => SourceError::Database(e.to_string()),
    }
}

impl SqliteSource {
    /// Open the file at `path` (a [`super::source_policy::Target`]'s) read-only; it must exist.
    pub fn open(path: &Path, timeout: Duration) -> Result<Self, SourceError> {
        if !path.is_file() {
            return Err(SourceError::Database(
                "there is no SQLite file at this path: check the path".into(),
            ));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db(e, timeout))?;
        conn.pragma_update(None, "query_only", "ON")
            .map_err(|e| db(e, timeout))?;
        // A double-quoted name that matches no column is an identifier error, not (SQLite's legacy reading) a string
        // literal: the SQL guard reads `"x"` as a name, and so must the engine.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)
            .map_err(|e| db(e, timeout))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| db(e, timeout))?;
        Ok(Self { conn, timeout })
    }

    /// Run a statement that returns nothing (tests show writes are refused).
    pub fn execute(&self, sql: &str) -> Result<usize, SourceError> {
        self.conn.execute(sql, []).map_err(|e| db(e, self.timeout))
    }

    /// The result columns of `sql`.
    pub fn describe(&self, sql: &str) -> Result<Vec<Column>, SourceError> {
        let stmt = self.conn.prepare(sql).map_err(|e| db(e, self.timeout))?;
        Ok(stmt
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_owned(),
                source_type: c.decl_type().unwrap_or("").to_owned(),
                kind: Kind::Dynamic(declared(c.decl_type())),
            })
            .collect())
    }

    /// Step through `sql` (with its one JSON argument, if any), passing each row to `encoder` and its chunks to
    /// `tx`, then the final chunks. Stops with the writer's absence or the encoder's refusal (row or byte cap).
    pub fn pump(
        &self,
        sql: &str,
        arg: Option<&str>,
        kinds: &[Kind],
        encoder: &mut Encoder,
        tx: &Sender<Chunk>,
    ) -> Result<(), ExtractError> {
        let send = |c: Chunk| {
            tx.blocking_send(c)
                .map_err(|_| ExtractError::Interrupted("the writer stopped"))
        };
        self.each_row(sql, arg, kinds, |cells| {
            if let Some(chunk) = encoder.push(cells)? {
                send(chunk)?;
            }
            Ok(true)
        })?;
        for chunk in encoder.finish()? {
            send(chunk)?;
        }
        Ok(())
    }

    /// The first `n` rows of `sql` (with its one JSON argument, if any). The statement is stepped `n` times and no
    /// more, so SQLite never computes the rest of the result.
    pub fn sample(
        &self,
        sql: &str,
        arg: Option<&str>,
        kinds: &[Kind],
        n: usize,
    ) -> Result<Vec<Vec<Cell>>, ExtractError> {
        let mut out = Vec::new();
        if n > 0 {
            self.each_row(sql, arg, kinds, |cells| {
                out.push(cells.to_vec());
                Ok(out.len() < n)
            })?;
        }
        Ok(out)
    }

    /// Step through `sql` under the deadline, handing each row's cells to `each` until it answers `false` or the
    /// rows run out.
    fn each_row(
        &self,
        sql: &str,
        arg: Option<&str>,
        kinds: &[Kind],
        mut each: impl FnMut(&[Cell]) -> Result<bool, ExtractError>,
    ) -> Result<(), ExtractError> {
        let _watchdog = Watchdog::start(self.conn.get_interrupt_handle(), self.timeout);
        let err = |e| ExtractError::Source(db(e, self.timeout));
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows = match arg {
            Some(a) => stmt.query([a]),
            None => stmt.query([]),
        }
        .map_err(err)?;
        // One row of cells, refilled for every row: text values reuse their buffers.
        let mut cells = vec![Cell::Null; kinds.len()];
        while let Some(row) = rows.next().map_err(err)? {
            for (i, (slot, kind)) in cells.iter_mut().zip(kinds).enumerate() {
                fill(slot, row.get_ref(i).map_err(err)?, *kind);
            }
            if !each(&cells)? {
                break;
            }
        }
        Ok(())
    }

    /// The single number a count query returns.
    pub fn count(&self, sql: &str, arg: &str) -> Result<i64, SourceError> {
        let _watchdog = Watchdog::start(self.conn.get_interrupt_handle(), self.timeout);
        self.conn
            .query_row(sql, [arg], |r| r.get(0))
            .map_err(|e| db(e, self.timeout))
    }
}

/// Interrupts the connection's statement when the deadline passes, unless dropped first.
struct Watchdog {
    done: Option<std::sync::mpsc::Sender<()>>,
}

impl Watchdog {
    fn start(handle: rusqlite::InterruptHandle, timeout: Duration) -> Self {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                handle.interrupt();
            }
        });
        Self { done: Some(done) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

/// A declared column type read by SQLite's affinity rules, with booleans, dates and date-times recognised first.
pub fn declared(decl: Option<&str>) -> Declared {
    let Some(d) = decl.map(str::to_ascii_uppercase) else {
        return Declared::None;
    };
    if d.starts_with("BOOL") {
        Declared::Bool
    } else if d.contains("DATETIME") || d.contains("TIMESTAMP") {
        Declared::DateTime
    } else if d == "DATE" {
        Declared::Date
    } else if d.contains("INT") {
        Declared::Integer
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        Declared::Text
    } else if d.is_empty() {
        Declared::None
    } else if d.contains("BLOB") {
        Declared::Blob
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        Declared::Real
    } else {
        Declared::Numeric
    }
}

/// One value by its storage class, read in the light of the declared type, into `slot`.
fn fill(slot: &mut Cell, v: ValueRef<'_>, kind: Kind) {
    let declared = match kind {
        Kind::Dynamic(d) => d,
        _ => Declared::None,
    };
    *slot = match (v, declared) {
        (ValueRef::Null, _) => Cell::Null,
        (ValueRef::Integer(0), Declared::Bool) => Cell::Bool(false),
        (ValueRef::Integer(1), Declared::Bool) => Cell::Bool(true),
        (ValueRef::Integer(i), _) => Cell::Int(i),
        (ValueRef::Real(f), _) => Cell::Float(f),
        (ValueRef::Blob(b), _) => Cell::Bytes(b.to_vec()),
        (ValueRef::Text(t), Declared::Date) => match iso_date(t) {
            Some(date) => Cell::Date(date),
            None => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        },
        (ValueRef::Text(t), Declared::DateTime) => match iso_datetime(t) {
            Some(dt) => Cell::DateTime(dt),
            None => datetime(String::from_utf8_lossy(t).into_owned()),
        },
        (ValueRef::Text(t), _) => {
            match std::str::from_utf8(t) {
                Ok(text) => slot.set_text(text),
                Err(_) => slot.set_text(&String::from_utf8_lossy(t)),
            }
            return;
        }
    };
}

/// `YYYY-MM-DD` read directly (the common case; chrono's format-string parser costs more than the rest of the row).
fn iso_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    Some(date).filter(|_| b.len() == 10)
}

/// `YYYY-MM-DD HH:MM:SS` (or with `T`) without fraction or zone, read directly; anything else goes to chrono.
fn iso_datetime(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() != 19 || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = iso_date(&b[..10])?;
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
}

/// SQLite date-times are text: `YYYY-MM-DD HH:MM:SS[.fff]` (or with `T`), optionally with a zone, which makes them
/// instants. Anything else stays text, as stored.
pub fn datetime(s: String) -> Cell {
    if let Some(t) = iso_datetime(s.as_bytes()) {
        return Cell::DateTime(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Cell::Timestamp(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&s, f) {
            return Cell::DateTime(t);
        }
    }
    if let Ok(t) = NaiveTime::parse_from_str(&s, "%H:%M:%S%.f") {
        return Cell::Time(t);
    }
    Cell::Text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_follow_affinity() {
        assert_eq!(declared(Some("BOOLEAN")), Declared::Bool);
        assert_eq!(declared(Some("timestamp")), Declared::DateTime);
        assert_eq!(declared(Some("DATE")), Declared::Date);
        assert_eq!(declared(Some("BIGINT")), Declared::Integer);
        assert_eq!(declared(Some("VARCHAR(20)")), Declared::Text);
        assert_eq!(declared(Some("BLOB")), Declared::Blob);
        assert_eq!(declared(Some("DOUBLE PRECISION")), Declared::Real);
        assert_eq!(declared(Some("DECIMAL(10,2)")), Declared::Numeric);
        assert_eq!(declared(None), Declared::None);
    }

    #[test]
    fn fast_paths_agree_with_chrono() {
        for s in [
            "2024-02-29",
            "1999-12-31",
            "0001-01-01",
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101xx",
        ] {
            let fast = iso_date(s.as_bytes());
            assert_eq!(
                fast,
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|_| s.len() == 10),
                "{s}"
            );
        }
        assert_eq!(
            iso_date(b"2024-02-29 10:00:00"),
            None,
            "a date column value with a time stays text"
        );
        for s in [
            "2024-02-29 13:05:09",
            "2024-02-29T13:05:09",
            "2024-02-29 24:00:00",
            "2024-02-29 13:5:09",
        ] {
            let fast = iso_datetime(s.as_bytes());
            let slow = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
                .ok();
            // The fast path either agrees or leaves the value to chrono.
            assert!(fast.is_none() || fast == slow, "{s}");
            assert_eq!(
                datetime(s.into()),
                slow.map_or(Cell::Text(s.into()), Cell::DateTime),
                "{s}"
            );
        }
    }

    #[test]
    fn text_datetimes() {
        assert!(matches!(
            datetime("2024-01-02 03:04:05".into()),
            Cell::DateTime(_)
        ));
        assert!(matches!(
            datetime("2024-01-02T03:04:05+02:00".into()),
            Cell::Timestamp(t) if t.to_rfc3339() == "2024-01-02T01:04:05+00:00"
        ));
        assert_eq!(
            datetime("last tuesday".into()),
            Cell::Text("last tuesday".into())
        );
    }

    #[test]
    fn writes_are_refused_and_missing_files_named() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("w.db");
        Connection::open(&path)?.execute_batch("CREATE TABLE t (x INTEGER)")?;
        let s = SqliteSource::open(&path, Duration::from_secs(5))?;
        let _ = s.execute(&format!(
            "ATTACH '{}' AS m",
            dir.path().join("new.db").display()
        ));
        assert!(
            !dir.path().join("new.db").exists(),
            "ATTACH cannot create a file"
        );
        for sql in [
            "INSERT INTO t VALUES (1)",
            "CREATE TEMP TABLE x (y)",
            "DELETE FROM t",
        ] {
            let e = s
                .execute(sql)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                e.contains("readonly")
                    || e.contains("read-only")
                    || e.contains("query_only")
                    || e.contains("attempt to write"),
                "{sql}: {e}"
            );
        }
        let e = SqliteSource::open(Path::new("/nowhere/x.db"), Duration::from_secs(1)).err();
        assert!(e.is_some_and(|e| e.to_string().contains("no SQLite file")));
        Ok(())
    }

    #[test]
    fn the_deadline_interrupts_a_long_statement() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("w.db");
        Connection::open(&path)?.execute_batch("CREATE TABLE t (x INTEGER)")?;
        let s = SqliteSource::open(&path, Duration::from_millis(300))?;
        let forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let mut encoder = Encoder::new(crate::encode::EncoderSettings {
            masker: crate::mask::Masker::new(
                &[Column {
                    name: "n".into(),
                    source_type: String::new(),
                    kind: Kind::Dynamic(Declared::None),
                }],
                &Default::default(),
            )?,
            csv_header: Some(vec!["n".into()]),
            bom: false,
            max_rows: 10,
            max_bytes: 1000,
            progress: Default::default(),
            neutralise_formulas: true,
            scan: None,
        })?;
        let e = s
            .pump(
                forever,
                None,
                &[Kind::Dynamic(Declared::None)],
                &mut encoder,
                &tx,
            )
            .err();
        assert!(
            matches!(e, Some(ExtractError::Source(SourceError::Timeout(_)))),
            "{e:?}"
        );
        Ok(())
    }
}
