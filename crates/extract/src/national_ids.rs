//! National identifiers recognised by their printed shape and their real check rules, so that the PII scan can
//! flag a column of them whatever it is called. Danish CPR numbers are deliberately absent: their mod-11 check was
//! dropped in 2007, and without it `DDMMYY-SSSS` cannot be told from a date followed by a sequence number.

use super::checks::{fits, iso7064_mod11_10, luhn_valid};

/// Which rule recognised an identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// US Social Security number.
    UsSsn,
    /// UK National Insurance number.
    UkNino,
    /// German Steuer-ID (steuerliche Identifikationsnummer).
    DeSteuerId,
    /// French NIR (numéro de sécurité sociale).
    FrNir,
    /// Spanish DNI or NIE.
    EsDniNie,
    /// Italian codice fiscale.
    ItCodiceFiscale,
    /// Swedish personnummer (or samordningsnummer).
    SePersonnummer,
}

/// A rule recognising one scheme's identifiers.
type Rule = fn(&str) -> bool;

/// Every scheme recognised on a single value.
const RULES: [(Scheme, Rule); 7] = [
    (Scheme::UsSsn, us_ssn),
    (Scheme::UkNino, uk_nino),
    (Scheme::DeSteuerId, de_steuer_id),
    (Scheme::FrNir, fr_nir),
    (Scheme::EsDniNie, es_dni_nie),
    (Scheme::ItCodiceFiscale, it_codice_fiscale),
    (Scheme::SePersonnummer, se_personnummer),
];

/// The scheme a single value is an identifier of. The Dutch BSN is not among them: a bare 9-digit number passes
/// its 11-proof one time in 11, so it is only a column-level signal (see [`nl_bsn`]).
pub fn national_id(v: &str) -> Option<Scheme> {
    RULES.iter().find(|(_, rule)| rule(v)).map(|&(s, _)| s)
}

/// `AAA-GG-SSSS` (or with spaces) outside the ranges the SSA never issues: area 000, 666 and 900–999, group 00,
/// serial 0000. There is no check digit, so a bare 9-digit number is never taken for one.
pub fn us_ssn(v: &str) -> bool {
    if !fits(v, "999-99-9999") && !fits(v, "999 99 9999") {
        return false;
    }
    let b = v.as_bytes();
    let area = number(&b[0..3]);
    area != 0 && area != 666 && area < 900 && number(&b[4..6]) != 0 && number(&b[7..11]) != 0
}

/// `AB 12 34 56 C` (spaces optional): HMRC's prefix rules (first letter not D F I Q U V, second not D F I O Q U V,
/// BG GB KN NK NT TN ZZ never allocated) and a suffix A–D.
pub fn uk_nino(v: &str) -> bool {
    if v.len() > 13 {
        return false;
    }
    let Some((buf, n)) = squeezed::<9>(v, b" ") else {
        return false;
    };
    let Ok(c) = std::str::from_utf8(&buf[..n]) else {
        return false;
    };
    if !fits(c, "AA999999A") {
        return false;
    }
    let b = c.as_bytes();
    !b"DFIQUV".contains(&b[0])
        && !b"DFIOQUV".contains(&b[1])
        && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&c[..2])
        && (b'A'..=b'D').contains(&b[8])
}

/// Dutch BSN: 9 digits (8 when a numeric column dropped the leading zero) passing the 11-proof
/// 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11).
pub fn nl_bsn(v: &str) -> bool {
    if !fits(v, "999999999") && !fits(v, "99999999") {
        return false;
    }
    let mut d = [0u8; 9];
    d[9 - v.len()..].copy_from_slice(v.as_bytes());
    let d = d.map(|b| i32::from(b.saturating_sub(b'0')));
    let sum: i32 = d[..8]
        .iter()
        .zip((2..=9).rev())
        .map(|(x, w)| w * x)
        .sum::<i32>()
        - d[8];
    d.iter().any(|&x| x != 0) && sum.rem_euclid(11) == 0
}

/// German Steuer-ID: 11 digits (or `12 345 678 901`), no leading zero (those are test numbers), in the first ten
/// exactly one digit repeated twice or three times (never three in a row), the last the ISO 7064 MOD 11,10 check.
pub fn de_steuer_id(v: &str) -> bool {
    if !fits(v, "99999999999") && !fits(v, "99 999 999 999") {
        return false;
    }
    let d = digits(v);
    let (body, check) = d.split_at(10);
    d[0] != 0 && steuer_id_repetition(body) && iso7064_mod11_10(body) == check[0]
}

/// The Steuer-ID's digit rule: one digit occurs two or three times, the others at most once.
fn steuer_id_repetition(body: &[u8]) -> bool {
    let mut counts = [0u8; 10];
    for &d in body {
        counts[usize::from(d)] += 1;
    }
    let mut repeated = (0u8..10).filter(|&d| counts[usize::from(d)] > 1);
    match (repeated.next(), repeated.next()) {
        (Some(d), None) => match counts[usize::from(d)] {
            2 => true,
            3 => !body.windows(3).any(|w| w.iter().all(|&x| x == d)),
            _ => false,
        },
        _ => false,
    }
}

