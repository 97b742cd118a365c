//! Files to attack the ID reader with: XLSX packages assembled part by part (so a test writes whatever XML it
//! likes, zipped with valid checksums so it reaches the XML readers), and the 1.6 KB workbook of issue 16.

use std::io::Write;

/// `[Content_Types].xml` of a one-sheet workbook.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// The parts of a one-sheet workbook: `sheet` is `xl/worksheets/sheet1.xml`, `strings` `xl/sharedStrings.xml`.
pub struct Book {
    pub sheet: String,
    pub strings: Option<String>,
    /// More parts: (name, content).
    pub extra: Vec<(String, Vec<u8>)>,
}

impl Book {
    /// A workbook whose sheet has `dimension` (if any) and `rows` (the `<row>` elements).
    pub fn new(dimension: Option<&str>, rows: &str) -> Self {
        Self {
            sheet: sheet(dimension, rows),
            strings: None,
            extra: Vec::new(),
        }
    }

    /// The parts, as (name, content).
    pub fn parts(&self) -> Vec<(String, Vec<u8>)> {
        let mut parts: Vec<(String, Vec<u8>)> = [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", PACKAGE_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", &self.sheet),
        ]
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c.as_bytes().to_vec()))
        .collect();
        if let Some(s) = &self.strings {
            parts.push(("xl/sharedStrings.xml".into(), s.as_bytes().to_vec()));
        }
        parts.extend(self.extra.iter().cloned());
        parts
    }

    /// The .xlsx file.
    pub fn bytes(&self) -> Vec<u8> {
        zip(&self.parts())
    }
}

/// A worksheet part.
pub fn sheet(dimension: Option<&str>, rows: &str) -> String {
    let dimension = dimension
        .map(|d| format!(r#"<dimension ref="{d}"/>"#))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{dimension}<sheetData>{rows}</sheetData></worksheet>"#
    )
}

/// A shared-strings part declaring `unique` strings and holding `strings`.
pub fn shared_strings(unique: &str, strings: &[&str]) -> String {
    let items: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{unique}" uniqueCount="{unique}">{items}</sst>"#
    )
}

/// `rows` rows of one inline-string header `id` and integer IDs below it, in column A.
pub fn id_rows(rows: u32) -> String {
    let mut out =
        String::from(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>"#);
    for r in 2..rows + 2 {
        out.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{}</v></c></row>"#,
            1000 + r
        ));
    }
    out
}

/// Deflated zip of `parts`.
pub fn zip(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in parts {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap();
    out
}

/// The file of issue 16: a sheet with cells A1 and XFD1048576, which made calamine allocate 1,048,576 × 16,384 cells
/// (549,755,813,888 bytes) and abort the process. Excel writes the dimension of such a sheet as `A1:XFD1048576`.
pub fn issue_16_bomb(dimension: Option<&str>) -> Vec<u8> {
    Book::new(
        dimension,
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
    )
    .bytes()
}
