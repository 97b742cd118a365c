//! The PII scan's second signal: what the values look like, on a bounded sample of the real result. Patterns carry
//! their check rules (Luhn for cards, mod 97 for IBANs, each national identifier's own) so that order numbers and
//! amounts do not look like card numbers. Some signals only a whole column can give: dates of birth (a spread of
//! past dates), bare-digit postal codes and Dutch BSNs. A finding reports categories, confidence and hit counts —
//! never a value.

use std::{collections::BTreeMap, net::IpAddr};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    checks::{fits, iban_valid, luhn_valid},
    national_ids::{national_id, nl_bsn},
    pii_dates::{DateSpread, calendar_date},
    pii_names::{self, Category},
};

/// The category a single value looks like, if any.
pub fn value_category(raw: &str) -> Option<Category> {
    let v = raw.trim();
    if v.is_empty() || v.len() > 254 {
        return None;
    }
    classify(v, &Shape::of(v), postal_shape(v))
}

/// What one pass over a value's bytes tells, so each detector runs only where its pattern could fit.
#[derive(Clone, Copy, Debug)]
struct Shape {
    digits: usize,
    at: bool,
    dot: bool,
    colon: bool,
    ascii: bool,
    alphanumeric: bool,
    /// An ASCII whitespace character.
    space: bool,
}

/// Byte classes for [`Shape::of`], one bit each.
const DIGIT: u8 = 1;
const AT: u8 = 2;
const DOT: u8 = 4;
const COLON: u8 = 8;
const NON_ASCII: u8 = 16;
const NOT_ALPHANUMERIC: u8 = 32;
const SPACE: u8 = 64;

/// The class bits of every byte value: one table lookup per byte and no branches, so the pass that every scanned
/// value goes through stays cheap (the whole-result scan makes it for every value of the result).
const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_alphabetic() {
            0
        } else {
            NOT_ALPHANUMERIC
                | match c {
                    b'@' => AT,
                    b'.' => DOT,
                    b':' => COLON,
                    // What `char::is_whitespace` says of ASCII.
                    b'\t'..=b'\r' | b' ' => SPACE,
                    0x80.. => NON_ASCII,
                    _ => 0,
                }
        };
        b += 1;
    }
    t
};

impl Shape {
    fn of(v: &str) -> Self {
        let mut any = 0u8;
        let mut digits = 0usize;
        for &b in v.as_bytes() {
            let class = CLASSES[usize::from(b)];
            any |= class;
            digits += usize::from(class & DIGIT);
        }
        Self {
            digits,
            at: any & AT != 0,
            dot: any & DOT != 0,
            colon: any & COLON != 0,
            ascii: any & NON_ASCII == 0,
            alphanumeric: any & NOT_ALPHANUMERIC == 0,
            space: any & SPACE != 0,
        }
    }

    /// Whether any value detector could match a value of this shape and `bytes` long (trimmed, at most 40
    /// characters). E-mail addresses need `@`; IPv6 addresses may be hex letters and colons; an Italian codice
    /// fiscale (16 characters) may have its digits replaced by letters. Every other pattern needs at least four
    /// digits, except UK and Canadian postcodes (two or three digits in at most eight characters). So a street like
    /// `Gartenstraße 32` or a name is passed over.
    fn may_match(&self, bytes: usize) -> bool {
        (bytes == 16 && self.alphanumeric)
            || self.at
            || self.colon
            || self.digits >= 4
            || (self.digits >= 1 && bytes <= 8)
    }
}

/// [`value_category`] of a trimmed, non-empty value whose shape and postal shape are known.
fn classify(v: &str, shape: &Shape, postal: Option<Postal>) -> Option<Category> {
    if shape.at {
        // No other pattern has an `@`.
        return looks_like_email(v, shape).then_some(Category::Email);
    }
    if (shape.dot || shape.colon) && v.parse::<IpAddr>().is_ok() {
        return Some(Category::IpAddress);
    }
    // Before cards and phones: a NIR can pass Luhn, and `078-05-1120` would pass for a phone number. Every national
    // identifier has six digits or more, but a codice fiscale whose digits were all replaced by letters (16).
    let may_be_id = shape.digits >= 6 || v.len() == 16;
    if may_be_id && national_id(v).is_some() {
        return Some(Category::NationalId);
    }
    let digits = shape.digits;
    if (13..=19).contains(&digits)
        && v.bytes()
            .all(|c| c.is_ascii_digit() || c == b' ' || c == b'-')
        && luhn_valid(v)
    {
        return Some(Category::CardNumber);
    }
    if v.len() >= 15 && v.as_bytes()[..2].iter().all(u8::is_ascii_uppercase) && iban_valid(v) {
        return Some(Category::Iban);
    }
    // Before phones: a ZIP+4 starting with 0 has a phone's trunk zero.
    if postal == Some(Postal::Shaped) {
        return Some(Category::PostalCode);
    }
    if looks_like_phone(v, digits) {
        return Some(Category::Phone);
    }
    None
}

