//! Check-digit rules used to recognise real identifiers (and by the demo generator to make them): Luhn for payment
//! cards, ISO 7064 mod 97 for IBANs.

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
pub(crate) fn luhn_double(d: u32) -> u32 {
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
pub(crate) fn mod97<'a>(chars: impl Iterator<Item = &'a u8>) -> u32 {
    chars.fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            (acc * 10 + u32::from(b - b'0')) % 97
        } else {
            (acc * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}
