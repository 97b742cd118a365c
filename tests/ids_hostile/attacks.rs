//! One test per attack on the ID reader: each file is refused, quickly, with a message that says what to do, and
//! without allocating what the file declares.

use std::time::Duration;

use clearance::extract::ids::{
    IdError, IdList, Limits, column_names, column_names_off_runtime, read_ids, read_ids_off_runtime,
};

use crate::{
    bounded,
    files::{Book, id_rows, issue_16_bomb, shared_strings, zip},
    serial,
};

/// `read_ids` of `bytes` (column `id`) under the allocation limit and hang guard.
fn read(bytes: Vec<u8>, limits: Limits) -> Result<IdList, IdError> {
    bounded(move || read_ids(&bytes, "ids.xlsx", "id", &limits)).unwrap()
}

fn refused(bytes: Vec<u8>, limits: Limits) -> String {
    match read(bytes, limits) {
        Ok(list) => panic!("read {list:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn the_issue_16_workbook_is_refused_before_anything_is_allocated() {
    let _turn = serial();
    let bomb = issue_16_bomb(Some("A1:XFD1048576"));
    assert!(bomb.len() < 2048, "{} bytes", bomb.len());
    let e = refused(bomb.clone(), Limits::default());
    assert!(
        e.contains(
            "declares a sheet of 1048576 rows × 16384 columns; at most 5000000 cells are read"
        ) && e.contains("save only the ID column"),
        "{e}"
    );
    let e = bounded(move || column_names(&bomb, "ids.xlsx", &Limits::default()))
        .unwrap()
        .unwrap_err();
    assert!(e.0.contains("1048576 rows × 16384 columns"), "{e}");
}

#[test]
fn a_sheet_whose_dimension_lies_is_refused_by_the_span_of_its_cells() {
    let _turn = serial();
    for dimension in [None, Some("A1")] {
        let e = refused(issue_16_bomb(dimension), Limits::default());
        assert!(
            e.contains("cells that span 1048576 rows × 16384 columns")
                && e.contains("save only the ID column"),
            "{e}"
        );
    }
}

#[test]
fn async_callers_parse_off_the_runtime_with_the_same_answers() {
    let _turn = serial();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async_callers());
}

async fn async_callers() {
    let limits = Limits::default();
    let e = read_ids_off_runtime(
        issue_16_bomb(Some("A1:XFD1048576")),
        "ids.xlsx".into(),
        "id".into(),
        limits,
    )
    .await
    .unwrap_err();
    assert!(e.0.contains("1048576 rows × 16384 columns"), "{e}");
    let good = Book::new(Some("A1:A4"), &id_rows(3)).bytes();
    let list = read_ids_off_runtime(good.clone(), "ids.xlsx".into(), "id".into(), limits)
        .await
        .unwrap();
    assert_eq!(list.report.distinct, 3);
    let names = column_names_off_runtime(good, "ids.xlsx".into(), limits)
        .await
        .unwrap();
    assert_eq!(names, ["id"]);
    let spent = Limits {
        time_budget: Duration::ZERO,
        ..limits
    };
    let e = read_ids_off_runtime(b"id\n1\n".to_vec(), "ids.csv".into(), "id".into(), spent)
        .await
        .unwrap_err();
    assert!(e.0.contains("took more than 0 s to read"), "{e}");
}

#[test]
fn a_file_past_its_time_budget_is_given_up_while_it_is_read() {
    let _turn = serial();
    // Files that take far longer than a millisecond to read: the reader notices the deadline as it reads.
    let spent = Limits {
        time_budget: Duration::from_millis(1),
        ..Limits::default()
    };
    let e = refused(Book::new(None, &id_rows(50_000)).bytes(), spent);
    assert!(
        e.contains("took more than 0.001 s to read and was given up"),
        "{e}"
    );
    let csv: String = std::iter::once("id\n".to_owned())
        .chain((0..200_000).map(|i| format!("{i}\n")))
        .collect();
    let e = bounded(move || read_ids(csv.as_bytes(), "ids.csv", "id", &spent))
        .unwrap()
        .unwrap_err();
    assert!(e.0.contains("given up"), "{e}");
}

#[test]
fn a_zip_bomb_part_is_refused_from_the_directory() {
    let _turn = serial();
    let mut book = Book::new(None, &id_rows(3));
    book.extra
        .push(("xl/media/zeros.bin".into(), vec![0; 8 * 1024 * 1024]));
    let bytes = book.bytes();
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let e = refused(bytes, Limits::default());
    assert!(e.contains("unpacks") && e.contains("zip bomb"), "{e}");
}

#[test]
fn a_part_that_inflates_past_its_declared_size_is_not_read_past_it() {
    let _turn = serial();
    let mut bytes = Book::new(None, &id_rows(5_000)).bytes();
    // Declare the sheet 100 bytes long in the zip directory and in its local header.
    let name = b"xl/worksheets/sheet1.xml";
    for (signature, size_at, name_at) in [(b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)] {
        let at = (0..bytes.len() - name_at - name.len())
            .find(|&i| bytes[i..].starts_with(signature) && bytes[i + name_at..].starts_with(name))
            .unwrap();
        bytes[at + size_at..at + size_at + 4].copy_from_slice(&100_u32.to_le_bytes());
    }
    let e = refused(bytes, Limits::default());
    assert!(e.contains("declared uncompressed size"), "{e}");
}

#[test]
fn a_declared_shared_string_count_is_not_reserved() {
    let _turn = serial();
    let mut book = Book::new(None, r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#);
    book.strings = Some(shared_strings("99999999999", &["id"]));
    let e = refused(book.bytes(), Limits::default());
    assert!(
        e.contains("declares 99999999999 shared strings; at most 2000000 are read"),
        "{e}"
    );

    let many: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    book.strings = Some(shared_strings("1", &many));
    let few = Limits {
        max_shared_strings: 10,
        ..Limits::default()
    };
    let e = refused(book.bytes(), few);
    assert!(e.contains("declares 11 shared strings; at most 10"), "{e}");
}

#[test]
fn references_past_excel_grid_are_refused() {
    let _turn = serial();
    let cell =
        |r: &str| format!(r#"<row r="1"><c r="{r}" t="inlineStr"><is><t>id</t></is></c></row>"#);
    for (dimension, rows) in [
        (None, cell("AAAAAAAAAAAAA1")),
        (None, cell("A99999999999")),
        (None, cell("XFE1")),
        (None, cell("A1048577")),
        (
            None,
            r#"<row r="99999999999"><c><v>1</v></c></row>"#.to_owned(),
        ),
        (Some("A1:A99999999999"), cell("A1")),
        (Some("ZZZZZZZZZZ1"), cell("A1")),
    ] {
        let e = refused(Book::new(dimension, &rows).bytes(), Limits::default());
        assert!(
            e.contains("that is not a cell of a sheet (the last is XFD1048576)"),
            "{e}"
        );
    }
    let e = refused(
        Book::new(Some("B2:A1"), &cell("A1")).bytes(),
        Limits::default(),
    );
    assert!(e.contains("dimension that is not a range of cells"), "{e}");
}

#[test]
fn records_held_in_memory_are_counted() {
    let _turn = serial();
    let mut book = Book::new(None, &id_rows(3));
    let xfs = "<xf/>".repeat(70_000);
    book.extra.push((
        "xl/styles.xml".into(),
        format!(r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>{xfs}</cellXfs></styleSheet>"#).into_bytes(),
    ));
    let e = refused(book.bytes(), Limits::default());
    assert!(e.contains("more than 65536 <xf> records"), "{e}");
}

#[test]
fn one_endless_element_is_refused_before_it_is_buffered() {
    let _turn = serial();
    let long = "x".repeat(100_000);
    let rows = format!(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>id{long}</t></is></c></row>"#);
    let small = Limits {
        max_xml_event_bytes: 16 * 1024,
        ..Limits::default()
    };
    let e = refused(Book::new(None, &rows).bytes(), small);
    assert!(e.contains("longer than 16384 bytes"), "{e}");
}

#[test]
fn rows_out_of_order_are_refused() {
    let _turn = serial();
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="5"><c r="A5"><v>5</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>"#;
    let e = refused(Book::new(None, rows).bytes(), Limits::default());
    assert!(e.contains("row 3 comes after row 5"), "{e}");
}

#[test]
fn other_spreadsheet_formats_are_refused_naming_the_accepted_ones() {
    let _turn = serial();
    for (part, what) in [("mimetype", ".ods"), ("xl/workbook.bin", ".xlsb")] {
        let bytes = zip(&[(part.to_owned(), b"x".to_vec())]);
        let e = refused(bytes, Limits::default());
        assert!(
            e.contains(what) && e.contains("read from .csv and .xlsx files"),
            "{e}"
        );
    }
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend([0; 512]);
    let e = refused(cfb, Limits::default());
    assert!(e.contains("read from .csv and .xlsx files"), "{e}");
}

#[test]
fn a_zip_of_too_many_parts_is_refused_before_its_directory_is_read() {
    let _turn = serial();
    let mut book = Book::new(None, &id_rows(3));
    book.extra = (0..20)
        .map(|i| (format!("xl/media/{i}.txt"), vec![b'x']))
        .collect();
    let few = Limits {
        max_zip_entries: 10,
        ..Limits::default()
    };
    let e = refused(book.bytes(), few);
    assert!(e.contains("more than 10 parts"), "{e}");
}

#[test]
fn csv_records_fields_and_rows_are_bounded() {
    let _turn = serial();
    let csv = |text: String, limits: Limits| {
        bounded(move || read_ids(text.as_bytes(), "ids.csv", "id", &limits))
            .unwrap()
            .unwrap_err()
            .0
    };
    let e = csv(
        format!("id\n{}\n", "9".repeat(3 * 1024 * 1024)),
        Limits::default(),
    );
    assert!(
        e.contains("record 2 is longer than 1048576 bytes")
            && e.contains("keep only the ID column"),
        "{e}"
    );
    let e = csv(format!("id{}\n1\n", ",".repeat(20_000)), Limits::default());
    assert!(e.contains("record 1 has more than 16384 fields"), "{e}");
    let few = Limits {
        max_rows: 3,
        ..Limits::default()
    };
    let e = csv("id\n1\n2\n3\n4\n".into(), few);
    assert!(e.contains("more than 3 data rows"), "{e}");
    // A header of many names is named in part.
    let header: Vec<String> = (0..30).map(|i| format!("c{i}")).collect();
    let e = csv(format!("{}\n1\n", header.join(",")), Limits::default());
    assert!(e.contains("\"c19\", … and 10 more"), "{e}");
}
