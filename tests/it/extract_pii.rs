//! The PII scan on the demo warehouse: every column with personal data is found (by name, by value or both), and
//! none of the business columns (amounts, status codes, currencies, dates of events, ids) is flagged.

use std::collections::BTreeMap;

use clearance::{
    extract::{pii_names::Category, pii_values::ColumnScan},
    sandbox::warehouse::{self, DEFAULT_SEED},
};
use sqlx::{Column, Connection, Row, SqliteConnection};

/// Sample up to 300 rows of every column, as text, and scan them.
async fn scan_table(
    c: &mut SqliteConnection,
    table: &str,
) -> BTreeMap<String, Option<clearance::extract::pii_values::Finding>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM {table} LIMIT 300"
    )))
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let columns: Vec<String> = rows[0]
        .columns()
        .iter()
        .map(|col| col.name().to_owned())
        .collect();
    let mut scans: Vec<ColumnScan> = columns.iter().map(|n| ColumnScan::new(n)).collect();
    for row in &rows {
        for (i, scan) in scans.iter_mut().enumerate() {
            let text: Option<String> = row
                .try_get::<Option<String>, _>(i)
                .ok()
                .flatten()
                .or_else(|| {
                    row.try_get::<Option<i64>, _>(i)
                        .ok()
                        .flatten()
                        .map(|n| n.to_string())
                })
                .or_else(|| {
                    row.try_get::<Option<f64>, _>(i)
                        .ok()
                        .flatten()
                        .map(|n| n.to_string())
                });
            scan.observe(text.as_deref());
        }
    }
    columns
        .into_iter()
        .zip(scans.iter().map(ColumnScan::finding))
        .collect()
}

#[tokio::test]
async fn demo_warehouse_pii_is_found_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("warehouse.db").display());
    warehouse::generate(&url, 400, DEFAULT_SEED).await.unwrap();
    let mut c = SqliteConnection::connect(&url).await.unwrap();
    let expected: BTreeMap<&str, Category> = [
        ("customers.first_name", Category::Name),
        ("customers.last_name", Category::Name),
        ("customers.email", Category::Email),
        ("customers.phone", Category::Phone),
        ("customers.street", Category::Address),
        ("customers.postal_code", Category::PostalCode),
        ("customers.birth_date", Category::DateOfBirth),
        ("payments.card_number", Category::CardNumber),
        ("payments.iban", Category::Iban),
    ]
    .into();
    let free_text = ["support_tickets.body"];
    let mut seen = 0;
    for table in warehouse::TABLE_NAMES {
        for (column, finding) in scan_table(&mut c, table).await {
            let key = format!("{table}.{column}");
            if let Some(category) = expected.get(key.as_str()) {
                seen += 1;
                let f = finding.unwrap_or_else(|| panic!("{key}: not found"));
                assert!(
                    f.categories.iter().any(|c| c.category == *category),
                    "{key}: {f:?}"
                );
            } else if free_text.contains(&key.as_str()) {
                let f = finding.unwrap_or_else(|| panic!("{key}: not flagged"));
                assert!(f.free_text, "{key}: {f:?}");
            } else {
                assert!(finding.is_none(), "{key} flagged: {finding:?}");
            }
        }
    }
    assert_eq!(seen, expected.len());
}
