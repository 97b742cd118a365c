//! Payment card numbers: the Luhn (mod 10) check and random 16-digit Visa / Mastercard numbers that pass it.

use rand::Rng;

use clearance_extract::checks::luhn_double as double;
pub use clearance_extract::checks::luhn_valid;

/// The digit to append to `payload` (ASCII digits) so the whole number passes the Luhn check.
pub(crate) fn check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 { double(d) } else { d }
        })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// A random 16-digit card number: Visa (`4…`, 60 %) or Mastercard (`51`–`55`), with a valid check digit.
pub(crate) fn random_card(rng: &mut impl Rng) -> String {
    let mut digits = [0u8; 16];
    let start = if rng.random_ratio(3, 5) {
        digits[0] = b'4';
        1
    } else {
        digits[0] = b'5';
        digits[1] = b'0' + rng.random_range(1..=5u8);
        2
    };
    for d in &mut digits[start..15] {
        *d = b'0' + rng.random_range(0..10u8);
    }
    digits[15] = check_digit(&digits[..15]);
    digits.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn known_numbers() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(luhn_valid("5500-0000-0000-0004"));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid("0"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111x111111111111"));
    }

    #[test]
    fn random_cards_are_valid() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let card = random_card(&mut rng);
            assert_eq!(card.len(), 16);
            assert!(card.starts_with('4') || ("51".."56").contains(&&card[..2]));
            assert!(luhn_valid(&card), "{card}");
        }
    }
}
