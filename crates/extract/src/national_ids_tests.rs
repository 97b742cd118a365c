//! National identifiers: published valid examples pass, every single-digit change of them fails, and business
//! numbers of the same length do not pass for identifiers.

use super::*;

/// `v` with one digit replaced by each other digit, everywhere.
fn mutations(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in v.char_indices().filter(|(_, c)| c.is_ascii_digit()) {
        for d in ('0'..='9').filter(|&d| d != c) {
            out.push(format!("{}{d}{}", &v[..i], &v[i + 1..]));
        }
    }
    out
}

/// Every example passes `rule`, and no single-digit mutation of one does.
fn valid_and_checked(rule: fn(&str) -> bool, examples: &[&str]) {
    for v in examples {
        assert!(rule(v), "{v} must be valid");
        for m in mutations(v) {
            assert!(!rule(&m), "{m} (mutated from {v}) must fail the check");
        }
    }
}

#[test]
fn check_digits_catch_every_single_digit_error() {
    // ELSTER's published Steuer-IDs.
    valid_and_checked(
        de_steuer_id,
        &[
            "86095742719",
            "47036892816",
            "65929970489",
            "57549285017",
            "25768131411",
        ],
    );
    // INSEE examples, Corsica included.
    valid_and_checked(
        fr_nir,
        &[
            "2 55 08 14 168 025 38",
            "295109912611193",
            "253072B07300470",
            "253072A07300443",
        ],
    );
    valid_and_checked(
        es_dni_nie,
        &[
            "12345678Z",
            "12345678-Z",
            "X1234567L",
            "Y1234567X",
            "Z1234567R",
        ],
    );
    valid_and_checked(
        it_codice_fiscale,
        &["RSSMRA85T10A562S", "MRTMTT25D09F205Z", "RSSMRA85T10A56NH"],
    );
    // Skatteverket's examples: a personnummer (also past 100) and a samordningsnummer. The century is outside
    // the check, so the 12-digit form is tested on its own below.
    valid_and_checked(
        se_personnummer,
        &["811228-9874", "811228+9874", "701063-2391"],
    );
    valid_and_checked(nl_bsn, &["111222333", "123456782", "12345672"]);
}

#[test]
fn structure_rules_reject_what_the_check_digit_alone_would_not() {
    // Check digit right, but two digits repeated / a digit three times in a row / a test number (leading 0).
    assert!(!de_steuer_id("36554266806"));
    assert!(!de_steuer_id("11123456786"));
    assert!(!de_steuer_id("02476291358"));
    assert!(de_steuer_id("86 095 742 719"));
    // Corsica is 2A or 2B, nothing else; the sex digit and the month must exist.
    assert!(!fr_nir("253072C07300443"));
    assert!(!fr_nir("553072A07300443"));
    // Codice fiscale: month letter F does not exist, day 35 neither (women are 41–71).
    assert!(!it_codice_fiscale("RSSMRA85F10A562S"));
    assert!(!it_codice_fiscale("rssmra85t10a562s"));
    // Personnummer: the century must be 18–20, the month and day real, the separator there.
    assert!(se_personnummer("19811228-9874"));
    assert!(!se_personnummer("8112289874"));
    assert!(!se_personnummer("811328-9874"));
    assert!(!se_personnummer("17811228-9874"));
}

#[test]
fn ssn_and_nino_follow_the_allocation_rules() {
    for ok in ["123-45-6789", "078 05 1120", "899-99-9999"] {
        assert!(us_ssn(ok), "{ok}");
    }
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",
        "123-45-0000",
        "123456789",
        "123-45 6789",
        "123-456-789",
    ] {
        assert!(!us_ssn(bad), "{bad}");
    }
    for ok in ["AB 12 34 56 C", "AB123456C", "JG103759A", "CE123456D"] {
        assert!(uk_nino(ok), "{ok}");
    }
    // QQ is HMRC's example prefix, never issued; BG/GB/… are not allocated; suffix only A–D.
    for bad in [
        "QQ123456C",
        "GB123456A",
        "DA123456A",
        "AO123456A",
        "AB123456E",
        "AB12345C",
    ] {
        assert!(!uk_nino(bad), "{bad}");
    }
}

#[test]
fn business_numbers_are_not_identifiers() {
    for v in [
        "100234",
        "123456789",
        "123456782", // BSN-valid, but bare 9 digits say nothing on their own
        "12345678901",
        "10000000001",
        "100000000000001",
        "240115-0001",
        "2024-01-15",
        "2024-01-15 00:00:00",
        "INV-2024-000123",
        "A1234567",
        "SHIPPED",
        "199.99",
        "030 1234567",
        "+49 30 1234567",
        "",
    ] {
        assert_eq!(national_id(v), None, "{v}");
    }
    assert_eq!(national_id("811228-9874"), Some(Scheme::SePersonnummer));
    assert_eq!(national_id("X1234567L"), Some(Scheme::EsDniNie));
    assert_eq!(national_id("078-05-1120"), Some(Scheme::UsSsn));
}
