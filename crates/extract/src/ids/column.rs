//! The ID column as it is read, one data row at a time, and what it becomes: distinct IDs typed by what the column
//! holds, with counts for the analyst. Only values short enough to be IDs are kept, so the memory a column costs is
//! bounded by its rows.

use std::collections::HashSet;

use super::{IdError, Limits, err};

/// The IDs, typed by what the column holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ids {
    /// Every valid value is an integer.
    Integers(Vec<i64>),
    /// Text IDs.
    Texts(Vec<String>),
}

/// Counts for the analyst (never the values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IdReport {
    /// Data rows read.
    pub read: u64,
    /// Empty cells, skipped.
    pub empty: u64,
    /// Values that are not IDs of the column's kind (or too long, or with control characters), skipped.
    pub invalid: u64,
    /// Repeats of an ID already seen, skipped.
    pub duplicates: u64,
    /// Distinct IDs kept.
    pub distinct: u64,
}

/// A read ID list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdList {
    /// Distinct IDs in file order.
    pub ids: Ids,
    /// Counts.
    pub report: IdReport,
}

/// Longest ID accepted (characters).
const LONGEST_ID: usize = 256;

/// The ID column's data rows, as read.
#[derive(Debug, Default)]
pub(super) struct Column {
    /// Non-empty values (trimmed) short enough to be IDs, in file order.
    values: Vec<String>,
    /// Data rows read.
    rows: u64,
    /// Rows whose cell is empty.
    empty: u64,
    /// Non-empty values longer than an ID can be (not kept).
    overlong: u64,
}

impl Column {
    /// One data row whose ID cell holds `value`.
    pub(super) fn push(&mut self, value: &str, limits: &Limits) -> Result<(), IdError> {
        self.count_rows(1, limits)?;
        let value = value.trim();
        if value.is_empty() {
            self.empty += 1;
        } else if value.len() > LONGEST_ID * 4 {
            self.overlong += 1;
        } else {
            self.values.push(value.to_owned());
        }
        Ok(())
    }

    /// `rows` data rows without a value in the ID column.
    pub(super) fn push_empty(&mut self, rows: u64, limits: &Limits) -> Result<(), IdError> {
        self.count_rows(rows, limits)?;
        self.empty += rows;
        Ok(())
    }

    fn count_rows(&mut self, rows: u64, limits: &Limits) -> Result<(), IdError> {
        self.rows = self.rows.saturating_add(rows);
        if self.rows > limits.max_rows {
            return Err(err(format!(
                "more than {} data rows; at most {} rows are read — split the list",
                limits.max_rows, limits.max_rows
            )));
        }
        Ok(())
    }

    /// The distinct IDs and their counts.
    pub(super) fn collect(self, limits: &Limits) -> Result<IdList, IdError> {
        let mut report = IdReport {
            read: self.rows,
            empty: self.empty,
            invalid: self.overlong,
            ..IdReport::default()
        };
        let non_empty = self.values.len() as u64 + self.overlong;
        let integers = self
            .values
            .iter()
            .filter(|v| v.parse::<i64>().is_ok())
            .count() as u64;
        // Mostly integers: an integer column whose stray values ("n/a", "abc") are reported as invalid, not a text
        // column that would silently match nothing in an integer key.
        let integer_column = integers * 2 > non_empty;
        let mut seen = HashSet::new();
        let (mut ints, mut texts) = (Vec::new(), Vec::new());
        for v in &self.values {
            let ok_text = v.chars().count() <= LONGEST_ID && !v.chars().any(char::is_control);
            let parsed = integer_column.then(|| v.parse::<i64>().ok()).flatten();
            if (integer_column && parsed.is_none()) || !ok_text {
                report.invalid += 1;
                continue;
            }
            if !seen.insert(v.as_str()) {
                report.duplicates += 1;
                continue;
            }
            if seen.len() > limits.max_ids {
                return Err(err(format!(
                    "more than {} distinct IDs; split the request or ask an admin to raise the limit",
                    limits.max_ids
                )));
            }
            match parsed {
                Some(i) => ints.push(i),
                None => texts.push(v.clone()),
            }
        }
        report.distinct = seen.len() as u64;
        if report.distinct == 0 {
            return Err(err(format!(
                "no usable IDs: {} rows read, {} empty, {} invalid",
                report.read, report.empty, report.invalid
            )));
        }
        let ids = if integer_column {
            Ids::Integers(ints)
        } else {
            Ids::Texts(texts)
        };
        Ok(IdList { ids, report })
    }
}
