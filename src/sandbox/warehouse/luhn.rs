//! Payment card numbers: the Luhn (mod 10) check and random 16-digit Visa / Mastercard numbers that pass it.

use rand::Rng;

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
        sum += if digits % 2 == 1 { double(d) } else { d };
        digits += 1;
    }
    digits >= 2 && sum.is_multiple_of(10)
}

fn double(d: u32) -> u32 {
    let x = d * 2;
    if x > 9 { x - 9 } else { x }
}

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
