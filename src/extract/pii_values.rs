//! The PII scan's second signal: what the values look like, on a bounded sample of the real result. Patterns carry
//! their check rules (Luhn for cards, mod 97 for IBANs) so that order numbers and amounts do not look like card
//! numbers. A column's finding reports categories, confidence and hit counts — never a value.

use std::{collections::BTreeMap, net::IpAddr};

use serde::Serialize;

use super::{
    checks::{iban_valid, luhn_valid},
    pii_names::{self, Category},
};

/// The category a single value looks like, if any.
pub fn value_category(raw: &str) -> Option<Category> {
    let v = raw.trim();
    if v.is_empty() || v.len() > 254 {
        return None;
    }
    if looks_like_email(v) {
        return Some(Category::Email);
    }
    if v.contains(['.', ':']) && v.parse::<IpAddr>().is_ok() {
        return Some(Category::IpAddress);
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let card_chars = v
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if card_chars && (13..=19).contains(&digits) && luhn_valid(v) {
        return Some(Category::CardNumber);
    }
    if v.len() >= 15 && v.as_bytes()[..2].iter().all(u8::is_ascii_uppercase) && iban_valid(v) {
        return Some(Category::Iban);
    }
    if looks_like_phone(v, digits) {
        return Some(Category::Phone);
    }
    None
}

fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or_default();
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !v.contains(char::is_whitespace)
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
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

/// One category found in a column.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    values: u64,
    hits: BTreeMap<Category, u64>,
    long_text: u64,
}

impl ColumnScan {
    /// Start scanning `column`.
    pub fn new(column: &str) -> Self {
        Self {
            column: column.to_owned(),
            by_name: pii_names::categories(column),
            values: 0,
            hits: BTreeMap::new(),
            long_text: 0,
        }
    }

    /// Look at one sampled value (`None` for NULL).
    pub fn observe(&mut self, value: Option<&str>) {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        self.values += 1;
        if let Some(c) = value_category(v) {
            *self.hits.entry(c).or_default() += 1;
        }
        if v.chars().count() > 40 && v.split_whitespace().count() > 5 {
            self.long_text += 1;
        }
    }

    /// The finding, or `None` when nothing about the column looks personal.
    pub fn finding(&self) -> Option<Finding> {
        let n = self.values.max(1) as f64;
        let mut categories: Vec<CategoryFinding> = Vec::new();
        for (&category, &hits) in &self.hits {
            // A value category counts when it is common in the sample, not when a few IDs happen to pass a check.
            if hits as f64 >= (0.3 * n).max(1.0) {
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
                    hits: self.hits.get(&category).copied().unwrap_or(0),
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
