//! Is a stored audit detail exactly the text [`canonical_json`] writes? A strict reader that never turns a number
//! into a float and back with anything but exact arithmetic, so an honest detail always passes, and that has no depth
//! limit (it keeps its own stack).
//!
//! Canonical means: one JSON value with no whitespace, object keys in ascending order without repeats, and every
//! string, integer and float written as `canonical_json` writes it (each token is re-written by it and compared).
//! A token is read exactly: integers as `u64`/`i64`, other numbers with Rust's correctly rounded `f64` parser, so a
//! float whose shortest form needs 17 digits (`2.4640395809999998`) reads back as the very same float.

use std::fmt;

use serde_json::Value;

use crate::digest::{canonical_json, json_string};

/// Why a detail is not canonical, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flaw {
    /// Character position in the text, from 1 (details are one line).
    pub column: usize,
    /// What was found there.
    pub problem: String,
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.problem)
    }
}

/// An open container while reading.
enum Open {
    Array,
    /// An object and the last key read in it.
    Object(String),
}

/// `Ok` when `text` is exactly `canonical_json` of some JSON value.
pub fn check(text: &str) -> Result<(), Flaw> {
    let mut r = Reader { text, at: 0 };
    let mut open: Vec<Open> = Vec::new();
    loop {
        // A value starts here.
        match r.peek() {
            Some(b'{') if r.peek_at(1) == Some(b'}') => r.at += 2,
            Some(b'{') => {
                r.at += 1;
                let key = r.key(None)?;
                open.push(Open::Object(key));
                continue;
            }
            Some(b'[') if r.peek_at(1) == Some(b']') => r.at += 2,
            Some(b'[') => {
                r.at += 1;
                open.push(Open::Array);
                continue;
            }
            Some(b'"') => drop(r.string()?),
            Some(b'-' | b'0'..=b'9') => r.number()?,
            Some(b't') => r.literal("true")?,
            Some(b'f') => r.literal("false")?,
            Some(b'n') => r.literal("null")?,
            _ => return Err(r.flaw("expected a JSON value".to_owned())),
        }
        // A value ended here: close what it completes, up to the next value.
        loop {
            match (open.last_mut(), r.peek()) {
                (None, None) => return Ok(()),
                (None, Some(_)) => {
                    return Err(r.flaw("text after the end of the JSON value".to_owned()));
                }
                (Some(Open::Array), Some(b',')) => {
                    r.at += 1;
                    break;
                }
                (Some(Open::Object(last)), Some(b',')) => {
                    r.at += 1;
                    *last = r.key(Some(last))?;
                    break;
                }
                (Some(Open::Array), Some(b']')) | (Some(Open::Object(_)), Some(b'}')) => {
                    r.at += 1;
                    open.pop();
                }
                (Some(Open::Array), _) => {
                    return Err(r.flaw("expected `,` or `]` (no whitespace)".to_owned()));
                }
                (Some(Open::Object(_)), _) => {
                    return Err(r.flaw("expected `,` or `}` (no whitespace)".to_owned()));
                }
            }
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    /// Byte offset of the next unread byte.
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.at + ahead).copied()
    }

    fn flaw(&self, problem: String) -> Flaw {
        self.flaw_at(self.at, problem)
    }

    fn flaw_at(&self, byte: usize, problem: String) -> Flaw {
        let before = self.text.get(..byte).unwrap_or(self.text);
        Flaw {
            column: before.chars().count() + 1,
            problem,
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), Flaw> {
        let rest = self.text.as_bytes().get(self.at..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.flaw(format!("expected `{word}`")))
        }
    }

    /// An object key and the `:` after it; it must sort after `last`.
    fn key(&mut self, last: Option<&str>) -> Result<String, Flaw> {
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(self.flaw("expected a key (a string)".to_owned()));
        }
        let key = self.string()?;
        if let Some(last) = last
            && key.as_str() <= last
        {
            let why = if key == last {
                "repeats the key before it"
            } else {
                "comes before the key before it; keys must be in ascending order"
            };
            return Err(self.flaw_at(start, format!("key {} {why}", json_string(&key))));
        }
        if self.peek() != Some(b':') {
            return Err(self.flaw("expected `:` after the key (no whitespace)".to_owned()));
        }
        self.at += 1;
        Ok(key)
    }

    /// A string token, which must be written exactly as `canonical_json` writes the string it denotes.
    fn string(&mut self) -> Result<String, Flaw> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let mut end = start + 1;
        loop {
            match bytes.get(end) {
                None => return Err(self.flaw_at(start, "the string never ends".to_owned())),
                Some(b'"') => break,
                Some(b'\\') => end += 2,
                Some(_) => end += 1,
            }
        }
        // `end` is at a `"`, so the slice ends on a character boundary.
        let token = self.text.get(start..=end).unwrap_or_default();
        let value: String = serde_json::from_str(token)
            .map_err(|e| self.flaw_at(start, format!("not a valid JSON string ({e})")))?;
        let canonical = json_string(&value);
        if canonical != token {
            return Err(self.flaw_at(
                start,
                format!("string {token} is written {canonical} in canonical form"),
            ));
        }
        self.at = end + 1;
        Ok(value)
    }

    /// A number token, read exactly and required to be written as `canonical_json` writes that number.
    fn number(&mut self) -> Result<(), Flaw> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let mut end = start;
        while matches!(
            bytes.get(end),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            end += 1;
        }
        // Only ASCII bytes were taken, so the slice is on character boundaries.
        let token = self.text.get(start..end).unwrap_or_default();
        let value = if token.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            let int = if token.starts_with('-') {
                token.parse::<i64>().ok().map(Value::from)
            } else {
                token.parse::<u64>().ok().map(Value::from)
            };
            int.ok_or_else(|| self.flaw_at(start, format!("`{token}` is not a 64-bit integer")))?
        } else {
            match token.parse::<f64>() {
                Ok(float) if float.is_finite() => Value::from(float),
                Ok(_) => {
                    let problem = format!("number {token} is beyond the range of a 64-bit float");
                    return Err(self.flaw_at(start, problem));
                }
                Err(_) => return Err(self.flaw_at(start, format!("`{token}` is not a number"))),
            }
        };
        let canonical = canonical_json(&value);
        if canonical != token {
            return Err(self.flaw_at(
                start,
                format!("number {token} is written {canonical} in canonical form"),
            ));
        }
        self.at = end;
        Ok(())
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