/// French NIR: 13 digits and a 2-digit key = 97 − (number mod 97), spaces allowed (`2 55 08 14 168 025 38`). The
/// sex digit is 1–4, 7 or 8; the month 01–12 or one of INSEE's pseudo-months (20–42, 50–99); Corsican departments
/// 2A and 2B count as 19 and 18 in the key.
pub fn fr_nir(v: &str) -> bool {
    if v.len() > 21 {
        return false;
    }
    let Some((c, 15)) = squeezed::<15>(v, b" ") else {
        return false;
    };
    let mut head = [0u8; 13];
    head.copy_from_slice(&c[..13]);
    match &head[5..7] {
        b"2A" => head[5..7].copy_from_slice(b"19"),
        b"2B" => head[5..7].copy_from_slice(b"18"),
        _ => {}
    }
    if !head.iter().chain(&c[13..]).all(u8::is_ascii_digit) {
        return false;
    }
    let month = number(&head[3..5]);
    let n = head
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    b"123478".contains(&head[0])
        && matches!(month, 1..=12 | 20..=42 | 50..=99)
        && u64::from(number(&c[13..])) == 97 - n % 97
}

/// Spanish DNI (`12345678Z`) or NIE (`X1234567L`, X/Y/Z standing for 0/1/2): the letter is the number mod 23 in
/// the table `TRWAGMYFPDXBNJZSQVHLCKE`. A hyphen or space before the letter is allowed.
pub fn es_dni_nie(v: &str) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    if v.len() > 11 {
        return false;
    }
    let Some((buf, n)) = squeezed::<9>(v, b"- ") else {
        return false;
    };
    let Ok(c) = std::str::from_utf8(&buf[..n]) else {
        return false;
    };
    if !fits(c, "99999999A") && !fits(c, "A9999999A") {
        return false;
    }
    let b = c.as_bytes();
    let lead = match b[0] {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        d if d.is_ascii_digit() => u32::from(d - b'0'),
        _ => return false,
    };
    let n = lead * 10_000_000 + number(&b[1..8]);
    LETTERS[(n % 23) as usize] == b[8]
}

/// Italian codice fiscale: 6 letters, year, month letter, day (+40 for women), 4-character place code, check letter
/// from the odd/even position tables. Digits may be replaced by L–V (omocodia, for colliding codes).
pub fn it_codice_fiscale(v: &str) -> bool {
    const OMOCODIA: &[u8] = b"LMNPQRSTUV";
    const ODD: [u8; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let b = v.as_bytes();
    if b.len() != 16 {
        return false;
    }
    let digit = |c: u8| -> Option<u8> {
        if c.is_ascii_digit() {
            Some(c - b'0')
        } else {
            OMOCODIA.iter().position(|&o| o == c).map(|p| p as u8)
        }
    };
    let letters_ok = [0, 1, 2, 3, 4, 5, 8, 11, 15]
        .iter()
        .all(|&i| b[i].is_ascii_uppercase());
    let digits_ok = [6, 7, 9, 10, 12, 13, 14]
        .iter()
        .all(|&i| digit(b[i]).is_some());
    if !letters_ok || !digits_ok || !b"ABCDEHLMPRST".contains(&b[8]) {
        return false;
    }
    let day = digit(b[9]).unwrap_or(0) * 10 + digit(b[10]).unwrap_or(0);
    // Digits count 0–9 and letters 0–25 on even positions; odd positions (1st, 3rd…) go through the table, a digit
    // like the letter with its value (0 like A).
    let sum: u32 = b[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let value = if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'A'
            };
            u32::from(if i % 2 == 0 {
                ODD[usize::from(value)]
            } else {
                value
            })
        })
        .sum();
    matches!(day, 1..=31 | 41..=71) && u32::from(b[15] - b'A') == sum % 26
}

/// Swedish personnummer `YYMMDD-NNNN` (`+` past 100 years of age) or `YYYYMMDD-NNNN`: a real month, a day 01–31
/// (61–91 for a samordningsnummer) and Luhn over the ten digits from `YY`. The separator is required: ten bare
/// digits are as likely an order number.
pub fn se_personnummer(v: &str) -> bool {
    let ten = if fits(v, "999999-9999") || fits(v, "999999+9999") {
        v
    } else if fits(v, "99999999-9999") && matches!(&v[..2], "18" | "19" | "20") {
        &v[2..]
    } else {
        return false;
    };
    let d = digits(ten);
    let (month, day) = (d[2] * 10 + d[3], d[4] * 10 + d[5]);
    let compact: String = ten.chars().filter(char::is_ascii_digit).collect();
    matches!(month, 1..=12) && matches!(day, 1..=31 | 61..=91) && luhn_valid(&compact)
}

/// The bytes of `v` without those in `skip`, in a buffer on the stack, and how many there are; `None` when there are
/// more than `N` (the scan runs on every delivered value, so nothing here allocates).
fn squeezed<const N: usize>(v: &str, skip: &[u8]) -> Option<([u8; N], usize)> {
    let mut out = [0u8; N];
    let mut n = 0;
    for b in v.bytes().filter(|b| !skip.contains(b)) {
        *out.get_mut(n)? = b;
        n += 1;
    }
    Some((out, n))
}

/// The value of a run of ASCII digits (callers have checked the shape).
fn number(b: &[u8]) -> u32 {
    b.iter()
        .fold(0, |acc, &c| acc * 10 + u32::from(c.saturating_sub(b'0')))
}

/// The digits of `v`, 0–9, separators skipped.
fn digits(v: &str) -> Vec<u8> {
    v.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

#[cfg(test)]
#[path = "national_ids_tests.rs"]
mod tests;
