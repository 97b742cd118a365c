//! The JQL subset understood by the simulator's `GET/POST /rest/api/3/search/jql`: a hand-written tokenizer
//! (`lexer.rs`), recursive-descent parser (`parser.rs`) and field checks (`semantics.rs`) produce a [`Query`],
//! which tests and sorts (`eval.rs`) anything implementing [`Searchable`]. Errors carry Jira's own wording, for
//! a 400 `{"errorMessages":[…],"errors":{}}`.
//!
//! Supported, as on Jira:
//! - fields `project`, `labels`, `key` (aliases `issuekey`, `issue`, `id`), `created` / `createdDate`,
//!   `updated` / `updatedDate`, `status`, `reporter` (account ID), `issuetype` (alias `type`);
//!   field names and keywords are case-insensitive;
//! - operators `=`, `!=`, `in (…)`, `not in (…)`, `is [not] EMPTY` (or `NULL`), and `<`, `<=`, `>`, `>=` on
//!   dates and keys (`key > ABC-5`: issues of ABC numbered above 5; `id > 10005` compares ids); each field
//!   accepts Jira's operators for it;
//! - values: bare words, `"…"` or `'…'` strings with `\"`, `\'`, `\\`, `\n`, `\t`, `\r`, `\ `, `\uXXXX`
//!   escapes, lists; for keys `ABC-12` or a numeric issue id; for dates `yyyy-MM-dd`, `yyyy/MM/dd`, either
//!   with ` HH:mm`, epoch milliseconds, periods (`-15m`, `-2h`, `-1d`, `-1w`, `"4w 2d"`) relative to `now`,
//!   and `now()`, `startOfDay([inc])`, `endOfDay([inc])`; Jira's reserved words (`user`, `start`, `end`, …)
//!   and characters (`@`, `/`, `+`, …) must be quoted;
//! - `AND` (`&`, `&&`), `OR` (`|`, `||`), `NOT` (`!`), parentheses; precedence NOT > AND > OR;
//! - `ORDER BY` on `created`, `updated`, `key`, `id`, at most 7 fields.
//!
//! Jira semantics kept: `!=` and `not in` never match an issue whose field is EMPTY (`labels != x` needs at
//! least one label), and `NOT` is pushed down onto the operators (`NOT labels = x` is `labels != x`). Project,
//! key, status and issue type compare case-insensitively; labels and account IDs exactly.
//!
//! Simulator choices where Jira depends on things it does not have:
//! - dates without a zone, `startOfDay()` and `endOfDay()` are UTC (Jira uses the searcher's time zone);
//!   date `=` compares instants exactly, and a date beyond chrono's range matches nothing;
//! - with no `ORDER BY` results come `created DESC`, then id descending; after an `ORDER BY` ties are broken
//!   by id ascending. A sort field without `ASC`/`DESC` takes its own default, as on Jira: descending for
//!   `created`/`updated`, ascending for `key`/`id`;
//! - unbounded queries parse; the endpoint rejects them with [`JqlError::unbounded`] after
//!   [`Query::is_bounded`];
//! - that a project, status, issue type, reporter or issue exists is not checked by [`parse`]; the endpoint
//!   can do it with [`Query::check_values`];
//! - not supported: `~`/`!~` (refused as on Jira for these fields), `WAS`/`CHANGED`, other functions
//!   (`currentUser()` included), other fields; nesting of parentheses and `NOT` is capped at 50 levels.
//!
//! Issue properties indexed by the installed app (see [`PropertyAlias`]) are fields too, under their alias, when the
//! query is parsed with them ([`parse_with`]): `string` values take `=`, `!=`, `in`, `not in`, `is [not] EMPTY`
//! (exact match), `date` values what `created` takes; they cannot be sorted on in the simulator.

use std::cmp::Ordering;

use chrono::{DateTime, Months, TimeDelta, Utc};

pub use properties::{PropertyAlias, PropertyType};

mod eval;
mod lexer;
mod parser;
mod properties;
mod semantics;
#[cfg(test)]
mod tests;

/// Jira's answer to a `/search/jql` query with no restricting clause.
pub const UNBOUNDED_QUERY: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";

/// A query Jira would refuse, with the messages for the 400 body's `errorMessages` (one for a syntax error,
/// one per problem otherwise).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .messages.join(" "))]
pub struct JqlError {
    messages: Vec<String>,
}

