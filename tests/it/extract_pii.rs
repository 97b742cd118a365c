//! The PII scan on the demo warehouse: every column with personal data is found by its name and, where the values
//! allow, by them too (birth dates by their spread, postal codes by shape); none of the business columns (amounts,
//! status codes, currencies, dates of orders, payments and tickets, ids) is flagged.

use std::collections::BTreeMap;

use clearance::extract::{
    pii_names::Category,
    pii_values::{ColumnScan, Finding},
};
use clearance_sandbox::warehouse::{self, DEFAULT_SEED};
use sqlx::{Column, Connection, Row, SqliteConnection, TypeInfo};

/// Sample up to 300 rows of every column, as text, and scan them (text-typed columns said to be so).
async fn scan_table(c: &mut SqliteConnection, table: &str) -> BTreeMap<String, Option<Finding>> {
    scan_query(c, &format!("SELECT * FROM {table} LIMIT 300")).await
}

/// Scan every column of the query's result.
async fn scan_query(c: &mut SqliteConnection, sql: &str) -> BTreeMap<String, Option<Finding>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut *c)
        .await
        .unwrap();
    let columns: Vec<String> = rows[0]
        .columns()
        .iter()
        .map(|col| col.name().to_owned())
        .collect();
    let mut scans: Vec<ColumnScan> = rows[0]
        .columns()
        .iter()
        .map(|col| ColumnScan::typed(col.name(), col.type_info().name() == "TEXT"))
        .collect();
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
    // Found by their values as well as by their names.
    let by_value_too = [
        "customers.email",
        "customers.phone",
        "customers.postal_code",
        "customers.birth_date",
        "payments.card_number",
        "payments.iban",
    ];
    let free_text = ["support_tickets.body"];
    let mut seen = 0;
    for table in warehouse::TABLE_NAMES {
        for (column, finding) in scan_table(&mut c, table).await {
            let key = format!("{table}.{column}");
            if let Some(category) = expected.get(key.as_str()) {
                seen += 1;
                let f = finding.unwrap_or_else(|| panic!("{key}: not found"));
                let found = f.categories.iter().find(|c| c.category == *category);
                let found = found.unwrap_or_else(|| panic!("{key}: {f:?}"));
                assert!(found.by_name, "{key}: {found:?}");
                if by_value_too.contains(&key.as_str()) {
                    assert!(found.confidence > 0.5 && found.hits > 0, "{key}: {found:?}");
                }
            } else if free_text.contains(&key.as_str()) {
                let f = finding.unwrap_or_else(|| panic!("{key}: not flagged"));
                assert!(f.free_text, "{key}: {f:?}");
            } else {
                assert!(finding.is_none(), "{key} flagged: {finding:?}");
            }
        }
    }
    assert_eq!(seen, expected.len());

    // Under a name that says nothing, the birth dates (1940–2006) are still dates of birth, and the postal codes
    // with a shape of their own (UK, NL; bare digits need the name) are still postal codes.
    let neutral = [
        (
            "SELECT birth_date AS value FROM customers LIMIT 300",
            Category::DateOfBirth,
        ),
        (
            "SELECT postal_code AS value FROM customers WHERE postal_code GLOB '*[A-Z]*' LIMIT 300",
            Category::PostalCode,
        ),
    ];
    for (sql, category) in neutral {
        let f = scan_query(&mut c, sql).await.remove("value").flatten();
        let f = f.unwrap_or_else(|| panic!("{sql}: not found"));
        let found = f.categories.iter().find(|c| c.category == category);
        assert!(
            found.is_some_and(|c| !c.by_name && c.confidence > 0.6),
            "{sql}: {f:?}"
        );
    }
}
