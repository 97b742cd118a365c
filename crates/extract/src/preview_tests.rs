use chrono::NaiveDate;

use super::*;
use crate::{pii_names::Category, sqlite_read::SqliteSource};

fn column(name: &str, source_type: &str, kind: Kind) -> Column {
    Column {
        name: name.into(),
        source_type: source_type.into(),
        kind,
    }
}

fn customers() -> Vec<Column> {
    vec![
        column("id", "INT8", Kind::I64),
        column("email", "TEXT", Kind::Text),
        column("phone", "VARCHAR", Kind::Text),
        column("birth_date", "DATE", Kind::Date),
        column("amount", "NUMERIC", Kind::Decimal),
        column("status", "TEXT", Kind::Text),
    ]
}

/// `n` customers; the first has no e-mail address. Birth dates spread over 1945–1994, amounts with cents.
fn rows(n: i64) -> Vec<Vec<Cell>> {
    (1..=n)
        .map(|i| {
            let born = NaiveDate::from_ymd_opt(1945 + (i * 7 % 50) as i32, 1 + (i % 12) as u32, 3);
            vec![
                Cell::Int(i),
                if i == 1 {
                    Cell::Null
                } else {
                    Cell::Text(format!("person{i}@example.com"))
                },
                Cell::Text(format!("+44 20 7946 {:04}", 100 + i)),
                born.map_or(Cell::Null, Cell::Date),
                Cell::Decimal(format!("{}.{:02}", 10 + i, 11 + i % 8 * 11)),
                Cell::Text(["new", "paid", "shipped"][(i % 3) as usize].into()),
            ]
        })
        .collect()
}

/// A preview request that only sizes the sample (`summarise` reads nothing else from it).
fn sized(scan_rows: usize, show_rows: usize, mask_flagged: bool) -> PreviewRequest {
    PreviewRequest {
        source_url: secrecy::SecretString::from("sqlite://unused"),
        policy: std::sync::Arc::new(crate::source_policy::SourcePolicy::operator()),
        timeout: std::time::Duration::from_secs(1),
        sql: String::new(),
        ids: None,
        masking: BTreeMap::new(),
        scan_rows,
        show_rows,
        mask_flagged,
    }
}

fn masker(columns: &[Column]) -> Result<Masker, String> {
    let plan = [
        ("email".to_owned(), Masking::Mask),
        ("phone".to_owned(), Masking::Drop),
    ];
    Masker::new(columns, &plan.into())
}

#[test]
fn rows_are_masked_as_delivered_and_the_scan_sees_every_query_column() -> Result<(), String> {
    let columns = customers();
    let m = masker(&columns)?;
    let p = summarise(&columns, &m, rows(41), &sized(40, 5, false));
    assert!(p.more, "41 rows read for a sample of 40");
    assert_eq!(p.sampled, 40);
    assert_eq!(p.rows.len(), 5);
    let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "email", "birth_date", "amount", "status"]);
    assert_eq!(p.columns[1].column_type, ColumnType::Text);
    assert_eq!(p.columns[1].masking, Masking::Mask);
    assert_eq!(p.columns[2].column_type, ColumnType::Date);
    assert_eq!(p.columns[3].source_type, "NUMERIC");
    let text = |s: &str| Some(s.to_owned());
    assert_eq!(
        p.rows[0],
        [
            text("1"),
            None,
            text("1952-02-03"),
            text("11.22"),
            text("paid")
        ]
    );
    assert_eq!(p.rows[1][1], text("p***@example.com"));
    // The same cells through the masker the bundle uses, then as text: what the CSV would hold.
    let delivered = m.masked_row(&rows(2)[1]);
    let expected: Vec<Option<String>> = delivered.iter().map(|c| Some(c.to_text())).collect();
    assert_eq!(p.rows[1], expected);

    let found: Vec<&str> = p.findings.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(found, ["email", "phone", "birth_date"], "{:?}", p.findings);
    let category = |column: &str, category: Category| {
        p.findings
            .iter()
            .find(|f| f.column == column)
            .and_then(|f| f.categories.iter().find(|c| c.category == category))
            .cloned()
    };
    let email = category("email", Category::Email).ok_or("no e-mail finding")?;
    assert!(email.by_name && email.hits == 39, "{email:?}");
    let born = category("birth_date", Category::DateOfBirth).ok_or("no birth dates")?;
    assert!(born.hits == 40, "{born:?}");
    Ok(())
}