impl JqlError {
    fn new(message: String) -> Self {
        Self {
            messages: vec![message],
        }
    }

    /// The error for a query that [`Query::is_bounded`] rejects.
    pub fn unbounded() -> Self {
        Self::new(UNBOUNDED_QUERY.to_owned())
    }

    /// The messages, in query order, for `{"errorMessages": …}`.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

/// Parses `jql`; an empty or blank string is a valid, unbounded query.
pub fn parse(jql: &str) -> Result<Query, JqlError> {
    parser::parse(jql, &[])
}

/// Parses `jql` on a site whose installed apps index `aliases`: each alias is a field as well.
pub fn parse_with(jql: &str, aliases: &[PropertyAlias]) -> Result<Query, JqlError> {
    parser::parse(jql, aliases)
}

/// What a query needs to know about an issue.
pub trait Searchable {
    /// The issue key, e.g. `ABC-12`.
    fn key(&self) -> &str;
    /// The project key, e.g. `ABC`.
    fn project_key(&self) -> &str;
    /// The labels (case-sensitive).
    fn labels(&self) -> &[String];
    /// The status name.
    fn status(&self) -> &str;
    /// The reporter's account ID.
    fn reporter(&self) -> Option<&str>;
    /// The issue type name.
    fn issue_type(&self) -> &str;
    /// When the issue was created.
    fn created(&self) -> DateTime<Utc>;
    /// When the issue was last updated.
    fn updated(&self) -> DateTime<Utc>;
    /// The numeric issue id.
    fn id(&self) -> u64;
    /// The value of the issue property `key`, if the issue has it (for indexed aliases).
    fn property(&self, _key: &str) -> Option<&serde_json::Value> {
        None
    }
}

/// A searchable field, as passed to the [`Query::check_values`] callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `project`: a project key.
    Project,
    /// `labels`.
    Labels,
    /// `key`, `issuekey`, `issue`, `id`: an issue key, or a numeric issue id.
    Key,
    /// `created`.
    Created,
    /// `updated`.
    Updated,
    /// `status`: a status name.
    Status,
    /// `reporter`: an account ID.
    Reporter,
    /// `issuetype`: an issue type name.
    IssueType,
    /// An issue property indexed under an alias.
    Property(PropertyType),
}

impl Field {
    /// The field `name` names: a built-in one, or one of `aliases` (then with the alias).
    fn lookup(name: &str, aliases: &[PropertyAlias]) -> Option<(Self, Option<PropertyAlias>)> {
        if let Some(field) = Self::from_name(name) {
            return Some((field, None));
        }
        let alias = properties::find(aliases, name)?;
        Some((Self::Property(alias.kind), Some(alias.clone())))
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_lowercase().as_str() {
            "project" => Self::Project,
            "labels" => Self::Labels,
            "key" | "issuekey" | "issue" | "id" => Self::Key,
            "created" | "createddate" => Self::Created,
            "updated" | "updateddate" => Self::Updated,
            "status" => Self::Status,
            "reporter" => Self::Reporter,
            "issuetype" | "type" => Self::IssueType,
            _ => return None,
        })
    }

    fn supports(self, op: Op) -> bool {
        use Op::*;
        match self {
            Self::Key => matches!(op, Eq | Ne | In | NotIn | Lt | Le | Gt | Ge),
            Self::Created | Self::Updated | Self::Property(PropertyType::Date) => {
                !matches!(op, Like | NotLike)
            }
            _ => matches!(op, Eq | Ne | In | NotIn | Is | IsNot),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    NotLike,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Like => "~",
            Self::NotLike => "!~",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Is => "is",
            Self::IsNot => "is not",
        }
    }

    /// The operator `NOT` turns this one into.
    fn negated(self) -> Self {
        match self {
            Self::Eq => Self::Ne,
            Self::Ne => Self::Eq,
            Self::Lt => Self::Ge,
            Self::Ge => Self::Lt,
            Self::Gt => Self::Le,
            Self::Le => Self::Gt,
            Self::Like => Self::NotLike,
            Self::NotLike => Self::Like,
            Self::In => Self::NotIn,
            Self::NotIn => Self::In,
            Self::Is => Self::IsNot,
            Self::IsNot => Self::Is,
        }
    }
}

/// A calendar offset: months first, then an exact duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Period {
    months: i32,
    delta: TimeDelta,
}

