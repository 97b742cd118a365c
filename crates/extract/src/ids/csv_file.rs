//! CSV ID files, read with `csv-core` into two fixed buffers: a record longer than [`Limits::max_record_bytes`] or
//! with more fields than [`Limits::max_columns`] is refused when it reaches the buffer's end, so no line of the file,
//! however long, costs more than those buffers. The text must be UTF-8 (a leading BOM is skipped); the delimiter is
//! `,` unless the header line has more `;` or tabs.

use super::{Deadline, IdError, Limits, budget::CHECK_EVERY, column::Column, err, find_column};

/// The values of column `column` of every data row.
pub(super) fn column(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<Column, IdError> {
    let mut records = Records::new(bytes, file_name, limits)?;
    let header = records.next()?.unwrap_or_default();
    let index = find_column(header.iter().copied(), column, file_name)?;
    let mut values = Column::default();
    for n in 1_u64.. {
        if n.is_multiple_of(CHECK_EVERY) {
            deadline.check(file_name)?;
        }
        let Some(record) = records.next()? else { break };
        values.push(record.get(index).copied().unwrap_or_default(), limits)?;
    }
    Ok(values)
}

/// The header row's fields.
pub(super) fn names(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<Vec<String>, IdError> {
    let mut records = Records::new(bytes, file_name, limits)?;
    let header = records.next()?.unwrap_or_default();
    Ok(header.into_iter().map(str::to_owned).collect())
}

/// The file's records, one at a time, in bounded buffers.
struct Records<'a> {
    text: &'a [u8],
    at: usize,
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Records read so far.
    line: u64,
    file_name: &'a str,
    limits: &'a Limits,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8], file_name: &'a str, limits: &'a Limits) -> Result<Self, IdError> {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let utf8 = std::str::from_utf8(text).map_err(|e| {
            err(format!(
                "{file_name} is not UTF-8 text (byte {}); save it as CSV UTF-8",
                e.valid_up_to()
            ))
        })?;
        Ok(Self {
            text,
            at: 0,
            reader: csv_core::ReaderBuilder::new()
                .delimiter(sniff_delimiter(utf8))
                .build(),
            out: vec![0; limits.max_record_bytes],
            ends: vec![0; limits.max_columns],
            line: 0,
            file_name,
            limits,
        })
    }

    /// The next record's fields, or `None` at the end of the file.
    fn next(&mut self) -> Result<Option<Vec<&str>>, IdError> {
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                &self.text[self.at..],
                &mut self.out[out_len..],
                &mut self.ends[ends_len..],
            );
            self.at += read;
            out_len += written;
            ends_len += ended;
            match result {
                // The whole text was given: the next call, with no input left, ends the last record.
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    return Err(self.too_big(format!(
                        "is longer than {} bytes",
                        self.limits.max_record_bytes
                    )));
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    return Err(
                        self.too_big(format!("has more than {} fields", self.limits.max_columns))
                    );
                }
                csv_core::ReadRecordResult::Record => break,
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
        self.line += 1;
        let out = &self.out[..out_len];
        let mut fields = Vec::with_capacity(ends_len);
        let mut start = 0;
        for &end in &self.ends[..ends_len] {
            // The text is UTF-8 and fields are cut at ASCII delimiters and quotes, so each field is UTF-8 too.
            fields.push(std::str::from_utf8(&out[start..end]).unwrap_or_default());
            start = end;
        }
        Ok(Some(fields))
    }

    fn too_big(&self, what: String) -> IdError {
        err(format!(
            "{}: record {} {what}; keep only the ID column (one ID per line)",
            self.file_name,
            self.line + 1
        ))
    }
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
