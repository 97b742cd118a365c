//! IBANs (ISO 13616): the mod-97 check, and random account numbers in the DE, FR, GB, NL, ES and BE formats with
//! valid check digits (and the national check digits where a format has an easy one: FR, ES, BE).

use rand::Rng;

pub use clearance_extract::checks::iban_valid;
use clearance_extract::checks::mod97;

/// The IBAN for `country` and `bban`, with its check digits computed.
pub(crate) fn make_iban(country: &str, bban: &str) -> String {
    let tail: Vec<u8> = bban.bytes().chain(country.bytes()).chain(*b"00").collect();
    let check = 98 - mod97(tail.iter());
    format!("{country}{check:02}{bban}")
}

/// A random IBAN of `country` (one of DE, FR, GB, NL, ES, BE; anything else gets a German one).
pub(crate) fn random_iban(rng: &mut impl Rng, country: &str) -> String {
    let mut bban = String::with_capacity(30);
    match country {
        "FR" => {
            // bank (5) + branch (5) + account (11) + RIB key (2).
            let bank = rng.random_range(10_000..100_000u64);
            let branch = rng.random_range(0..100_000u64);
            let account = rng.random_range(0..100_000_000_000u64);
            let key = 97 - (89 * bank + 15 * branch + 3 * account) % 97;
            bban.push_str(&format!("{bank:05}{branch:05}{account:011}{key:02}"));
            return make_iban("FR", &bban);
        }
        "GB" => {
            let banks = ["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "MONZ"];
            bban.push_str(banks[rng.random_range(0..banks.len())]);
            digits(rng, &mut bban, 14); // sort code (6) + account (8)
        }
        "NL" => {
            let banks = [
                "ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ",
            ];
            bban.push_str(banks[rng.random_range(0..banks.len())]);
            digits(rng, &mut bban, 10);
        }
        "ES" => {
            // bank (4) + branch (4) + two national check digits + account (10).
            let mut office = String::with_capacity(8);
            digits(rng, &mut office, 8);
            let mut account = String::with_capacity(10);
            digits(rng, &mut account, 10);
            let first = es_check(&format!("00{office}"));
            let second = es_check(&account);
            bban = format!("{office}{first}{second}{account}");
        }
        "BE" => {
            // bank (3) + account (7) + national check (the first ten digits mod 97, 97 for 0).
            let n = rng.random_range(0..10_000_000_000u64);
            let check = match n % 97 {
                0 => 97,
                r => r,
            };
            bban = format!("{n:010}{check:02}");
        }
        _ => {
            // DE: bank code (8) + account (10).
            digits(rng, &mut bban, 18);
            return make_iban("DE", &bban);
        }
    }
    make_iban(country, &bban)
}

fn digits(rng: &mut impl Rng, out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

/// Spanish national check digit over ten digits (weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6; mod 11).
fn es_check(ten: &str) -> u32 {
    const WEIGHTS: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let sum: u32 = ten
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        11 => 0,
        10 => 1,
        d => d,
    }
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn published_examples() {
        for iban in [
            "DE89 3704 0044 0532 0130 00",
            "FR14 2004 1010 0505 0001 3M02 606",
            "GB29 NWBK 6016 1331 9268 19",
            "NL91 ABNA 0417 1643 00",
            "ES91 2100 0418 4502 0005 1332",
            "BE68 5390 0754 7034",
            "CH93 0076 2011 6238 5295 7",
        ] {
            assert!(iban_valid(iban), "{iban}");
        }
        for iban in [
            "DE89 3704 0044 0532 0130 01",
            "GB29NWBK60161331926819X",
            "de89370400440532013000",
            "DE",
        ] {
            assert!(!iban_valid(iban), "{iban}");
        }
    }

    #[test]
    fn national_checks_match_published_examples() {
        assert_eq!(es_check("0021000418"), 4);
        assert_eq!(es_check("0200051332"), 5);
    }

    #[test]
    fn random_ibans_are_valid() {
        let mut rng = StdRng::seed_from_u64(3);
        for country in ["DE", "FR", "GB", "NL", "ES", "BE", "XX"] {
            for _ in 0..300 {
                let iban = random_iban(&mut rng, country);
                assert!(iban_valid(&iban), "{iban}");
            }
        }
    }
}
