//! Masking per output column, as the approved plan says: keep, drop, mask (a few characters kept, the rest hidden
//! behind a fixed `***` that does not reveal the length) or pseudonymise (HMAC-SHA-256 under a key made for this one
//! delivery and never stored: equal inputs give equal tokens within a delivery, and tokens of two deliveries cannot be
//! linked).

use std::collections::BTreeMap;

use aws_lc_rs::{hmac, rand::SecureRandom as _};

use super::{
    cell::{Cell, ColumnType},
    decode::Column,
};
use crate::Masking;

/// Hex characters of a pseudonym (80 bits: no collision in practice within one delivery).
const TOKEN_HEX: usize = 20;

/// The masking of one extraction, ready to apply to rows.
pub struct Masker {
    actions: Vec<Masking>,
    key: hmac::Key,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("actions", &self.actions)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// A column of the delivered file: its name, type, and the masking applied.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutputColumn {
    /// Name.
    pub name: String,
    /// Type of the written values.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// `keep`, `mask` or `pseudonymise`.
    pub masking: Masking,
}

impl Masker {
    /// Bind a masking plan to the query's columns. Every named column must exist (matched without regard to case), so
    /// a typo cannot leave personal data unmasked.
    pub fn new(columns: &[Column], plan: &BTreeMap<String, Masking>) -> Result<Self, String> {
        let mut actions = vec![Masking::Keep; columns.len()];
        for (name, action) in plan {
            let mut found = false;
            for (i, c) in columns.iter().enumerate() {
                if c.name.eq_ignore_ascii_case(name) {
                    actions[i] = *action;
                    found = true;
                }
            }
            if !found {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                return Err(format!(
                    "the masking plan names column {name:?}, which the query does not return (it returns {})",
                    names.join(", ")
                ));
            }
        }
        if actions.iter().all(|a| *a == Masking::Drop) {
            return Err("the masking plan drops every column; nothing would be delivered".into());
        }
        let mut key = [0u8; 32];
        aws_lc_rs::rand::SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| "the system random number generator failed".to_owned())?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
        Ok(Self { actions, key })
    }

    /// The delivered columns, in order, with what was done to them.
    pub fn output_columns(&self, columns: &[Column]) -> Vec<OutputColumn> {
        columns
            .iter()
            .zip(&self.actions)
            .filter(|(_, a)| **a != Masking::Drop)
            .map(|(c, a)| OutputColumn {
                name: c.name.clone(),
                column_type: match a {
                    Masking::Keep => c.kind.column_type(),
                    _ => ColumnType::Text,
                },
                masking: *a,
            })
            .collect()
    }

    /// Whether every column is kept as is (rows pass through untouched).
    pub fn is_identity(&self) -> bool {
        self.actions.iter().all(|a| *a == Masking::Keep)
    }

    /// What happens to each column of the query, in order.
    pub fn actions(&self) -> &[Masking] {
        &self.actions
    }

    /// The delivered text of a non-NULL value under `action` (mask or pseudonymise; anything else as is).
    pub fn masked_text(&self, action: Masking, cell: &Cell) -> String {
        match action {
            Masking::Mask => mask(&cell.to_text()),
            Masking::Pseudonymise => self.pseudonym(&cell.to_text()),
            Masking::Keep | Masking::Drop => cell.to_text(),
        }
    }

    /// The delivered row for one row of the query: dropped columns left out, masked ones replaced, NULL kept.
    pub fn masked_row(&self, row: &[Cell]) -> Vec<Cell> {
        row.iter()
            .zip(&self.actions)
            .filter(|(_, a)| **a != Masking::Drop)
            .map(|(cell, a)| match a {
                _ if cell.is_null() => Cell::Null,
                Masking::Mask | Masking::Pseudonymise => Cell::Text(self.masked_text(*a, cell)),
                Masking::Keep | Masking::Drop => cell.clone(),
            })
            .collect()
    }

    /// Apply the plan to one row in place.
    pub fn apply(&self, row: &mut Vec<Cell>) {
        if self.is_identity() {
            return;
        }
        *row = self.masked_row(row);
    }

    fn pseudonym(&self, text: &str) -> String {
        let tag = hmac::sign(&self.key, text.as_bytes());
        let mut hex = hex::encode(tag.as_ref());
        hex.truncate(TOKEN_HEX);
        hex
    }
}

