//! ID lists from CSV and XLSX: typing, counts, caps, and every kind of file that must be refused.

use std::io::Write;

use super::*;

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn csv_ids_are_typed_counted_and_deduplicated() {
    let csv = "\u{feff}name;Customer_ID;note\nAna;17;x\nBo;\"18\";\"a;b\"\nCy;17;dup\nDi;;empty\nEd;abc;stray\nFi; 19 ;spaces\n";
    let list = read_ids(csv.as_bytes(), "ids.csv", "customer_id", &limits()).unwrap();
    assert_eq!(list.ids, Ids::Integers(vec![17, 18, 19]));
    assert_eq!(
        list.report,
        IdReport {
            read: 6,
            empty: 1,
            invalid: 1,
            duplicates: 1,
            distinct: 3
        }
    );
    let text = "code\nC-001\nC-002\nC-001\n";
    let list = read_ids(text.as_bytes(), "codes.csv", "code", &limits()).unwrap();
    assert_eq!(list.ids, Ids::Texts(vec!["C-001".into(), "C-002".into()]));
    assert_eq!(list.report.duplicates, 1);
}

#[test]
fn bad_csv_files_are_refused_clearly() {
    let e = read_ids(b"id,name\n1,a\n", "ids.csv", "customer_id", &limits()).unwrap_err();
    assert!(
        e.0.contains("no column \"customer_id\"") && e.0.contains("\"id\", \"name\""),
        "{e}"
    );
    let e = read_ids(b"id\n\xff\xfe1\n", "ids.csv", "id", &limits()).unwrap_err();
    assert!(e.0.contains("not UTF-8"), "{e}");
    let e = read_ids(b"id\n\n  \n", "ids.csv", "id", &limits()).unwrap_err();
    assert!(e.0.contains("no usable IDs"), "{e}");
    let small = Limits {
        max_file_bytes: 10,
        ..limits()
    };
    let e = read_ids(b"id\n1\n2\n3\n4\n5\n", "ids.csv", "id", &small).unwrap_err();
    assert!(e.0.contains("at most 10 bytes"), "{e}");
    let few = Limits {
        max_ids: 2,
        ..limits()
    };
    let e = read_ids(b"id\n1\n2\n3\n", "ids.csv", "id", &few).unwrap_err();
    assert!(e.0.contains("more than 2 distinct IDs"), "{e}");
    let long = format!("id\n{}\n7\n", "x".repeat(300));
    let list = read_ids(long.as_bytes(), "ids.csv", "id", &limits()).unwrap();
    assert_eq!((list.report.invalid, list.report.distinct), (1, 1));
}

fn workbook(build: impl FnOnce(&mut rust_xlsxwriter::Workbook)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    build(&mut book);
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_ids_come_from_the_sheet_that_has_the_column() {
    let bytes = workbook(|b| {
        let notes = b.add_worksheet();
        notes.write(0, 0, "readme").unwrap();
        let ids = b.add_worksheet();
        ids.write(0, 0, "Name").unwrap();
        ids.write(0, 1, "customer_id").unwrap();
        for (row, v) in [(1, 101.0), (2, 102.0), (3, 101.0)] {
            ids.write(row, 0, "x").unwrap();
            ids.write(row, 1, v).unwrap();
        }
        ids.write(4, 1, "n/a").unwrap();
        ids.write(5, 1, 103).unwrap();
    });
    let list = read_ids(&bytes, "ids.xlsx", "Customer_ID", &limits()).unwrap();
    assert_eq!(list.ids, Ids::Integers(vec![101, 102, 103]));
    assert_eq!(
        list.report,
        IdReport {
            read: 5,
            empty: 0,
            invalid: 1,
            duplicates: 1,
            distinct: 3
        }
    );
}

#[test]
fn dangerous_workbooks_are_refused() {
    let mut protected = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    protected.extend([0; 512]);
    let e = read_ids(&protected, "secret.xlsx", "id", &limits()).unwrap_err();
    assert!(e.0.contains("password-protected"), "{e}");

    let e = read_ids(
        b"PK\x03\x04 this is not a zip at all",
        "broken.xlsx",
        "id",
        &limits(),
    )
    .unwrap_err();
    assert!(e.0.contains("not a readable .xlsx"), "{e}");

    // 20 MB of zeros packed into a few KB: refused from the directory, before inflating.
    let mut bomb = Vec::new();
    {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut bomb));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0_u8; 1024 * 1024];
        for _ in 0..20 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap();
    }
    assert!(bomb.len() < 200_000, "compressed to {} bytes", bomb.len());
    let tight = Limits {
        max_unpacked_bytes: 10 * 1024 * 1024,
        ..limits()
    };
    let e = read_ids(&bomb, "bomb.xlsx", "id", &tight).unwrap_err();
    assert!(e.0.contains("zip bomb"), "{e}");
}

#[test]
fn column_names_cover_every_sheet_and_csv_headers() {
    let bytes = workbook(|b| {
        let notes = b.add_worksheet();
        notes.write(0, 0, "readme").unwrap();
        let ids = b.add_worksheet();
        ids.write(0, 0, "Name").unwrap();
        ids.write(0, 1, " customer_id ").unwrap();
        ids.write(0, 2, "readme").unwrap();
    });
    let names = column_names(&bytes, "ids.xlsx", &limits()).unwrap();
    assert_eq!(names, ["readme", "Name", "customer_id"]);
    let csv = column_names(b"a;b;;a\n1;2;3;4\n", "ids.csv", &limits()).unwrap();
    assert_eq!(csv, ["a", "b"]);
    assert!(column_names(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], "old.xls", &limits()).is_err());
    assert!(column_names(b"\xff\xfe", "bad.csv", &limits()).is_err());
}