/// [`Shape::may_match`] of `v` (for tests).
#[cfg(test)]
fn may_match(v: &str) -> bool {
    Shape::of(v).may_match(v.len())
}

/// `local@domain.tld`: a local part of 1–64 bytes, one `@`, a dot in the domain and a top-level domain of two or more
/// letters, no whitespace. Byte positions, so the address column the whole-result scan reads row after row costs
/// little.
fn looks_like_email(v: &str, shape: &Shape) -> bool {
    let b = v.as_bytes();
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    let Some(dot) = domain.iter().rposition(|&c| c == b'.') else {
        return false;
    };
    let tld = &domain[dot + 1..];
    let space = shape.space || (!shape.ascii && v.contains(char::is_whitespace));
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains(&b'@')
        && !space
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic)
}

/// International (`+49 30 1234567`) or national with a trunk zero or brackets (`030 1234567`, `(555) 123-4567`);
/// a bare run of digits is an ID, not a phone number.
fn looks_like_phone(v: &str, digits: usize) -> bool {
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " -().+/".contains(c));
    let shaped = v.starts_with('+')
        || ((v.starts_with('0') || v.starts_with('(')) && v.contains([' ', '-', '/', ')']));
    allowed && shaped && (7..=15).contains(&digits) && v.matches('+').count() <= 1
}

/// `v` without surrounding whitespace; most values have none, and two byte tests say so.
fn trimmed(v: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&c| c > b' ' && c < 0x80);
    if plain(v.as_bytes().first()) && plain(v.as_bytes().last()) {
        v
    } else {
        v.trim()
    }
}

/// How much a postal-code shape says on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Postal {
    /// Unambiguous: UK `SW1A 1AA`, Dutch `1234 AB`, Canadian `K1A 0B1`, US ZIP+4 `12345-6789`, Portuguese
    /// `1000-001`.
    Shaped,
    /// Polish `00-950`, Japanese `100-0001`: also read as ranges (`50-100`, `100-1000`) and US local phone numbers
    /// (`555-1234`), so they need a postal or address column name.
    Hyphenated,
    /// Bare 4 or 5 digits: as often amounts, ids and years, so they need a postal name and a text column.
    Digits,
}

fn postal_shape(v: &str) -> Option<Postal> {
    let b = v.as_bytes();
    // Dutch: no leading 0, and SA, SD, SS are never used as letters.
    let nl = fits(v, "9999 AA") && b[0] != b'0' && !matches!(&v[5..], "SA" | "SD" | "SS");
    // Canadian: D F I O Q U never appear (they read like other characters), W and Z never first.
    let ca = (fits(v, "A9A 9A9") || fits(v, "A9A9A9"))
        && !v.bytes().any(|c| b"DFIOQU".contains(&c))
        && !b"WZ".contains(&b[0]);
    let pt = fits(v, "9999-999") && b[0] != b'0';
    if nl || ca || pt || fits(v, "99999-9999") || uk_postcode(v) {
        Some(Postal::Shaped)
    } else if fits(v, "99-999") || fits(v, "999-9999") {
        Some(Postal::Hyphenated)
    } else if fits(v, "9999") || fits(v, "99999") {
        Some(Postal::Digits)
    } else {
        None
    }
}

