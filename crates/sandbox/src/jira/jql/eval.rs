//! Evaluation: an issue against a parsed query, with Jira's treatment of EMPTY fields and of `NOT`; sort orders.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::{Clause, Expr, Field, Op, PropertyAlias, PropertyType, Searchable, SortField, Value};

impl Expr {
    /// Evaluates the expression, or its negation when `negated`; negation is pushed down to the operators.
    pub(super) fn eval<S: Searchable + ?Sized>(
        &self,
        issue: &S,
        now: DateTime<Utc>,
        negated: bool,
    ) -> bool {
        match self {
            Self::Or(items) | Self::And(items) => {
                if matches!(self, Self::And(_)) != negated {
                    items.iter().all(|item| item.eval(issue, now, negated))
                } else {
                    items.iter().any(|item| item.eval(issue, now, negated))
                }
            }
            Self::Not(inner) => inner.eval(issue, now, !negated),
            Self::Clause(clause) => clause.eval(issue, now, negated),
            Self::Invalid => false,
        }
    }
}

/// An issue's value of one field.
enum Actual<'a> {
    Labels(&'a [String]),
    Text {
        value: Option<&'a str>,
        ignore_case: bool,
    },
    Key {
        key: &'a str,
        id: u64,
    },
    Date(DateTime<Utc>),
    /// An indexed property's string (owned: read out of the property's JSON).
    Indexed(String),
}

impl Actual<'_> {
    fn present(&self) -> bool {
        match self {
            Self::Labels(labels) => !labels.is_empty(),
            Self::Text { value, .. } => value.is_some(),
            Self::Key { .. } | Self::Date(_) | Self::Indexed(_) => true,
        }
    }

    /// The issue's value compared with `value`, where the two are comparable.
    fn compare(&self, value: &Value, now: DateTime<Utc>) -> Option<Ordering> {
        match (self, value) {
            (Self::Labels(labels), Value::Text(text)) => {
                labels.contains(text).then_some(Ordering::Equal)
            }
            (
                Self::Text {
                    value: Some(actual),
                    ignore_case,
                },
                Value::Text(text),
            ) => {
                let equal = if *ignore_case {
                    eq_ignore_case(actual, text)
                } else {
                    actual == text
                };
                equal.then_some(Ordering::Equal)
            }
            (Self::Key { key, .. }, Value::Key { project, number }) => {
                let (actual_project, actual_number) = split_key(key)?;
                eq_ignore_case(actual_project, project).then(|| actual_number.cmp(number))
            }
            (Self::Key { id, .. }, Value::Id(wanted)) => Some(id.cmp(wanted)),
            (Self::Indexed(actual), Value::Text(text)) => {
                (actual == text).then_some(Ordering::Equal)
            }
            (Self::Date(actual), Value::Date(date)) => Some(actual.cmp(&date.resolve(now)?)),
            _ => None,
        }
    }
}

impl Clause {
    pub(super) fn eval<S: Searchable + ?Sized>(
        &self,
        issue: &S,
        now: DateTime<Utc>,
        negated: bool,
    ) -> bool {
        let actual = match self.field {
            Field::Project => Actual::Text {
                value: Some(issue.project_key()),
                ignore_case: true,
            },
            Field::Labels => Actual::Labels(issue.labels()),
            Field::Key => Actual::Key {
                key: issue.key(),
                id: issue.id(),
            },
            Field::Created => Actual::Date(issue.created()),
            Field::Updated => Actual::Date(issue.updated()),
            Field::Status => Actual::Text {
                value: Some(issue.status()),
                ignore_case: true,
            },
            Field::Reporter => Actual::Text {
                value: issue.reporter(),
                ignore_case: false,
            },
            Field::IssueType => Actual::Text {
                value: Some(issue.issue_type()),
                ignore_case: true,
            },
            Field::Property(kind) => {
                let indexed = self
                    .alias
                    .as_ref()
                    .and_then(|a| a.read(issue.property(&a.property_key)?));
                let absent = Actual::Text {
                    value: None,
                    ignore_case: false,
                };
                match (kind, indexed) {
                    (_, None) => absent,
                    (PropertyType::String, Some(v)) => match PropertyAlias::text(v) {
                        Some(text) => Actual::Indexed(text),
                        None => absent,
                    },
                    (PropertyType::Date, Some(v)) => {
                        PropertyAlias::date(v).map_or(absent, Actual::Date)
                    }
                }
            }
        };
        let present = actual.present();
        let equals = |value: &Value| actual.compare(value, now) == Some(Ordering::Equal);
        let op = if negated { self.op.negated() } else { self.op };
        match op {
            Op::Eq | Op::In => self.values.iter().any(|v| {
                if *v == Value::Empty {
                    !present
                } else {
                    equals(v)
                }
            }),
            Op::Ne | Op::NotIn => {
                present && !self.values.iter().any(|v| *v != Value::Empty && equals(v))
            }
            Op::Is => !present,
            Op::IsNot => present,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let ordering = self
                    .values
                    .first()
                    .and_then(|value| actual.compare(value, now));
                ordering.is_some_and(|o| match op {
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                    Op::Gt => o.is_gt(),
                    _ => o.is_ge(),
                })
            }
            Op::Like | Op::NotLike => false,
        }
    }
}

impl SortField {
    pub(super) fn compare<S: Searchable + ?Sized>(self, a: &S, b: &S) -> Ordering {
        match self {
            Self::Created => a.created().cmp(&b.created()),
            Self::Updated => a.updated().cmp(&b.updated()),
            Self::Key => {
                let parts = |key: &str| {
                    split_key(key).map_or((key.to_owned(), 0), |(p, n)| (p.to_uppercase(), n))
                };
                parts(a.key()).cmp(&parts(b.key()))
            }
            Self::Id => a.id().cmp(&b.id()),
        }
    }
}

/// `ABC-12` → `("ABC", 12)`.
pub(super) fn split_key(key: &str) -> Option<(&str, u64)> {
    let (project, number) = key.rsplit_once('-')?;
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    (!project.is_empty() && digits).then_some(())?;
    Some((project, number.parse().ok()?))
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}
