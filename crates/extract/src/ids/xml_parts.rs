//! Every part of an XLSX file, read as XML before calamine opens the workbook, for what calamine would take at its
//! word: a sheet's declared `<dimension>`, the cell and row references (calamine's arithmetic on them overflows past
//! seven letters or ten digits), the span of a sheet's cells, how many shared strings the workbook declares
//! (calamine reserves that many) and has, how many records of each kind it would hold (formats, fonts, sheets…),
//! and how long a single element or text is. The reader is configured as calamine's, so it sees the same events;
//! calamine stops at a part's first XML error, so this check does too.

use std::io::{self, BufReader, Read};

use quick_xml::events::{BytesStart, Event};

use super::{Deadline, EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, IdError, Limits, err};

/// Elements calamine keeps one record of in memory, per part.
const HELD: [&str; 8] = [
    "xf",
    "font",
    "fill",
    "border",
    "numFmt",
    "sheet",
    "definedName",
    "Relationship",
];

/// Check one part (its inflated content); `Ok` means calamine may read it.
pub(super) fn check<R: Read>(
    part: R,
    file_name: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<(), IdError> {
    let metered = Metered {
        inner: part,
        since_event: 0,
        // What a buffered reader may hold besides the event itself.
        most: limits.max_xml_event_bytes + 8 * 1024,
        deadline,
        tripped: None,
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(metered));
    // calamine's settings (xlsx `xml_reader`), so both read the same events.
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut part = Part {
        file_name,
        limits,
        counts: Counts::default(),
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        xml.get_mut().get_mut().since_event = 0;
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => part.element(&e)?,
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(_) => {
                return match xml.get_ref().get_ref().tripped {
                    Some(Trip::Deadline) => Err(deadline.exceeded(file_name)),
                    Some(Trip::EventTooLong) => Err(err(format!(
                        "{file_name} has a single XML element or text longer than {} bytes; open it in Excel, keep \
                         only the ID column and save it again",
                        limits.max_xml_event_bytes
                    ))),
                    // Damaged or not XML (a picture): calamine stops at the same error, if it reads this part at all.
                    None => Ok(()),
                };
            }
        }
    }
}

/// What one part has held so far.
#[derive(Default)]
struct Counts {
    cells: u64,
    shared_strings: u64,
    held: [u64; HELD.len()],
    /// The first and last row and column of the cells seen (1-based).
    span: Option<((u64, u64), (u64, u64))>,
}

struct Part<'a> {
    file_name: &'a str,
    limits: &'a Limits,
    counts: Counts,
}

