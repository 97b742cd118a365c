//! The personal-data scan of a whole result, run on every value of every delivered column while the rows stream
//! (the dry run looks at a sample; this looks at everything that leaves). It uses the dry run's detectors, with one
//! difference in weight: a category whose every match is strong evidence on its own (an e-mail address, a
//! check-digit-valid IBAN) counts from its first value, so one address in row 900,000 is found; the others count, as
//! in the dry run, when they are common in the column (a run of order numbers passes the Luhn check one time in ten).
//!
//! Dropped columns are not scanned: they never leave. Values are read before masking, so the findings say what the
//! query returned, which is what an approval is judged against.

use chrono::{NaiveDate, NaiveTime};

use super::{
    cell::Cell,
    decode::{Column, Declared, Kind},
    pii_names::Category,
    pii_values::{ColumnScan, Finding},
};
use crate::Masking;

/// Integers below this have at most six digits.
const SHORT: u64 = 1_000_000;

/// Categories that count from a single value.
const STRONG: [Category; 2] = [Category::Email, Category::Iban];

/// Scans every value of the delivered columns.
#[derive(Debug)]
pub struct FullScan {
    /// One per query column; `None` for a dropped column.
    columns: Vec<Option<ColumnScan>>,
    rows: u64,
}

impl FullScan {
    /// A scan of the query's `columns` under the plan's `actions` (one per column, as the masker has them).
    pub fn new(columns: &[Column], actions: &[Masking]) -> Self {
        let columns = columns
            .iter()
            .zip(actions)
            .map(|(c, a)| {
                (*a != Masking::Drop).then(|| {
                    let textual = matches!(c.kind, Kind::Text | Kind::Dynamic(Declared::Text));
                    ColumnScan::typed(&c.name, textual)
                })
            })
            .collect();
        Self { columns, rows: 0 }
    }

    /// Look at every value of one row (unmasked), as a one-row batch (tests; extractions hand batches to a
    /// [`super::scan_worker::ScanWorker`]).
    #[cfg(test)]
    pub fn observe(&mut self, row: &[Cell]) {
        let mut batch = Batch::default();
        batch.push(row, &self.scanned());
        self.observe_batch(&batch);
    }

    /// Which query columns are scanned (not dropped), for [`Batch::push`].
    pub fn scanned(&self) -> Vec<bool> {
        self.columns.iter().map(Option::is_some).collect()
    }

    /// Look at every value of a batch of rows copied with [`Batch::push`] under [`FullScan::scanned`].
    pub fn observe_batch(&mut self, batch: &Batch) {
        let width = self.columns.iter().flatten().count();
        if width == 0 {
            self.rows += batch.rows;
            return;
        }
        for row in batch.values.chunks(width) {
            self.rows += 1;
            for (scan, value) in self.columns.iter_mut().flatten().zip(row) {
                match value {
                    Value::Skip => {}
                    Value::Plain => scan.observe_plain(),
                    Value::Date(d) => scan.observe_date(*d),
                    Value::Text(range) => scan.observe(batch.text.get(range.clone())),
                }
            }
        }
    }

    /// Rows looked at.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The findings over the whole result, one per column that looks personal.
    pub fn findings(&self) -> Vec<Finding> {
        self.columns
            .iter()
            .flatten()
            .filter_map(|scan| scan.finding_with_strong(&STRONG))
            .collect()
    }
}

/// One value as the scan needs it, copied off the reader's row.
#[derive(Clone, Debug)]
enum Value {
    /// NULL, a boolean, a float or a time of day: no detector's shape, and not counted.
    Skip,
    /// A value that counts in the shares but that no detector can match.
    Plain,
    /// A calendar date (or a midnight date-time), for the date-of-birth signal.
    Date(NaiveDate),
    /// Text, at this range of [`Batch`]'s text.
    Text(std::ops::Range<usize>),
}

/// Rows' scanned values, copied compactly (one string for all their text) so the scan can run on a thread of its
/// own while the reader reuses its row buffer.
#[derive(Debug, Default)]
pub struct Batch {
    values: Vec<Value>,
    text: String,
    rows: u64,
}

impl Batch {
    /// Copy the values of `row` that `scanned` marks.
    pub fn push(&mut self, row: &[Cell], scanned: &[bool]) {
        self.rows += 1;
        for (cell, _) in row.iter().zip(scanned).filter(|(_, s)| **s) {
            let value = match cell {
                // Booleans, times and floats never hold an identifier the detectors know; NULL is no value.
                Cell::Null | Cell::Bool(_) | Cell::Float(_) | Cell::Time(_) => Value::Skip,
                // Fewer than seven digits: no card, phone or national number (and a number column holds no postal
                // code). Most ids and amounts end here.
                Cell::Int(n) if n.unsigned_abs() < SHORT => Value::Plain,
                Cell::UInt(n) if *n < SHORT => Value::Plain,
                Cell::Date(d) => Value::Date(*d),
                // Only a midnight date-time reads as a date; any other is no detector's shape.
                Cell::DateTime(t) if t.time() == NaiveTime::MIN => Value::Date(t.date()),
                Cell::Timestamp(t) if t.time() == NaiveTime::MIN => Value::Date(t.date_naive()),
                Cell::DateTime(_) | Cell::Timestamp(_) => Value::Plain,
                Cell::Text(s) | Cell::Json(s) | Cell::Decimal(s) => {
                    let start = self.text.len();
                    self.text.push_str(s);
                    Value::Text(start..self.text.len())
                }
                other => {
                    let start = self.text.len();
                    other.write_text(&mut self.text);
                    Value::Text(start..self.text.len())
                }
            };
            self.values.push(value);
        }
    }

    /// Rows held.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes of text held.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Kind;

    fn column(name: &str, kind: Kind) -> Column {
        Column {
            name: name.into(),
            kind,
            source_type: "TEXT".into(),
        }
    }

    #[test]
    fn one_address_in_a_million_is_found() {
        let cols = [column("ref", Kind::Text), column("id", Kind::I64)];
        let mut scan = FullScan::new(&cols, &[Masking::Keep, Masking::Keep]);
        for i in 0..1_000_000i64 {
            let cell = if i == 899_999 {
                Cell::Text("someone@example.org".into())
            } else {
                Cell::Null
            };
            scan.observe(&[cell, Cell::Int(i)]);
        }
        let findings = scan.findings();
        assert_eq!(scan.rows(), 1_000_000);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].column, "ref");
        assert_eq!(findings[0].categories[0].category, Category::Email);
        assert_eq!(findings[0].categories[0].hits, 1);
    }

    #[test]
    fn dropped_columns_are_not_scanned_and_rare_weak_hits_do_not_count() {
        let cols = [column("email", Kind::Text), column("order_no", Kind::I64)];
        let mut scan = FullScan::new(&cols, &[Masking::Drop, Masking::Keep]);
        // 4111111111111111 passes Luhn; one in a thousand order numbers doing so is not a card column.
        for i in 0..1000i64 {
            let n = if i == 7 {
                4_111_111_111_111_111
            } else {
                1_000 + i
            };
            scan.observe(&[Cell::Text("a@b.example".into()), Cell::Int(n)]);
        }
        assert!(scan.findings().is_empty(), "{:?}", scan.findings());
    }
}