/// Hide most of a value: `j***@example.com` for e-mail addresses, `***4567` for long mostly-digit values (phones,
/// cards, account numbers), `J***` otherwise; `***` when the value is too short to keep anything.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if let Some(at) = text.rfind('@').filter(|at| *at > 0) {
        let first = chars.first().copied().unwrap_or('*');
        return format!("{first}***{}", &text[at..]);
    }
    let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
    if chars.len() >= 8 && digits * 2 > chars.len() {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        return format!("***{tail}");
    }
    match chars.first() {
        Some(first) if chars.len() >= 3 => format!("{first}***"),
        _ => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Declared, Kind};

    fn cols(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|n| Column {
                name: (*n).into(),
                source_type: "TEXT".into(),
                kind: Kind::Dynamic(Declared::None),
            })
            .collect()
    }

    fn plan(items: &[(&str, Masking)]) -> BTreeMap<String, Masking> {
        items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn masks_keep_a_few_characters() {
        assert_eq!(mask("jane.doe@example.com"), "j***@example.com");
        assert_eq!(mask("+49 170 1234567"), "***4567");
        assert_eq!(mask("4111111111111111"), "***1111");
        assert_eq!(mask("Johanna"), "J***");
        assert_eq!(mask("Al"), "***");
        assert_eq!(mask("@handle"), "@***");
        assert_eq!(mask("Ünal"), "Ü***");
    }

    #[test]
    fn applies_the_plan_per_column() -> Result<(), String> {
        let c = cols(&["id", "Email", "phone", "name"]);
        let m = Masker::new(
            &c,
            &plan(&[
                ("email", Masking::Mask),
                ("phone", Masking::Drop),
                ("name", Masking::Pseudonymise),
            ]),
        )?;
        let mut row = vec![
            Cell::Int(7),
            Cell::Text("a.b@c.de".into()),
            Cell::Text("+1 555 0100".into()),
            Cell::Text("Ann".into()),
        ];
        m.apply(&mut row);
        assert_eq!(row.len(), 3);
        assert_eq!(row[0], Cell::Int(7));
        assert_eq!(row[1], Cell::Text("a***@c.de".into()));
        let Cell::Text(token) = &row[2] else {
            return Err("pseudonym is not text".into());
        };
        assert_eq!(token.len(), TOKEN_HEX);
        assert!(!token.contains("Ann"));
        let mut again = vec![
            Cell::Int(8),
            Cell::Null,
            Cell::Null,
            Cell::Text("Ann".into()),
        ];
        m.apply(&mut again);
        assert_eq!(
            again[2], row[2],
            "same input, same token within one delivery"
        );
        assert_eq!(again[1], Cell::Null, "NULL stays NULL");
        let other = Masker::new(&c, &plan(&[("name", Masking::Pseudonymise)]))?;
        let mut third = vec![
            Cell::Int(9),
            Cell::Null,
            Cell::Null,
            Cell::Text("Ann".into()),
        ];
        other.apply(&mut third);
        assert_ne!(third[3], row[2], "another delivery, another key");
        let out = m.output_columns(&c);
        let names: Vec<&str> = out.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["id", "Email", "name"]);
        assert_eq!(out[1].column_type, ColumnType::Text);
        Ok(())
    }

    #[test]
    fn refuses_unknown_columns_and_dropping_everything() {
        let c = cols(&["id", "email"]);
        let e = Masker::new(&c, &plan(&[("emial", Masking::Mask)])).err();
        assert!(e.is_some_and(|e| e.contains("\"emial\"") && e.contains("id, email")));
        let all = plan(&[("id", Masking::Drop), ("email", Masking::Drop)]);
        assert!(Masker::new(&c, &all).is_err());
    }
}
