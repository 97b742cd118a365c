//! One value of a result, typed the way the source typed it, and its canonical text form: the same value always
//! prints the same way whichever engine it came from (dates ISO 8601, timestamps with a time zone in UTC with `Z`,
//! decimals exactly as stored, booleans `true`/`false`, bytes base64, NULL as nothing).

use std::fmt::Write as _;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

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
        // Writing into a String cannot fail.
        let _ = match self {
            Cell::Null => Ok(()),
            Cell::Bool(b) => {
                out.push_str(if *b { "true" } else { "false" });
                Ok(())
            }
            Cell::Int(i) => write!(out, "{i}"),
            Cell::UInt(u) => write!(out, "{u}"),
            Cell::Float(f) => write_float(*f, out),
            Cell::Decimal(s) | Cell::Text(s) | Cell::Json(s) => {
                out.push_str(s);
                Ok(())
            }
            Cell::Date(d) => write!(out, "{}", d.format("%Y-%m-%d")),
            Cell::Time(t) => write!(out, "{}", t.format("%H:%M:%S%.f")),
            Cell::DateTime(t) => write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.f")),
            Cell::Timestamp(t) => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.fZ")),
            Cell::Bytes(b) => {
                STANDARD.encode_string(b, out);
                Ok(())
            }
        };
    }

    /// The canonical text of the value (empty for NULL).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }
}

/// Floats print in their shortest exact form; infinities and NaN as words a spreadsheet will not misread.
fn write_float(f: f64, out: &mut String) -> std::fmt::Result {
    if f.is_nan() {
        out.push_str("NaN");
        Ok(())
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        Ok(())
    } else {
        write!(out, "{f}")
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
    }
}
