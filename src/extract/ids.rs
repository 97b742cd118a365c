//! ID lists from a file attached to the ticket: one column, chosen by its header, of a CSV (`csv` crate) or XLSX
//! (`calamine`) file, validated and counted (read, empty, invalid, duplicate, distinct) and capped. Files that are
//! malformed, too large, password-protected or zip-bomb-like are refused before they can cost much memory or time.

use std::{collections::HashSet, io::Cursor};

use calamine::{Data, Reader};

/// What a file may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file accepted (bytes).
    pub max_file_bytes: usize,
    /// Largest total uncompressed size of an XLSX file's parts, as declared in its zip directory.
    pub max_unpacked_bytes: u64,
    /// Most distinct IDs in one list.
    pub max_ids: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 500 * 1024 * 1024,
            max_ids: 1_000_000,
        }
    }
}

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

/// Why a file cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

fn err(m: impl Into<String>) -> IdError {
    IdError(m.into())
}

/// Longest ID accepted (characters).
const LONGEST_ID: usize = 256;

/// Read the IDs in column `column` of `file_name`'s `bytes`.
pub fn read_ids(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
) -> Result<IdList, IdError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(err(format!(
            "{file_name} is {} bytes; ID files may be at most {} bytes",
            bytes.len(),
            limits.max_file_bytes
        )));
    }
    let cells = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_column(bytes, file_name, column, limits)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(err(format!(
            "{file_name} is password-protected or an old .xls workbook; save it as an unprotected .xlsx or as CSV"
        )));
    } else {
        csv_column(bytes, file_name, column)?
    };
    collect(cells, limits)
}

fn csv_column(bytes: &[u8], file_name: &str, column: &str) -> Result<Vec<String>, IdError> {
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
            err(format!(
                "{file_name} is not UTF-8 text (byte {}); save it as CSV UTF-8",
                e.valid_up_to()
            ))
        })?;
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(format!("{file_name}: cannot read the header row: {e}")))?
        .clone();
    let index = find_column(headers.iter(), column, file_name)?;
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("{file_name}: row {}: {e}", n + 2)))?;
        out.push(record.get(index).unwrap_or_default().to_owned());
    }
    Ok(out)
}

/// `,` unless the header line has more `;` or tabs (Excel in many locales writes `;`).
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let count = |c: char| header.matches(c).count();
    [(b',', count(',')), (b';', count(';')), (b'\t', count('\t'))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| d)
}

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
            err(format!(
                "{file_name} has no column {column:?}; its header row has: {}",
                headers
                    .iter()
                    .map(|h| format!("{:?}", h.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// The column names of an ID file (the CSV header row; each sheet's first row of a workbook), for choosing the ID
/// column. The same checks as [`read_ids`] (size, encoding, zip bombs, protected workbooks).
pub fn column_names(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<Vec<String>, IdError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(err(format!(
            "{file_name} is {} bytes; ID files may be at most {} bytes",
            bytes.len(),
            limits.max_file_bytes
        )));
    }
    let mut names: Vec<String> = Vec::new();
    if bytes.starts_with(b"PK\x03\x04") {
        let mut book = open_xlsx(bytes, file_name, limits)?;
        for sheet in book.sheet_names() {
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| err(format!("{file_name}, sheet {sheet:?}: {e}")))?;
            for cell in range.rows().next().unwrap_or_default() {
                names.push(cell_text(cell));
            }
        }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(err(format!(
            "{file_name} is password-protected or an old .xls workbook; save it as an unprotected .xlsx or as CSV"
        )));
    } else {
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|e| {
                err(format!(
                    "{file_name} is not UTF-8 text (byte {}); save it as CSV UTF-8",
                    e.valid_up_to()
                ))
            })?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(text))
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(format!("{file_name}: cannot read the header row: {e}")))?;
        names.extend(headers.iter().map(str::to_owned));
    }
    let mut out: Vec<String> = Vec::new();
    for n in names.into_iter().map(|n| n.trim().to_owned()) {
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Open a workbook after checking, from the zip directory alone, that it does not unpack to too much.
fn open_xlsx<'a>(
    bytes: &'a [u8],
    file_name: &str,
    limits: &Limits,
) -> Result<calamine::Sheets<Cursor<&'a [u8]>>, IdError> {
    // The zip directory declares every part's size: refuse before inflating anything too large.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| err(format!("{file_name} is not a readable .xlsx file: {e}")))?;
    let mut unpacked = 0_u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| err(format!("{file_name} is not a readable .xlsx file: {e}")))?;
        unpacked = unpacked.saturating_add(part.size());
    }
    if unpacked > limits.max_unpacked_bytes {
        return Err(err(format!(
            "{file_name} would unpack to {unpacked} bytes (limit {}); it looks like a zip bomb or is far too large \
             for an ID list — export the column as CSV",
            limits.max_unpacked_bytes
        )));
    }
    calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| err(format!("{file_name} is not a readable workbook: {e}")))
}

fn xlsx_column(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
) -> Result<Vec<String>, IdError> {
    let mut book = open_xlsx(bytes, file_name, limits)?;
    let sheets = book.sheet_names();
    for sheet in &sheets {
        let range = book
            .worksheet_range(sheet)
            .map_err(|e| err(format!("{file_name}, sheet {sheet:?}: {e}")))?;
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        let names: Vec<String> = header.iter().map(cell_text).collect();
        if let Ok(index) = find_column(names.iter().map(String::as_str), column, file_name) {
            return Ok(rows
                .map(|r| r.get(index).map(cell_text).unwrap_or_default())
                .collect());
        }
    }
    Err(err(format!(
        "{file_name} has no sheet whose header row has a column {column:?}"
    )))
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn collect(cells: Vec<String>, limits: &Limits) -> Result<IdList, IdError> {
    let mut report = IdReport {
        read: cells.len() as u64,
        ..IdReport::default()
    };
    let values: Vec<&str> = cells.iter().map(|c| c.trim()).collect();
    let non_empty: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
    report.empty = (values.len() - non_empty.len()) as u64;
    let integers = non_empty
        .iter()
        .filter(|v| v.parse::<i64>().is_ok())
        .count();
    // Mostly integers: an integer column whose stray values ("n/a", "abc") are reported as invalid, not a text column
    // that would silently match nothing in an integer key.
    let integer_column = integers * 2 > non_empty.len();
    let mut seen = HashSet::new();
    let (mut ints, mut texts) = (Vec::new(), Vec::new());
    for v in non_empty {
        let ok_text = v.chars().count() <= LONGEST_ID && !v.chars().any(char::is_control);
        let parsed = integer_column.then(|| v.parse::<i64>().ok()).flatten();
        if (integer_column && parsed.is_none()) || !ok_text {
            report.invalid += 1;
            continue;
        }
        if !seen.insert(v) {
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
            None => texts.push(v.to_owned()),
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

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
