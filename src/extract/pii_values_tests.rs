//! Value patterns and column findings: real personal data found, amounts, codes and statements left alone.

use super::*;

#[test]
fn values_are_recognised_with_their_check_rules() {
    use Category::*;
    for (v, expected) in [
        ("ana.lopez@example.com", Some(Email)),
        ("ana@localhost", None),
        ("not an@email.com", None),
        ("192.168.1.20", Some(IpAddress)),
        ("2001:db8::1", Some(IpAddress)),
        ("4111 1111 1111 1111", Some(CardNumber)),
        ("4111111111111112", None),
        ("DE89 3704 0044 0532 0130 00", Some(Iban)),
        ("DE89 3704 0044 0532 0130 01", None),
        ("+49 30 1234567", Some(Phone)),
        ("030 1234567", Some(Phone)),
        ("(555) 123-4567", Some(Phone)),
        ("20240115", None),
        ("2024-01-15", None),
        ("199.99", None),
        ("12345678", None),
        ("SHIPPED", None),
        ("", None),
    ] {
        assert_eq!(value_category(v), expected, "{v:?}");
    }
}

fn scan(column: &str, values: &[&str]) -> Option<Finding> {
    let mut s = ColumnScan::new(column);
    for v in values {
        s.observe(Some(v));
    }
    s.observe(None);
    s.finding()
}

#[test]
fn columns_with_personal_data_are_found() {
    let f = scan(
        "contact",
        &["a@example.com", "b@example.org", "c@example.net", "n/a"],
    )
    .unwrap();
    assert_eq!(f.categories[0].category, Category::Email);
    assert_eq!(f.categories[0].hits, 3);
    assert!((f.categories[0].confidence - 0.75).abs() < 1e-9);
    assert!(!f.categories[0].by_name);
    // The name alone flags a column, with half confidence, even when the sample is empty.
    let f = scan("date_of_birth", &[]).unwrap();
    assert_eq!(f.categories[0].category, Category::DateOfBirth);
    assert!((f.categories[0].confidence - 0.5).abs() < 1e-9);
    let f = scan("diagnosis", &["J45"]).unwrap();
    assert!(f.blocking);
    let notes = "Customer called about the parcel and said it arrived damaged, asked for a refund";
    let f = scan("ticket_body", &[notes, notes, "ok"]).unwrap();
    assert!(f.free_text && f.categories.is_empty());
}

#[test]
fn business_columns_are_left_alone() {
    assert_eq!(
        scan("order_amount", &["12.50", "199.99", "5.00", "1200.00"]),
        None
    );
    assert_eq!(
        scan("status", &["OK", "SHIPPED", "CANCELLED", "RETURNED"]),
        None
    );
    assert_eq!(scan("state", &["open", "closed"]), None);
    assert_eq!(scan("statement", &["S-2024-01", "S-2024-02"]), None);
    assert_eq!(scan("order_id", &["100234", "100235", "100236"]), None);
    // Among many 16-digit order numbers, the ~10 % that happen to pass Luhn are not enough.
    let ids: Vec<String> = (0..100)
        .map(|i| format!("{:016}", 4_000_000_000_000_000_u64 + i * 7))
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(scan("order_number", &refs), None);
}
