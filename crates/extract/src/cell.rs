//! One value of a result, typed the way the source typed it, and its canonical text form: the same value always
//! prints the same way whichever engine it came from (dates ISO 8601, timestamps with a time zone in UTC with `Z`,
//! decimals exactly as stored, booleans `true`/`false`, bytes base64, NULL as nothing).

use std::fmt::Write as _;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Datelike as _, NaiveDate, NaiveDateTime, NaiveTime, Timelike as _, Utc};

/// A typed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// Signed integer.
    Int(i64),
    /// Unsigned integer (MySQL `BIGINT UNSIGNED`).
    UInt(u64),
    /// Floating point.
    Float(f64),
    /// Exact decimal, as plain digits (`-12.50`), never rounded through a float.
    Decimal(String),
    /// Text.
    Text(String),
    /// Calendar date.
    Date(NaiveDate),
    /// Time of day.
    Time(NaiveTime),
    /// Date and time without a time zone.
    DateTime(NaiveDateTime),
    /// An instant (timestamp with time zone), held in UTC.
    Timestamp(DateTime<Utc>),
    /// JSON document, compact.
    Json(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
}

/// What a column holds, for the manifest and for typed spreadsheet cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// `true` / `false`.
    Boolean,
    /// Whole numbers.
    Integer,
    /// Floating point numbers.
    Float,
    /// Exact decimals.
    Decimal,
    /// Text.
    Text,
    /// Dates.
    Date,
    /// Times of day.
    Time,
    /// Date and time, no zone.
    Datetime,
    /// Instants, written in UTC.
    Timestamp,
    /// JSON.
    Json,
    /// Bytes, written base64.
    Bytes,
    /// Whatever each value is (SQLite expressions).
    Dynamic,
}

impl Cell {
    /// Whether the value is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// Append the canonical text of the value to `out` (nothing for NULL).
    pub fn write_text(&self, out: &mut String) {
        match self {
            Cell::Null => {}
            Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Cell::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            Cell::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
            Cell::Float(f) => write_float(*f, out),
            Cell::Decimal(s) | Cell::Text(s) | Cell::Json(s) => out.push_str(s),
            Cell::Date(d) => write_date(*d, out),
            Cell::Time(t) => write_time(*t, out),
            Cell::DateTime(t) => {
                write_date(t.date(), out);
                out.push(' ');
                write_time(t.time(), out);
            }
            Cell::Timestamp(t) => {
                let t = t.naive_utc();
                write_date(t.date(), out);
                out.push('T');
                write_time(t.time(), out);
                out.push('Z');
            }
            Cell::Bytes(b) => STANDARD.encode_string(b, out),
        }
    }

    /// The canonical text of the value as bytes: borrowed for text-like values, otherwise written into `scratch`
    /// (cleared first). The fast path of the CSV writer.
    pub fn text_bytes<'a>(&'a self, scratch: &'a mut String) -> &'a [u8] {
        match self {
            Cell::Decimal(s) | Cell::Text(s) | Cell::Json(s) => s.as_bytes(),
            Cell::Null => b"",
            other => {
                scratch.clear();
                other.write_text(scratch);
                scratch.as_bytes()
            }
        }
    }

    /// The canonical text of the value (empty for NULL).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// Make this cell the text `t`, reusing its buffer when it already holds text (readers fill one row of cells
    /// over and over, so most values cost no allocation).
    pub fn set_text(&mut self, t: &str) {
        match self {
            Cell::Text(s) => {
                s.clear();
                s.push_str(t);
            }
            _ => *self = Cell::Text(t.to_owned()),
        }
    }
}

/// Append `n` as exactly `width` digits (`n` must fit).
fn push_digits(out: &mut String, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = n;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // Only ASCII digits were written.
    out.extend(buf[..width].iter().map(|&b| char::from(b)));
}

/// `YYYY-MM-DD` (what chrono's `%Y-%m-%d` gives, without its formatting machinery for every value).
fn write_date(d: NaiveDate, out: &mut String) {
    match u32::try_from(d.year()) {
        Ok(y) if y <= 9999 => push_digits(out, y, 4),
        // Outside 0000-9999 chrono prints a sign and as many digits as needed.
        _ => out.push_str(&d.format("%Y").to_string()),
    }
    out.push('-');
    push_digits(out, d.month(), 2);
    out.push('-');
    push_digits(out, d.day(), 2);
}

