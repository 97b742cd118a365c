//! An XLSX file's zip, checked before calamine opens it: how many entries it has (counted from the bytes, before the
//! directory is read), what the entries declare they unpack to in total and per compressed byte, which format it is
//! (`.xlsb` and `.ods` are zips too, and refused), and every part's content (see [`super::xml_parts`]). The zip
//! reader fails a part that inflates past its declared size, so the declared sizes bound what any reader inflates.

use std::io::Cursor;

use super::{
    Deadline, IdError, Limits, RATIO_FLOOR_BYTES, budget::DeadlineReader, err, quoted, xml_parts,
};

/// The zip archive calamine reads: the file's bytes behind the deadline.
pub(super) type Source<'a> = DeadlineReader<Cursor<&'a [u8]>>;

/// Check `bytes` (a zip) as an ID workbook; `Ok` means calamine may open it.
pub(super) fn check(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<(), IdError> {
    // Each directory entry starts with this signature, so the directory cannot hold more entries than the bytes have
    // signatures: the count bounds what the zip reader will allocate for it.
    let signatures = count_at_most(bytes, b"PK\x01\x02", limits.max_zip_entries + 1);
    if signatures > limits.max_zip_entries {
        return Err(err(format!(
            "{file_name} has more than {} parts; an ID workbook needs a handful — export the ID column as CSV",
            limits.max_zip_entries
        )));
    }
    let mut zip = zip::ZipArchive::new(source(bytes, deadline))
        .map_err(|e| unreadable(file_name, deadline, &e))?;
    refuse_other_formats(&zip, file_name)?;
    let mut unpacked = 0_u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| unreadable(file_name, deadline, &e))?;
        let (size, packed) = (part.size(), part.compressed_size());
        if size > RATIO_FLOOR_BYTES && size / packed.max(1) > limits.max_ratio {
            return Err(bomb(
                file_name,
                format!(
                    "a part that unpacks {}× (to {size} bytes)",
                    size / packed.max(1)
                ),
            ));
        }
        unpacked = unpacked.saturating_add(size);
    }
    if unpacked > limits.max_unpacked_bytes {
        return Err(bomb(
            file_name,
            format!(
                "{unpacked} bytes unpacked (at most {} are read)",
                limits.max_unpacked_bytes
            ),
        ));
    }
    // Every part is read as calamine may read it, whatever its name: the workbook's relationships choose which part
    // is a sheet.
    for i in 0..zip.len() {
        let part = zip
            .by_index(i)
            .map_err(|e| unreadable(file_name, deadline, &e))?;
        if part.is_dir() {
            continue;
        }
        xml_parts::check(part, file_name, limits, deadline)?;
    }
    Ok(())
}

/// The file's bytes as calamine and the checks read them.
pub(super) fn source(bytes: &[u8], deadline: Deadline) -> Source<'_> {
    DeadlineReader::new(Cursor::new(bytes), deadline)
}

/// Occurrences of `needle` in `haystack`, counting no further than `most`.
fn count_at_most(haystack: &[u8], needle: &[u8], most: usize) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .take(most)
        .count()
}

fn refuse_other_formats(zip: &zip::ZipArchive<Source<'_>>, file_name: &str) -> Result<(), IdError> {
    let other = zip.file_names_raw().find_map(|n| {
        let n = n.to_ascii_lowercase();
        if n.ends_with(b"workbook.bin") {
            Some("an Excel binary workbook (.xlsb)")
        } else if n == b"mimetype" || n == b"content.xml" {
            Some("an OpenDocument spreadsheet (.ods)")
        } else {
            None
        }
    });
    match other {
        Some(what) => Err(err(format!(
            "{file_name} is {what}; ID files are read from .csv and .xlsx files — save it as one of those"
        ))),
        None => Ok(()),
    }
}

fn bomb(file_name: &str, what: String) -> IdError {
    err(format!(
        "{file_name} declares {what}; it looks like a zip bomb or is far too large for an ID list — keep only the ID \
         column, or export it as CSV"
    ))
}

/// A zip that cannot be read: damaged, encrypted, or out of time.
pub(super) fn unreadable(
    file_name: &str,
    deadline: Deadline,
    e: &dyn std::fmt::Display,
) -> IdError {
    if deadline.passed() {
        return deadline.exceeded(file_name);
    }
    err(format!(
        "{file_name} is not a readable .xlsx file ({}); open it in Excel, save it as an unprotected .xlsx and attach \
         it again",
        quoted(e)
    ))
}