impl Part<'_> {
    fn element(&mut self, e: &BytesStart<'_>) -> Result<(), IdError> {
        let name = e.local_name();
        let name: &str = name.as_ref();
        match name {
            "c" => {
                self.counts.cells += 1;
                if self.counts.cells > self.limits.max_cells {
                    return Err(self.too_many_cells(format!(
                        "more than {} cells in one sheet",
                        self.limits.max_cells
                    )));
                }
                for value in values(e, "r") {
                    let cell = self.reference(value)?;
                    self.spread(cell)?;
                }
            }
            "row" => {
                for value in values(e, "r") {
                    self.reference(value)?;
                }
            }
            "dimension" => {
                for value in values(e, "ref") {
                    self.dimension(value)?;
                }
            }
            "sst" => {
                for value in values(e, "uniqueCount").chain(values(e, "count")) {
                    let declared = leading_number(value);
                    if declared > self.limits.max_shared_strings {
                        return Err(self.too_many_strings(declared));
                    }
                }
            }
            "si" => {
                self.counts.shared_strings += 1;
                if self.counts.shared_strings > self.limits.max_shared_strings {
                    return Err(self.too_many_strings(self.counts.shared_strings));
                }
            }
            _ => {
                if let Some(i) = HELD.iter().position(|h| *h == name) {
                    self.counts.held[i] += 1;
                    if self.counts.held[i] > self.limits.max_records {
                        return Err(err(format!(
                            "{} has more than {} <{name}> records in one part; open it in Excel, keep only the ID \
                             column and save it again",
                            self.file_name, self.limits.max_records
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// A cell or row reference within Excel's grid: (row, column), the column 0 when there is none.
    fn reference(&self, value: &str) -> Result<(u64, u64), IdError> {
        cell_ref(value).ok_or_else(|| {
            let shown: String = value.chars().take(24).collect();
            err(format!(
                "{} has a cell reference {shown:?} that is not a cell of a sheet (the last is XFD1048576); open it in \
                 Excel and save it again",
                self.file_name
            ))
        })
    }

    /// Widen the span of the part's cells to `cell`, and refuse a span larger than a sheet may be.
    fn spread(&mut self, (row, col): (u64, u64)) -> Result<(), IdError> {
        let ((r0, c0), (r1, c1)) = self.counts.span.unwrap_or(((row, col), (row, col)));
        let span = ((r0.min(row), c0.min(col)), (r1.max(row), c1.max(col)));
        self.counts.span = Some(span);
        let ((r0, c0), (r1, c1)) = span;
        let (rows, cols) = (r1 - r0 + 1, c1 - c0 + 1);
        if rows * cols > self.limits.max_cells {
            return Err(
                self.too_many_cells(format!("cells that span {rows} rows × {cols} columns"))
            );
        }
        Ok(())
    }

    fn dimension(&self, value: &str) -> Result<(), IdError> {
        let mut corners = value.split(':');
        let first = self.reference(corners.next().unwrap_or_default())?;
        let last = match corners.next() {
            Some(c) => self.reference(c)?,
            None => first,
        };
        if corners.next().is_some() || first.1 == 0 || last.0 < first.0 || last.1 < first.1 {
            return Err(err(format!(
                "{} declares a sheet dimension that is not a range of cells; open it in Excel and save it again",
                self.file_name
            )));
        }
        let (rows, cols) = (last.0 - first.0 + 1, last.1 - first.1 + 1);
        if rows * cols > self.limits.max_cells {
            return Err(self.too_many_cells(format!("a sheet of {rows} rows × {cols} columns")));
        }
        Ok(())
    }

    fn too_many_cells(&self, what: String) -> IdError {
        err(format!(
            "{} declares {what}; at most {} cells are read — save only the ID column",
            self.file_name, self.limits.max_cells
        ))
    }

    fn too_many_strings(&self, n: u64) -> IdError {
        err(format!(
            "{} declares {n} shared strings; at most {} are read — save only the ID column",
            self.file_name, self.limits.max_shared_strings
        ))
    }
}

/// `(row, column)` (1-based; column 0 when the reference has none) of a reference such as `B7`, `xfd1048576` or
/// `7` (a row), if it is one inside Excel's grid: letters then digits, nothing else.
fn cell_ref(value: &str) -> Option<(u64, u64)> {
    let letters = value.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = value.split_at(letters);
    if letters > 3 || row.is_empty() || row.len() > 7 || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col.bytes().fold(0_u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row: u64 = row.parse().ok()?;
    ((1..=EXCEL_MAX_ROWS).contains(&row) && col <= EXCEL_MAX_COLUMNS).then_some((row, col))
}

/// The number a count attribute starts with, saturating (`+` and leading spaces allowed, as a lenient parser would).
fn leading_number(value: &str) -> u64 {
    value
        .trim_start()
        .trim_start_matches('+')
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0_u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

/// The values of every attribute named `key` of `e`, read as calamine reads attributes (`attrs.rs`: `key="value"`
/// or `key='value'`, stopping at the first malformed one, where calamine stops too).
fn values<'e>(e: &'e BytesStart<'_>, key: &'e str) -> impl Iterator<Item = &'e str> + 'e {
    RawAttrs {
        raw: e.attributes_raw(),
        pos: 0,
    }
    .filter(move |(k, _)| *k == key)
    .map(|(_, v)| v)
}

struct RawAttrs<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.raw.as_bytes();
        let mut pos = self.pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let key_start = pos;
        while bytes.get(pos).is_some_and(|b| *b != b'=') {
            pos += 1;
        }
        // No `=`: the end, or a malformed attribute.
        if pos >= bytes.len() {
            self.pos = bytes.len();
            return None;
        }
        let key = self.raw.get(key_start..pos)?.trim_ascii_end();
        pos += 1;
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let quote = *bytes.get(pos).filter(|q| **q == b'"' || **q == b'\'')?;
        pos += 1;
        let value_start = pos;
        while bytes.get(pos).is_some_and(|b| *b != quote) {
            pos += 1;
        }
        let value = self.raw.get(value_start..pos)?;
        self.pos = (pos + 1).min(bytes.len());
        Some((key, value))
    }
}

/// Why a part's reader stopped.
#[derive(Clone, Copy, Debug)]
enum Trip {
    Deadline,
    EventTooLong,
}

/// The inflated part, counting the bytes handed out since the current XML event began and failing past the limit
/// (so no single element or text is buffered whole) or past the deadline.
struct Metered<R> {
    inner: R,
    since_event: u64,
    most: u64,
    deadline: Deadline,
    tripped: Option<Trip>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let trip = if self.deadline.passed() {
            Some(Trip::Deadline)
        } else if self.since_event > self.most {
            Some(Trip::EventTooLong)
        } else {
            None
        };
        if let Some(trip) = trip {
            self.tripped = Some(trip);
            return Err(io::Error::other("stopped"));
        }
        let n = self.inner.read(buf)?;
        self.since_event += n as u64;
        Ok(n)
    }
}
