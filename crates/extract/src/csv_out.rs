//! The CSV writer: RFC 4180 (comma, `"` quoting only where needed, CRLF line ends), UTF-8 with an optional BOM so
//! Excel reads accents right, a header row, and every value in its canonical text (see [`Cell::write_text`]); NULL is
//! an empty field.

use std::io::Write;

use super::cell::Cell;

/// Writes rows as CSV into `W`.
pub struct CsvOut<W: Write> {
    csv: csv::Writer<W>,
    scratch: String,
    /// Text that a spreadsheet would run as a formula gets a leading `'` (OWASP's CSV-injection advice).
    neutralise_formulas: bool,
}

/// Whether a spreadsheet would read `text` as a formula: it starts with `=`, `+`, `-`, `@`, TAB or CR and is not
/// simply a number (`-12.5` and `+3` stay as they are: Excel reads them as numbers, never as formulas).
pub fn formula_like(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    ) && !(text.len() > 1
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b".+-eE".contains(&b))
        && text.parse::<f64>().is_ok())
}

impl<W: Write> CsvOut<W> {
    /// Start a CSV file: BOM if asked, then the header row.
    pub fn new(mut out: W, bom: bool, header: &[String]) -> csv::Result<Self> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut csv = builder().from_writer(out);
        csv.write_record(header)?;
        Ok(Self {
            csv,
            scratch: String::new(),
            neutralise_formulas: false,
        })
    }

    /// Prefix text cells a spreadsheet would run as formulas with `'` (off until asked).
    pub fn neutralising_formulas(mut self, on: bool) -> Self {
        self.neutralise_formulas = on;
        self
    }

    /// Write one row.
    pub fn row(&mut self, row: &[Cell]) -> csv::Result<()> {
        for cell in row {
            self.field(cell)?;
        }
        self.end_row()
    }

    /// Write the next field of the current row: text-like values straight from the cell, others formatted once.
    pub fn field(&mut self, cell: &Cell) -> csv::Result<()> {
        match cell {
            Cell::Text(s) => self.text_field(s),
            _ => {
                let bytes = cell.text_bytes(&mut self.scratch);
                self.csv.write_field(bytes)
            }
        }
    }

    /// Write the next field of the current row from text (neutralised if it reads as a formula and that is on).
    pub fn text_field(&mut self, text: &str) -> csv::Result<()> {
        if self.neutralise_formulas && formula_like(text) {
            self.scratch.clear();
            self.scratch.push('\'');
            self.scratch.push_str(text);
            return self.csv.write_field(self.scratch.as_bytes());
        }
        self.csv.write_field(text)
    }

    /// End the current row.
    pub fn end_row(&mut self) -> csv::Result<()> {
        self.csv.write_record(None::<&[u8]>)
    }

    /// The output (bytes still in the CSV buffer have not reached it yet).
    pub fn get_ref(&self) -> &W {
        self.csv.get_ref()
    }

    /// Flush and hand back the output.
    pub fn finish(self) -> std::io::Result<W> {
        self.csv
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
    }
}

impl CsvOut<Vec<u8>> {
    /// Everything written so far, leaving the writer empty and ready for more rows.
    pub fn take(&mut self, capacity: usize) -> std::io::Result<Vec<u8>> {
        let fresh = builder().from_writer(Vec::with_capacity(capacity));
        std::mem::replace(&mut self.csv, fresh)
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
    }
}

fn builder() -> csv::WriterBuilder {
    let mut b = csv::WriterBuilder::new();
    b.terminator(csv::Terminator::CRLF)
        .buffer_capacity(64 * 1024);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4180_with_bom_and_nulls() -> Result<(), Box<dyn std::error::Error>> {
        let header = vec!["id".to_owned(), "note".to_owned(), "ok".to_owned()];
        let mut w = CsvOut::new(Vec::new(), true, &header)?;
        w.row(&[
            Cell::Int(1),
            Cell::Text("say \"hi\", then\nleave".into()),
            Cell::Bool(true),
        ])?;
        w.row(&[Cell::Int(2), Cell::Null, Cell::Bool(false)])?;
        let mut out = String::from_utf8(w.take(16)?)?;
        w.row(&[Cell::Int(3), Cell::Text(String::new()), Cell::Null])?;
        out.push_str(&String::from_utf8(w.finish()?)?);
        assert_eq!(
            out,
            "\u{feff}id,note,ok\r\n1,\"say \"\"hi\"\", then\nleave\",true\r\n2,,false\r\n3,,\r\n"
        );
        Ok(())
    }

    #[test]
    fn field_by_field_matches_whole_records() -> Result<(), Box<dyn std::error::Error>> {
        let header = vec!["only".to_owned()];
        let mut w = CsvOut::new(Vec::new(), false, &header)?;
        w.row(&[Cell::Null])?;
        w.row(&[Cell::Text("a\"b".into())])?;
        let mut whole = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        whole.write_record(["only"])?;
        whole.write_record([""])?;
        whole.write_record(["a\"b"])?;
        assert_eq!(w.finish()?, whole.into_inner()?);
        Ok(())
    }
}
