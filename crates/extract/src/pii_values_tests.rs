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
        ("078-05-1120", Some(NationalId)), // an SSN, not a phone number with a trunk zero
        ("AB 12 34 56 C", Some(NationalId)),
        ("86095742719", Some(NationalId)),
        ("86095742718", None),
        ("2 55 08 14 168 025 38", Some(NationalId)),
        ("12345678Z", Some(NationalId)),
        ("RSSMRA85T10A562S", Some(NationalId)),
        ("811228-9874", Some(NationalId)),
        ("123456782", None), // BSN-valid, but only a column can say so
        ("SW1A 1AA", Some(PostalCode)),
        ("EC1A 1BB", Some(PostalCode)),
        ("M1 1AE", Some(PostalCode)),
        ("B33 8TH", Some(PostalCode)),
        ("DN55 1PT", Some(PostalCode)),
        ("W1A 0AX", Some(PostalCode)),
        ("1012 AB", Some(PostalCode)),
        ("K1A 0B1", Some(PostalCode)),
        ("12345-6789", Some(PostalCode)),
        ("01234-5678", Some(PostalCode)),
        ("1000-001", Some(PostalCode)),
        ("QA1 1AA", None),  // Q is never an area's first letter
        ("SW1A 1CA", None), // C never in an inward code
        ("SW1A1AA", None),  // compact: reads like a product code
        ("0123 AB", None),  // Dutch codes start at 1000
        ("1234 SS", None),  // SS is never used
        ("D1A 1A1", None),  // D is not a Canadian letter
        ("00-950", None),   // also a range like 10-100
        ("100-0001", None), // also a US local number
        ("12345", None),
        ("0-100", None),
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
    scan_typed(ColumnScan::new(column), values)
}

fn scan_typed(mut s: ColumnScan, values: &[&str]) -> Option<Finding> {
    for v in values {
        s.observe(Some(v));
    }
    s.observe(None);
    s.finding()
}