/// UK postcode: outward code A9, A99, AA9, AA99, A9A or AA9A with Royal Mail's letters per position (not Q V X
/// first, not I J Z second, a closing letter from ABCDEFGHJKPSTUW after one letter or ABEHMNPRVWXY after two), a
/// space, inward code 9AA without C I K M O V. The space is required: compact forms look like product codes.
fn uk_postcode(v: &str) -> bool {
    let Some((outward, inward)) = v.split_once(' ') else {
        return false;
    };
    let o = outward.as_bytes();
    let shape = ["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]
        .iter()
        .any(|p| fits(outward, p));
    v == "GIR 0AA"
        || (shape
            && fits(inward, "9AA")
            && !inward.bytes().any(|c| b"CIKMOV".contains(&c))
            && !b"QVX".contains(&o[0])
            && !b"IJZ".contains(&o[1])
            && match (o.len(), o[1].is_ascii_digit(), o[o.len() - 1]) {
                (3, true, c) if c.is_ascii_uppercase() => b"ABCDEFGHJKPSTUW".contains(&c),
                (4, false, c) if c.is_ascii_uppercase() => b"ABEHMNPRVWXY".contains(&c),
                _ => true,
            })
}

/// How many categories there are.
const CATEGORIES: usize = Category::ALL.len();

/// One category found in a column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryFinding {
    /// What it looks like.
    pub category: Category,
    /// 0 to 1: share of sampled values that matched (the name alone gives 0.5).
    pub confidence: f64,
    /// Sampled values that matched.
    pub hits: u64,
    /// Whether the column's name suggested it.
    pub by_name: bool,
}

/// What the scan says about one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Output column.
    pub column: String,
    /// Categories, strongest first.
    pub categories: Vec<CategoryFinding>,
    /// Long free text: may contain anything, a person must look.
    pub free_text: bool,
    /// A special category: approval needs an explicit decision on this column.
    pub blocking: bool,
}

/// Accumulates one column's sample.
#[derive(Clone, Debug)]
pub struct ColumnScan {
    column: String,
    by_name: Vec<Category>,
    /// The source column is text-typed (`VARCHAR`, `TEXT`…), when the caller knows.
    textual: bool,
    /// Ages are judged against this day.
    today: NaiveDate,
    values: u64,
    /// Values matched, by category (`Category as usize`).
    hits: [u64; CATEGORIES],
    long_text: u64,
    // Evidence only the whole column can weigh (see `column_hits`).
    postal_hyphenated: u64,
    postal_digits: u64,
    leading_zero: bool,
    /// Shortest and longest value, in characters.
    lengths: Option<(usize, usize)>,
    bsn: u64,
    dates: DateSpread,
}

impl ColumnScan {
    /// Start scanning `column`, its type unknown.
    pub fn new(column: &str) -> Self {
        Self::typed(column, false)
    }

    /// Start scanning `column`, saying whether the source column is text-typed: values arrive as text either way,
    /// and `01234` in a text column may be a postal code where `1234` in a numeric one is a number.
    pub fn typed(column: &str, textual: bool) -> Self {
        Self {
            column: column.to_owned(),
            by_name: pii_names::categories(column),
            textual,
            today: Utc::now().date_naive(),
            values: 0,
            hits: [0; CATEGORIES],
            long_text: 0,
            postal_hyphenated: 0,
            postal_digits: 0,
            leading_zero: false,
            lengths: None,
            bsn: 0,
            dates: DateSpread::default(),
        }
    }

    /// Judge ages against `today` instead of the clock (reproducible scans and tests).
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// Count a value that no detector can match (a short number, a time of day): it weighs in the shares.
    pub fn observe_plain(&mut self) {
        self.values += 1;
    }

    /// Look at a calendar date (for the date-of-birth signal), as [`ColumnScan::observe`] would its ISO text.
    pub fn observe_date(&mut self, date: NaiveDate) {
        self.values += 1;
        self.dates.observe(date, self.today);
    }

