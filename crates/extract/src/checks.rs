//! Check-digit rules used to recognise real identifiers (and by the demo generator to make them): Luhn for payment
//! cards and Swedish personnummer, ISO 7064 mod 97 for IBANs, ISO 7064 MOD 11,10 for the German Steuer-ID, and the
//! shape matcher the value patterns share.

/// Whether `number` passes the Luhn check: at least two digits, spaces and hyphens between digits ignored (as
/// customers type them), any other character makes it invalid.
pub fn luhn_valid(number: &str) -> bool {
    let mut digits = 0usize;
    let mut sum = 0u32;
    for c in number.chars().rev() {
        let d = match c {
            '0'..='9' => u32::from(c as u8 - b'0'),
            ' ' | '-' => continue,
            _ => return false,
        };
        sum += if digits % 2 == 1 { luhn_double(d) } else { d };
        digits += 1;
    }
    digits >= 2 && sum.is_multiple_of(10)
}

/// A Luhn digit doubled (9 subtracted above 9).
pub fn luhn_double(d: u32) -> u32 {
    let x = d * 2;
    if x > 9 { x - 9 } else { x }
}

/// Whether `iban` is a well-formed IBAN: country letters, two check digits, alphanumeric BBAN of the country's
/// length (15–34 characters in total for countries this module does not know), and the whole passing mod 97 = 1.
/// Spaces are ignored; letters must be upper case, as printed on statements.
pub fn iban_valid(iban: &str) -> bool {
    let compact: Vec<u8> = iban.bytes().filter(|&b| b != b' ').collect();
    if compact.len() < 5 || !compact[..2].iter().all(u8::is_ascii_uppercase) {
        return false;
    }
    if !compact[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !compact[4..]
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return false;
    }
    let expected = match &compact[..2] {
        b"DE" | b"GB" => Some(22),
        b"FR" => Some(27),
        b"NL" => Some(18),
        b"ES" => Some(24),
        b"BE" => Some(16),
        _ => None,
    };
    match expected {
        Some(len) if compact.len() != len => return false,
        None if !(15..=34).contains(&compact.len()) => return false,
        _ => {}
    }
    let (head, bban) = compact.split_at(4);
    mod97(bban.iter().chain(head)) == 1
}

/// Remainder mod 97 of the number formed by the characters, letters counting as 10 (`A`) to 35 (`Z`).
pub fn mod97<'a>(chars: impl Iterator<Item = &'a u8>) -> u32 {
    chars.fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            (acc * 10 + u32::from(b - b'0')) % 97
        } else {
            (acc * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

/// ISO 7064 MOD 11,10 check digit of `digits` (each 0–9), as used by the German Steuer-ID.
pub fn iso7064_mod11_10(digits: &[u8]) -> u8 {
    let product = digits.iter().fold(10u8, |product, &d| {
        let sum = match (d + product) % 10 {
            0 => 10,
            s => s,
        };
        (sum * 2) % 11
    });
    // 11 − product is 1..=10 (product is never 0); 10 is written as 0.
    (11 - product) % 10
}

/// Whether `value` has the shape of `pattern`, character by character: `9` is an ASCII digit, `A` an upper-case
/// ASCII letter, anything else must be itself. Shapes rather than regular expressions: cheap, and read like the
/// formats printed in the specifications (`999-99-9999`, `A9A 9A9`).
pub fn fits(value: &str, pattern: &str) -> bool {
    value.len() == pattern.len()
        && value.bytes().zip(pattern.bytes()).all(|(v, p)| match p {
            b'9' => v.is_ascii_digit(),
            b'A' => v.is_ascii_uppercase(),
            _ => v == p,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Luhn and IBAN are tested where the demo generator re-exports them (sandbox::warehouse::{luhn, iban}).

    #[test]
    fn mod11_10_gives_the_steuer_id_check_digits() {
        // Examples from the ELSTER specification of the Steuer-ID: the last digit is the check digit.
        for id in [
            "86095742719",
            "47036892816",
            "65929970489",
            "57549285017",
            "25768131411",
        ] {
            let d: Vec<u8> = id.bytes().map(|b| b - b'0').collect();
            assert_eq!(iso7064_mod11_10(&d[..10]), d[10], "{id}");
        }
        assert_eq!(iso7064_mod11_10(&[]), 1);
    }

    #[test]
    fn shapes_match_character_classes_and_literals() {
        assert!(fits("123-45-6789", "999-99-9999"));
        assert!(fits("K1A 0B1", "A9A 9A9"));
        assert!(!fits("k1a 0b1", "A9A 9A9"));
        assert!(!fits("123-45-678", "999-99-9999"));
        assert!(!fits("123 45 6789", "999-99-9999"));
        assert!(!fits("１２３", "999"));
    }
}