/// The finding's entry for `category`, if any.
fn category(f: &Option<Finding>, category: Category) -> Option<&CategoryFinding> {
    f.as_ref()?
        .categories
        .iter()
        .find(|c| c.category == category)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// `count` dates from `from`, `step` days apart modulo `span` days (a spread without randomness), in `format`.
fn dates(from: NaiveDate, span: u64, step: u64, count: u64, format: &str) -> Vec<String> {
    (0..count)
        .map(|i| {
            let d = from + chrono::Days::new(i * step % span);
            d.format(format).to_string()
        })
        .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
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

#[test]
fn dates_of_birth_are_found_from_their_spread() {
    let today = day(2025, 6, 1);
    let scan_dates =
        |column: &str, v: &[String]| scan_typed(ColumnScan::new(column).as_of(today), &refs(v));
    // Customers born 1940–2006, like the demo warehouse: found by value under a name that says nothing.
    let born = dates(day(1940, 1, 1), 24_470, 7_919, 300, "%Y-%m-%d");
    let f = scan_dates("d1", &born);
    let dob = category(&f, Category::DateOfBirth).unwrap();
    assert!(!dob.by_name && dob.hits == 300, "{f:?}");
    let f = scan_dates("birth_date", &born);
    assert!(category(&f, Category::DateOfBirth).unwrap().by_name);
    // Dates at midnight are dates too; a time of day makes them events.
    let midnight = dates(day(1940, 1, 1), 24_470, 7_919, 300, "%Y-%m-%d 00:00:00");
    assert!(category(&scan_dates("d1", &midnight), Category::DateOfBirth).is_some());
    let iso = dates(day(1940, 1, 1), 24_470, 7_919, 300, "%Y-%m-%dT00:00:00Z");
    assert!(category(&scan_dates("d1", &iso), Category::DateOfBirth).is_some());
    let timed = dates(day(1940, 1, 1), 24_470, 7_919, 300, "%Y-%m-%d 14:03:12");
    assert_eq!(scan_dates("d1", &timed), None);
    // Order dates over six years, and even 25 years of history: the newest tenth is recent.
    let orders = dates(day(2019, 1, 1), 2_373, 97, 300, "%Y-%m-%d");
    assert_eq!(scan_dates("ordered_on", &orders), None);
    let history = dates(day(2000, 1, 1), 9_100, 97, 300, "%Y-%m-%d");
    assert_eq!(scan_dates("contract_start", &history), None);
    // Too few dates, dates in the future, ages past 120.
    assert_eq!(scan_dates("d1", &born[..9]), None);
    let future = dates(day(2030, 1, 1), 24_470, 7_919, 300, "%Y-%m-%d");
    assert_eq!(scan_dates("d1", &future), None);
    let old = dates(day(1850, 1, 1), 24_470, 7_919, 300, "%Y-%m-%d");
    assert_eq!(scan_dates("d1", &old), None);
    // Years are not dates.
    let years: Vec<String> = (1940..2006).map(|y| y.to_string()).collect();
    assert_eq!(scan_dates("year", &years), None);
}

#[test]
fn postal_codes_are_found_by_shape_and_bare_digits_only_in_text_under_their_name() {
    let mixed = [
        "SW1A 1AA", "1012 AB", "M1 1AE", "K1A 0B1", "3011 CD", "EH1 2NG",
    ];
    let f = scan("location", &mixed);
    let postal = category(&f, Category::PostalCode).unwrap();
    assert!(!postal.by_name && postal.hits == 6, "{f:?}");
    // German/French/Spanish codes: a leading zero shows the column is text.
    let eu = ["10115", "04109", "75008", "28013", "01067", "80331"];
    let f = scan("postal_code", &eu);
    let postal = category(&f, Category::PostalCode).unwrap();
    assert!(
        postal.by_name && postal.hits == 6 && postal.confidence > 0.99,
        "{f:?}"
    );
    // No leading zero and the type unknown: could be numbers, so the name alone.
    let us = ["10115", "94105", "60601", "73301", "98101"];
    let f = scan("zip", &us);
    assert_eq!(category(&f, Category::PostalCode).unwrap().hits, 0);
    // A text column of equal-length values is text enough.
    let f = scan_typed(ColumnScan::typed("zip", true), &us);
    assert_eq!(category(&f, Category::PostalCode).unwrap().hits, 5);
    // Polish and Japanese shapes under an address name.
    let f = scan("delivery_address_code", &["00-950", "31-042", "100-0001"]);
    assert_eq!(category(&f, Category::PostalCode).unwrap().hits, 3);
    // Amounts, ids, years, ranges and local phone numbers without such a name are left alone, text or not.
    for (column, values) in [
        ("amount_cents", &["01250", "19999", "00500", "12000"][..]),
        ("sku", &["04711", "04712", "04713"]),
        ("fiscal_year", &["2019", "2020", "2021", "2022"]),
        ("price_band", &["10-100", "50-250", "100-1000"]),
        ("extension", &["555-1234", "555-9876"]),
    ] {
        assert_eq!(
            scan_typed(ColumnScan::typed(column, true), values),
            None,
            "{column}"
        );
    }
    // An address id is flagged by its name (an address), but its numbers are not postal codes.
    let f = scan_typed(
        ColumnScan::typed("address_id", true),
        &["10234", "10235", "10236"],
    );
    assert!(
        f.is_some() && category(&f, Category::PostalCode).is_none(),
        "{f:?}"
    );
}

/// A valid BSN from an 8-digit stem, if the stem has one (a check of 10 has no digit).
fn bsn(stem: u32) -> Option<String> {
    let s = format!("{stem:08}");
    let sum: u32 = s
        .bytes()
        .zip((2..=9).rev())
        .map(|(b, w)| w * u32::from(b - b'0'))
        .sum();
    let check = sum % 11;
    (check < 10).then(|| format!("{s}{check}"))
}

#[test]
fn national_ids_are_found_and_order_numbers_are_not() {
    let steuer = ["86095742719", "47036892816", "65929970489", "57549285017"];
    let f = scan("ref", &steuer);
    assert_eq!(category(&f, Category::NationalId).unwrap().hits, 4);
    // Order numbers made of a date and a sequence: about one in ten passes Luhn, far from enough.
    let orders: Vec<String> = (1..=100).map(|i| format!("240115-{i:04}")).collect();
    assert_eq!(scan("order_no", &refs(&orders)), None);
    // 11-digit and 9-digit ids, sequential.
    let ids: Vec<String> = (0..100)
        .map(|i| (48_213_765_900u64 + i).to_string())
        .collect();
    assert_eq!(scan("invoice_id", &refs(&ids)), None);
    let ids: Vec<String> = (0..100)
        .map(|i| (100_000_000 + i * 37).to_string())
        .collect();
    assert_eq!(scan("order_id", &refs(&ids)), None);
    // BSNs: a whole column passing the 11-proof is found without a name; a few among order numbers are not.
    let bsns: Vec<String> = (0..40)
        .filter_map(|i| bsn(10_000_000 + i * 7_919))
        .collect();
    assert!(bsns.len() >= 20);
    let f = scan("klant_ref", &refs(&bsns));
    assert!(
        category(&f, Category::NationalId).is_some_and(|c| !c.by_name),
        "{f:?}"
    );
    assert_eq!(scan("klant_ref", &refs(&bsns[..10])), None);
    let f = scan("bsn", &refs(&bsns[..10]));
    assert_eq!(category(&f, Category::NationalId).unwrap().hits, 10);
}

#[test]
fn the_prefilter_passes_over_only_what_no_detector_matches() {
    // Every value some detector recognises gets past the prefilter…
    for v in [
        "someone@example.org",
        "::1",
        "fe80::1",
        "10.0.0.1",
        "SW1A 1AA",
        "K1A 0B1",
        "01624",
        "1234 AB",
        "+49 30 1234567",
        "4111 1111 1111 1111",
        "DE89370400440532013000",
        "078-05-1120",
        "AB 12 34 56 C",
        "RSSMRA85T10A562S",
        "RSSMRALPTMLALRMS",
        "1969-07-31",
        "123456782",
    ] {
        assert!(may_match(v) || value_category(v).is_none(), "{v}");
        if value_category(v).is_some() || postal_shape(v).is_some() || calendar_date(v).is_some() {
            assert!(may_match(v), "{v} is recognised but would be passed over");
        }
    }
    // …and names, streets and cities do not.
    for v in [
        "Jürgen",
        "Gartenstraße 32",
        "Birkenweg 161",
        "Frankfurt am Main",
        "DE",
    ] {
        assert!(!may_match(v), "{v}");
    }
}