    /// Look at one sampled value (`None` for NULL).
    pub fn observe(&mut self, value: Option<&str>) {
        let Some(v) = value.map(trimmed).filter(|v| !v.is_empty()) else {
            return;
        };
        self.values += 1;
        let shape = Shape::of(v);
        let len = if shape.ascii {
            v.len()
        } else {
            v.chars().count()
        };
        self.lengths = Some(
            self.lengths
                .map_or((len, len), |(lo, hi)| (lo.min(len), hi.max(len))),
        );
        if len <= 40 && !shape.may_match(v.len()) {
            // Most names, cities and codes: nothing below can match (the whole-result scan sees every value).
            return;
        }
        if shape.at && len <= 40 {
            // An address or nothing: no other pattern has an `@`, and so short a value is not free text.
            if looks_like_email(v, &shape) {
                self.hits[Category::Email as usize] += 1;
            }
            return;
        }
        let postal = postal_shape(v);
        let category = (v.len() <= 254)
            .then(|| classify(v, &shape, postal))
            .flatten();
        if let Some(c) = category {
            self.hits[c as usize] += 1;
            if c == Category::Email {
                // Nothing below matches an address (`@` fits no shape, and it has no spaces).
                return;
            }
        }
        match postal {
            Some(Postal::Hyphenated) => self.postal_hyphenated += 1,
            Some(Postal::Digits) => {
                self.postal_digits += 1;
                // Numbers never keep a leading zero: this column is text.
                self.leading_zero |= v.starts_with('0');
            }
            _ => {}
        }
        self.bsn += u64::from(nl_bsn(v));
        if let Some(date) = calendar_date(v) {
            self.dates.observe(date, self.today);
        }
        if len > 40 && v.split_whitespace().count() > 5 {
            self.long_text += 1;
        }
    }

    /// Per-value hits plus the signals only the whole column gives.
    fn column_hits(&self) -> BTreeMap<Category, u64> {
        let mut hits: BTreeMap<Category, u64> = Category::ALL
            .iter()
            .filter(|&&c| self.hits[c as usize] > 0)
            .map(|&c| (c, self.hits[c as usize]))
            .collect();
        let named = |c| self.by_name.contains(&c);
        let mut add = |c, n| {
            if n > 0 {
                *hits.entry(c).or_default() += n;
            }
        };
        // Hyphenated postal shapes count under a postal or address name. Bare digits need a postal name (an
        // `address_id` is a number) and a text column: a leading zero somewhere, or text values of one length.
        if named(Category::PostalCode) || named(Category::Address) {
            add(Category::PostalCode, self.postal_hyphenated);
        }
        let equal_lengths = matches!(self.lengths, Some((lo, hi)) if lo == hi);
        if named(Category::PostalCode) && (self.leading_zero || (self.textual && equal_lengths)) {
            add(Category::PostalCode, self.postal_digits);
        }
        // BSN: bare 9-digit numbers pass the 11-proof one time in 11, so BSNs count under a national-id name, or
        // without one when ≥ 90 % of at least 20 values pass — a share no run of order numbers or ids reaches
        // unless it was built with exactly this check.
        let bsn_column = self.values >= 20 && self.bsn as f64 >= 0.9 * self.values as f64;
        if named(Category::NationalId) || bsn_column {
            add(Category::NationalId, self.bsn);
        }
        if let Some(born) = self.dates.birth_dates(self.values, self.today) {
            add(Category::DateOfBirth, born);
        }
        hits
    }

    /// The finding, or `None` when nothing about the column looks personal.
    pub fn finding(&self) -> Option<Finding> {
        self.finding_with_strong(&[])
    }

    /// The finding, with the `strong` categories counting from their first matching value (a whole-result scan:
    /// one e-mail address among a million rows is one too many).
    pub fn finding_with_strong(&self, strong: &[Category]) -> Option<Finding> {
        let n = self.values.max(1) as f64;
        let all_hits = self.column_hits();
        let mut categories: Vec<CategoryFinding> = Vec::new();
        for (&category, &hits) in &all_hits {
            // A value category counts when it is common in the sample, not when a few IDs happen to pass a check.
            let common = hits as f64 >= (0.3 * n).max(1.0);
            if common || (hits > 0 && strong.contains(&category)) {
                categories.push(CategoryFinding {
                    category,
                    confidence: hits as f64 / n,
                    hits,
                    by_name: self.by_name.contains(&category),
                });
            }
        }
        for &category in &self.by_name {
            if !categories.iter().any(|c| c.category == category) {
                categories.push(CategoryFinding {
                    category,
                    confidence: 0.5,
                    hits: all_hits.get(&category).copied().unwrap_or(0),
                    by_name: true,
                });
            }
        }
        categories.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let free_text = self.long_text as f64 >= 0.3 * n && self.long_text > 0;
        if categories.is_empty() && !free_text {
            return None;
        }
        let blocking = categories.iter().any(|c| c.category.blocking());
        Some(Finding {
            column: self.column.clone(),
            categories,
            free_text,
            blocking,
        })
    }
}

#[cfg(test)]
#[path = "pii_values_tests.rs"]
mod tests;