#[test]
fn flagged_columns_the_plan_keeps_are_masked_in_the_preview_unless_allowed() -> Result<(), String> {
    let columns = customers();
    let keep_all = Masker::new(&columns, &BTreeMap::new())?;
    let p = summarise(&columns, &keep_all, rows(40), &sized(40, 5, true));
    let masked: Vec<&str> = p
        .columns
        .iter()
        .filter(|c| c.masked_in_preview)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(masked, ["email", "phone", "birth_date"]);
    assert_eq!(p.rows[1][1].as_deref(), Some("p***@example.com"));
    assert!(
        p.rows
            .iter()
            .flatten()
            .flatten()
            .all(|v| !v.contains("person"))
    );
    assert_eq!(
        p.columns[1].masking,
        Masking::Keep,
        "the plan still keeps it"
    );
    // The site allows it: shown as the plan delivers it.
    let p = summarise(&columns, &keep_all, rows(40), &sized(40, 5, false));
    assert!(p.columns.iter().all(|c| !c.masked_in_preview));
    assert_eq!(p.rows[1][1].as_deref(), Some("person2@example.com"));
    Ok(())
}

#[test]
fn a_short_result_is_all_sampled_and_only_sampled_rows_are_shown() -> Result<(), String> {
    let columns = customers();
    let m = masker(&columns)?;
    let p = summarise(&columns, &m, rows(12), &sized(500, 20, false));
    assert!(!p.more);
    assert_eq!((p.sampled, p.rows.len()), (12, 12));
    let p = summarise(&columns, &m, rows(4), &sized(3, 20, false));
    assert!(p.more);
    assert_eq!((p.sampled, p.rows.len()), (3, 3));
    let p = summarise(&columns, &m, Vec::new(), &sized(500, 20, false));
    assert!(!p.more && p.sampled == 0 && p.rows.is_empty());
    assert_eq!(p.columns.len(), 5, "columns are known without rows");
    let names: Vec<&str> = p.findings.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(names, ["email", "phone", "birth_date"], "by name alone");
    Ok(())
}

#[test]
fn text_typed_columns() {
    assert!(textual(Kind::Text));
    assert!(textual(Kind::Dynamic(Declared::Text)));
    for kind in [
        Kind::I64,
        Kind::Uuid,
        Kind::Decimal,
        Kind::Dynamic(Declared::None),
        Kind::Dynamic(Declared::Numeric),
    ] {
        assert!(!textual(kind), "{kind:?}");
    }
}

#[test]
fn sqlite_steps_only_the_rows_asked_for() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.db");
    rusqlite::Connection::open(&path)?.execute_batch("CREATE TABLE t (x INTEGER)")?;
    let s = SqliteSource::open(&path, Duration::from_secs(30))?;
    // Endless: only a reader that stops stepping returns.
    let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n";
    let kinds = [Kind::Dynamic(Declared::None)];
    let rows = s.sample(endless, None, &kinds, 3)?;
    assert_eq!(rows, [[Cell::Int(1)], [Cell::Int(2)], [Cell::Int(3)]]);
    assert!(s.sample(endless, None, &kinds, 0)?.is_empty());
    let listed = "SELECT value FROM json_each(?) ORDER BY value";
    let rows = s.sample(listed, Some("[3, 1, 2]"), &kinds, 10)?;
    assert_eq!(rows.len(), 3);
    Ok(())
}
