//! ID lists from a file attached to the ticket: one column, chosen by its header, of a CSV or XLSX file, validated
//! and counted (read, empty, invalid, duplicate, distinct) and capped.
//!
//! An ID file comes from whoever filed the ticket, so it is read as hostile: every limit in [`Limits`] is checked
//! before the memory it guards is taken (the zip directory, what each XML part declares, the cells of a sheet as they
//! stream), the reader gives up at a deadline, and the async callers parse on a blocking thread
//! ([`read_ids_off_runtime`], [`column_names_off_runtime`]). A hostile file costs milliseconds and a message saying
//! what to do. Accepted formats: CSV (UTF-8) and XLSX; `.xls`, `.xlsb`, `.ods` and encrypted workbooks are refused.

mod budget;
mod column;
mod csv_file;
mod xlsx_file;
mod xml_parts;
mod zip_parts;

use std::{collections::HashSet, time::Duration};

use budget::Deadline;
pub use budget::{column_names_off_runtime, read_ids_off_runtime};
pub use column::{IdList, IdReport, Ids};

/// What an ID file may cost. Every bound is checked before the memory or time it guards is spent; the defaults are
/// documented constants (README "ID list", docs/PERFORMANCE.md "Hostile ID files").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file accepted (bytes).
    pub max_file_bytes: usize,
    /// Largest total uncompressed size of an XLSX file's parts, as declared in its zip directory (the zip reader
    /// fails a part that inflates past its declared size, so the declaration is a bound).
    pub max_unpacked_bytes: u64,
    /// Most entries in an XLSX file's zip directory (counted from the file's bytes before the directory is read).
    pub max_zip_entries: usize,
    /// Highest uncompressed-to-compressed ratio of a part larger than [`RATIO_FLOOR_BYTES`] (zip bombs; XML that
    /// Excel writes compresses 5–30×).
    pub max_ratio: u64,
    /// Most cells of one sheet: its declared dimension (rows × columns), the span of the cells it has, and the cells
    /// read.
    pub max_cells: u64,
    /// Most shared strings a workbook declares or has (the list is held in memory while the file is read).
    pub max_shared_strings: u64,
    /// Most records of one kind in one XLSX part that the reader holds in memory (cell formats, fonts, fills,
    /// borders, number formats, sheets, defined names, relationships); Excel allows 65,490 cell formats.
    pub max_records: u64,
    /// Longest single XML element, text or comment in an XLSX part (bytes).
    pub max_xml_event_bytes: u64,
    /// Most data rows read (below the header row).
    pub max_rows: u64,
    /// Most fields in one CSV record.
    pub max_columns: usize,
    /// Longest CSV record (bytes).
    pub max_record_bytes: usize,
    /// Most distinct IDs in one list.
    pub max_ids: usize,
    /// How long reading one file may take; the reader checks the deadline as it goes and gives up.
    pub time_budget: Duration,
}

/// Parts smaller than this are not checked for their compression ratio (a tiny part of spaces compresses 100×).
pub const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

/// Excel's last row: no cell reference may go past it.
pub const EXCEL_MAX_ROWS: u64 = 1_048_576;
/// Excel's last column (`XFD`).
pub const EXCEL_MAX_COLUMNS: u64 = 16_384;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 256 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_ratio: 200,
            max_cells: 5_000_000,
            max_shared_strings: 2_000_000,
            max_records: 65_536,
            max_xml_event_bytes: 4 * 1024 * 1024,
            max_rows: EXCEL_MAX_ROWS,
            max_columns: EXCEL_MAX_COLUMNS as usize,
            max_record_bytes: 1024 * 1024,
            max_ids: 1_000_000,
            time_budget: Duration::from_secs(10),
        }
    }
}

/// Why a file cannot be used: a message for the analyst that says what to do.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

fn err(m: impl Into<String>) -> IdError {
    IdError(m.into())
}

/// A reader's own error, cut short: it may quote the file's content.
fn quoted(e: &dyn std::fmt::Display) -> String {
    const SHOWN: usize = 200;
    let text = e.to_string();
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// What a file's first bytes say it is.
enum Kind {
    Csv,
    Zip,
    /// An OLE2 compound file: an encrypted workbook or an old `.xls`.
    Compound,
}

fn kind(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Kind, IdError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(err(format!(
            "{file_name} is {} bytes; ID files may be at most {} bytes — keep only the ID column",
            bytes.len(),
            limits.max_file_bytes
        )));
    }
    Ok(if bytes.starts_with(b"PK\x03\x04") {
        Kind::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Kind::Compound
    } else {
        Kind::Csv
    })
}

fn compound(file_name: &str) -> IdError {
    err(format!(
        "{file_name} is password-protected or an old .xls workbook; ID files are read from .csv and .xlsx files — \
         save it as an unprotected .xlsx or as CSV UTF-8"
    ))
}

/// Read the IDs in column `column` of `file_name`'s `bytes`, giving up after `limits.time_budget`. Blocks: from
/// async code call [`read_ids_off_runtime`].
pub fn read_ids(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
) -> Result<IdList, IdError> {
    read_ids_until(
        bytes,
        file_name,
        column,
        limits,
        Deadline::after(limits.time_budget),
    )
}

fn read_ids_until(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<IdList, IdError> {
    // A parse that starts late (a busy blocking pool) starts with what is left of its budget.
    deadline.check(file_name)?;
    let values = match kind(bytes, file_name, limits)? {
        Kind::Zip => xlsx_file::column(bytes, file_name, column, limits, deadline)?,
        Kind::Compound => return Err(compound(file_name)),
        Kind::Csv => csv_file::column(bytes, file_name, column, limits, deadline)?,
    };
    values.collect(limits)
}

/// The column names of an ID file (the CSV header row; each sheet's first row of a workbook), for choosing the ID
/// column. The same checks as [`read_ids`]. Blocks: from async code call [`column_names_off_runtime`].
pub fn column_names(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<Vec<String>, IdError> {
    column_names_until(
        bytes,
        file_name,
        limits,
        Deadline::after(limits.time_budget),
    )
}

fn column_names_until(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<Vec<String>, IdError> {
    deadline.check(file_name)?;
    let names = match kind(bytes, file_name, limits)? {
        Kind::Zip => xlsx_file::names(bytes, file_name, limits, deadline)?,
        Kind::Compound => return Err(compound(file_name)),
        Kind::Csv => csv_file::names(bytes, file_name, limits)?,
    };
    let mut seen = HashSet::new();
    Ok(names
        .into_iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && seen.insert(n.clone()))
        .collect())
}

/// Headers shown in a "no such column" message, at most this many, each cut to [`NAME_SHOWN`] characters.
const HEADERS_SHOWN: usize = 20;
const NAME_SHOWN: usize = 40;

/// The position of `column` among `headers` (trimmed, case-insensitive), or an error listing what there is.
fn find_column<'a>(
    headers: impl Iterator<Item = &'a str>,
    column: &str,
    file_name: &str,
) -> Result<usize, IdError> {
    let headers: Vec<&str> = headers.collect();
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(column.trim()))
        .ok_or_else(|| {
            let mut shown: Vec<String> = headers
                .iter()
                .take(HEADERS_SHOWN)
                .map(|h| {
                    format!(
                        "{:?}",
                        h.trim().chars().take(NAME_SHOWN).collect::<String>()
                    )
                })
                .collect();
            if headers.len() > HEADERS_SHOWN {
                shown.push(format!("… and {} more", headers.len() - HEADERS_SHOWN));
            }
            err(format!(
                "{file_name} has no column {column:?}; its header row has: {}",
                shown.join(", ")
            ))
        })
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