impl Period {
    fn apply(self, base: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let months = Months::new(self.months.unsigned_abs());
        let shifted = if self.months >= 0 {
            base.checked_add_months(months)
        } else {
            base.checked_sub_months(months)
        }?;
        shifted.checked_add_signed(self.delta)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateValue {
    At(DateTime<Utc>),
    Relative(Period),
    Now,
    StartOfDay(Period),
    EndOfDay(Period),
}

impl DateValue {
    fn resolve(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let day = now.date_naive();
        match self {
            Self::At(at) => Some(at),
            Self::Now => Some(now),
            Self::Relative(period) => period.apply(now),
            Self::StartOfDay(period) => period.apply(day.and_hms_opt(0, 0, 0)?.and_utc()),
            Self::EndOfDay(period) => {
                period.apply(day.and_hms_milli_opt(23, 59, 59, 999)?.and_utc())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Empty,
    Text(String),
    Key { project: String, number: u64 },
    Id(u64),
    Date(DateValue),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    field: Field,
    /// The field name as written, for messages.
    name: String,
    op: Op,
    /// Empty for `is` / `is not`.
    values: Vec<Value>,
    /// The indexed property, for [`Field::Property`].
    alias: Option<PropertyAlias>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
    /// A clause that failed validation; the parse returns an error, so this is never evaluated.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Created,
    Updated,
    Key,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SortKey {
    field: SortField,
    descending: bool,
}

/// A parsed query: an optional restriction and an ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    filter: Option<Expr>,
    order: Vec<SortKey>,
}

impl Query {
    /// Whether `issue` satisfies the query at time `now` (which relative dates and functions use).
    pub fn matches(&self, issue: &impl Searchable, now: DateTime<Utc>) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.eval(issue, now, false))
    }

    /// Sorts `issues` by the `ORDER BY` (or the default order, see the module documentation).
    pub fn sort<T: Searchable>(&self, issues: &mut [T]) {
        if self.order.is_empty() {
            issues.sort_by(|a, b| {
                b.created()
                    .cmp(&a.created())
                    .then_with(|| b.id().cmp(&a.id()))
            });
            return;
        }
        issues.sort_by(|a, b| {
            let by_key = self.order.iter().map(|key| {
                let ordering = key.field.compare(a, b);
                if key.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
            by_key
                .fold(Ordering::Equal, Ordering::then)
                .then_with(|| a.id().cmp(&b.id()))
        });
    }

    /// Whether the query restricts the search (has at least one clause); `/search/jql` refuses it otherwise.
    pub fn is_bounded(&self) -> bool {
        self.filter.is_some()
    }

    /// Checks that the projects, statuses, issue types, reporters and issues the query names exist, as Jira
    /// does: `exists(field, value)` gets the value as written (compare case-insensitively except for
    /// [`Field::Reporter`]), for [`Field::Key`] an upper-cased key such as `ABC-12` or a numeric id.
    pub fn check_values(
        &self,
        mut exists: impl FnMut(Field, &str) -> bool,
    ) -> Result<(), JqlError> {
        let mut messages: Vec<String> = Vec::new();
        let mut stack: Vec<&Expr> = self.filter.iter().collect();
        while let Some(expr) = stack.pop() {
            let clause = match expr {
                Expr::Or(items) | Expr::And(items) => {
                    stack.extend(items.iter().rev());
                    continue;
                }
                Expr::Not(inner) => {
                    stack.push(inner);
                    continue;
                }
                Expr::Invalid => continue,
                Expr::Clause(clause) => clause,
            };
            let name = &clause.name;
            for value in &clause.values {
                let (text, message) = match (clause.field, value) {
                    (
                        Field::Project | Field::Status | Field::IssueType | Field::Reporter,
                        Value::Text(text),
                    ) => (
                        text.clone(),
                        format!("The value '{text}' does not exist for the field '{name}'."),
                    ),
                    (Field::Key, Value::Key { project, number }) => {
                        let key = format!("{project}-{number}");
                        let message =
                            format!("An issue with key '{key}' does not exist for field '{name}'.");
                        (key, message)
                    }
                    (Field::Key, Value::Id(id)) => (
                        id.to_string(),
                        format!("An issue with key '{id}' does not exist for field '{name}'."),
                    ),
                    _ => continue,
                };
                if !exists(clause.field, &text) && !messages.contains(&message) {
                    messages.push(message);
                }
            }
        }
        if messages.is_empty() {
            Ok(())
        } else {
            Err(JqlError { messages })
        }
    }
}
