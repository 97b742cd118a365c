//! The XLSX writer: `rust_xlsxwriter` in constant-memory mode (one row in memory, the rest in temporary files in
//! the extraction's work folder), typed cells (numbers stay numbers, dates are dates, booleans are booleans), a bold
//! frozen header, column widths from the first rows, and further sheets when a sheet's 1,048,576 rows are full.
//!
//! Excel numbers are 64-bit floats: integers beyond ±2^53 and decimals with more than 15 significant digits are
//! written as text so no digit changes. Timestamps with a time zone are written in UTC.

use std::{io::Write, path::Path};

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::cell::Cell;

/// Data rows per sheet (Excel's 1,048,576 rows less the header).
pub const ROWS_PER_SHEET: u32 = 1_048_575;
/// Longest text an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;
/// Rows looked at to size the columns.
const SIZING_ROWS: u32 = 1_000;
/// Largest exactly representable integer in a float.
const EXACT_INT: i64 = 1 << 53;

/// Writes rows into a workbook, then the workbook into any `Write`.
pub struct XlsxOut {
    book: Workbook,
    header: Vec<String>,
    sheet: usize,
    row: u32,
    widths: Vec<f64>,
    bold: Format,
    date: Format,
    datetime: Format,
    time: Format,
    text: String,
}

/// Why a row could not be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxOutError {
    /// A text longer than a cell holds.
    #[error(
        "column {column:?} has a value of {chars} characters; an Excel cell holds at most 32,767 — deliver as CSV or shorten it in the query"
    )]
    TooLong {
        /// Column name.
        column: String,
        /// Length.
        chars: usize,
    },
    /// The library failed.
    #[error("writing the workbook failed: {0}")]
    Xlsx(#[from] XlsxError),
}

impl XlsxOut {
    /// A workbook whose temporary files go to `tempdir`, deflated at `level` (1-9) when saved.
    pub fn new(tempdir: &Path, header: Vec<String>, level: u8) -> Result<Self, XlsxOutError> {
        let mut book = Workbook::new();
        book.set_tempdir(tempdir)?;
        book.set_zip_compression_level(level.clamp(1, 9));
        let widths = header
            .iter()
            .map(|h| (h.chars().count() as f64 + 2.0).max(8.0))
            .collect();
        let mut out = Self {
            book,
            header,
            sheet: 0,
            row: 0,
            widths,
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            time: Format::new().set_num_format("hh:mm:ss"),
            text: String::new(),
        };
        out.add_sheet()?;
        Ok(out)
    }

    fn add_sheet(&mut self) -> Result<(), XlsxOutError> {
        let n = self.book.worksheets().len();
        let sheet = self.book.add_worksheet_with_constant_memory()?;
        sheet.set_name(format!("data {}", n + 1))?;
        sheet.set_freeze_panes(1, 0)?;
        for (c, h) in self.header.iter().enumerate() {
            sheet.write_string_with_format(0, col(c)?, h, &self.bold)?;
        }
        self.sheet = n;
        self.row = 0;
        Ok(())
    }

    /// Write one row (starting a new sheet when this one is full).
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxOutError> {
        if self.row == ROWS_PER_SHEET {
            self.add_sheet()?;
        }
        self.row += 1;
        let r = self.row;
        let sizing = self.sheet == 0 && r <= SIZING_ROWS;
        let sheet = self.book.worksheet_from_index(self.sheet)?;
        for (c, cell) in cells.iter().enumerate() {
            let cn = col(c)?;
            match cell {
                Cell::Null => {}
                Cell::Bool(b) => {
                    sheet.write_boolean(r, cn, *b)?;
                }
                Cell::Int(i) if i.abs() <= EXACT_INT => {
                    sheet.write_number(r, cn, *i as f64)?;
                }
                Cell::UInt(u) if *u <= EXACT_INT as u64 => {
                    sheet.write_number(r, cn, *u as f64)?;
                }
                Cell::Float(f) if f.is_finite() => {
                    sheet.write_number(r, cn, *f)?;
                }
                Cell::Decimal(d) if exact_as_float(d) => {
                    sheet.write_number(r, cn, d.parse::<f64>().unwrap_or_default())?;
                }
                Cell::Date(d) => {
                    sheet.write_date_with_format(r, cn, d, &self.date)?;
                }
                Cell::DateTime(t) => {
                    sheet.write_datetime_with_format(r, cn, t, &self.datetime)?;
                }
                Cell::Timestamp(t) => {
                    sheet.write_datetime_with_format(r, cn, t.naive_utc(), &self.datetime)?;
                }
                Cell::Time(t) => {
                    sheet.write_time_with_format(r, cn, t, &self.time)?;
                }
                Cell::Text(s) | Cell::Json(s) => {
                    write_text(sheet, r, cn, s, &self.header[c])?;
                }
                other => {
                    self.text.clear();
                    other.write_text(&mut self.text);
                    write_text(sheet, r, cn, &self.text, &self.header[c])?;
                }
            }
            if sizing && let Some(w) = self.widths.get_mut(c) {
                *w = w.max(display_width(cell));
            }
        }
        Ok(())
    }

    /// Size the columns and write the workbook into `out`.
    pub fn save<W: Write + Send>(mut self, out: W) -> Result<(), XlsxOutError> {
        for i in 0..self.book.worksheets().len() {
            let sheet = self.book.worksheet_from_index(i)?;
            for (c, w) in self.widths.iter().enumerate() {
                sheet.set_column_width(col(c)?, w.min(60.0))?;
            }
        }
        self.book.save_to_writer(out)?;
        Ok(())
    }

    /// Sheets written so far.
    pub fn sheets(&self) -> usize {
        self.sheet + 1
    }
}

fn col(c: usize) -> Result<u16, XlsxOutError> {
    u16::try_from(c).map_err(|_| XlsxOutError::Xlsx(XlsxError::RowColumnLimitError))
}

fn write_text(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    c: u16,
    s: &str,
    column: &str,
) -> Result<(), XlsxOutError> {
    if s.len() > MAX_CELL_CHARS && s.chars().count() > MAX_CELL_CHARS {
        return Err(XlsxOutError::TooLong {
            column: column.to_owned(),
            chars: s.chars().count(),
        });
    }
    sheet.write_string(r, c, s)?;
    Ok(())
}

/// Whether a decimal survives the trip through a float digit for digit (at most 15 significant digits).
fn exact_as_float(d: &str) -> bool {
    let digits = d
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    digits <= 15 && d.len() < 40
}

/// Roughly how wide a value shows, in Excel's character units.
fn display_width(cell: &Cell) -> f64 {
    let chars = match cell {
        Cell::Null => 0,
        Cell::Bool(_) => 5,
        Cell::Date(_) => 10,
        Cell::Time(_) => 8,
        Cell::DateTime(_) | Cell::Timestamp(_) => 19,
        Cell::Text(s) | Cell::Json(s) | Cell::Decimal(s) => s.chars().count(),
        other => other.to_text().len(),
    };
    chars as f64 + 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_that_fit_a_float() {
        assert!(exact_as_float("12.50"));
        assert!(exact_as_float("-0.000123"));
        assert!(exact_as_float("123456789012345"));
        assert!(!exact_as_float("1234567890123456"));
        assert!(!exact_as_float("12345678901234567890.123456789"));
    }
}