/// `HH:MM:SS` with the fraction in milli-, micro- or nanoseconds as needed (chrono's `%.f`).
fn write_time(t: NaiveTime, out: &mut String) {
    push_digits(out, t.hour(), 2);
    out.push(':');
    push_digits(out, t.minute(), 2);
    out.push(':');
    // A leap second is second 59 with 1,000,000,000 or more nanoseconds; chrono prints it as :60.
    let leap = t.nanosecond() >= 1_000_000_000;
    push_digits(out, t.second() + u32::from(leap), 2);
    let nanos = t.nanosecond() % 1_000_000_000;
    let (fraction, width) = if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if nanos != 0 {
        out.push('.');
        push_digits(out, fraction, width);
    }
}

/// Floats print in their shortest exact form; infinities and NaN as words a spreadsheet will not misread.
fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Writing into a String cannot fail.
        let _ = write!(out, "{f}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: Cell) -> String {
        c.to_text()
    }

    #[test]
    fn canonical_text() {
        assert_eq!(text(Cell::Null), "");
        assert_eq!(text(Cell::Bool(true)), "true");
        assert_eq!(text(Cell::Int(-42)), "-42");
        assert_eq!(text(Cell::UInt(u64::MAX)), "18446744073709551615");
        assert_eq!(text(Cell::Float(0.1)), "0.1");
        assert_eq!(text(Cell::Float(1e21)), "1000000000000000000000");
        assert_eq!(text(Cell::Float(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(
            text(Cell::Decimal("12345678901234567890.123456789".into())),
            "12345678901234567890.123456789"
        );
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
        assert_eq!(text(Cell::Date(d)), "2024-02-29");
        let dt = d.and_hms_micro_opt(13, 5, 9, 120).unwrap_or_default();
        assert_eq!(text(Cell::DateTime(dt)), "2024-02-29 13:05:09.000120");
        assert_eq!(
            text(Cell::DateTime(d.and_hms_opt(0, 0, 0).unwrap_or_default())),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            text(Cell::Timestamp(dt.and_utc())),
            "2024-02-29T13:05:09.000120Z"
        );
        assert_eq!(text(Cell::Bytes(vec![0, 255, 16])), "AP8Q");
        let t = |h, m, s, n| NaiveTime::from_hms_nano_opt(h, m, s, n).unwrap_or_default();
        assert_eq!(text(Cell::Time(t(7, 8, 9, 0))), "07:08:09");
        assert_eq!(text(Cell::Time(t(7, 8, 9, 250_000_000))), "07:08:09.250");
        assert_eq!(text(Cell::Time(t(7, 8, 9, 1))), "07:08:09.000000001");
        // Dates as chrono prints them, also outside 0000-9999.
        for (y, m, day) in [
            (2024, 2, 29),
            (1, 1, 1),
            (0, 12, 31),
            (-44, 3, 15),
            (12345, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
            assert_eq!(text(Cell::Date(date)), date.format("%Y-%m-%d").to_string());
        }
        let leap = t(23, 59, 59, 1_500_000_000);
        assert_eq!(
            text(Cell::Time(leap)),
            leap.format("%H:%M:%S%.f").to_string()
        );
        let mut scratch = String::from("left over");
        assert_eq!(Cell::Int(7).text_bytes(&mut scratch), b"7");
        assert_eq!(Cell::Null.text_bytes(&mut scratch), b"");
        assert_eq!(Cell::Text("x,y".into()).text_bytes(&mut scratch), b"x,y");
        let mut reused = Cell::Text(String::with_capacity(64));
        reused.set_text("abc");
        assert_eq!(reused, Cell::Text("abc".into()));
        let mut other = Cell::Int(1);
        other.set_text("def");
        assert_eq!(other, Cell::Text("def".into()));
        // The same as chrono's own %.f, for a spread of values.
        for n in [0, 1, 999, 1_000, 120_000, 5_000_000, 999_999_999] {
            let time = t(23, 59, 58, n);
            assert_eq!(
                text(Cell::Time(time)),
                time.format("%H:%M:%S%.f").to_string()
            );
        }
    }
}
