//! The deny-list: functions and constructs that act outside the query's result (read server files, sleep, take
//! locks, signal other sessions, call other servers, change settings that outlive the query…), refused per dialect
//! wherever they appear in the statement, with their name and position.
//!
//! This is one of three layers, and the only one that sees the SQL: the read-only transaction stops writes, and the
//! data source's connection test (`probe`) refuses production accounts holding FILE, SUPER, superuser or the server
//! file/program/signal roles. A deny-list cannot know user-defined functions (a function you wrote that writes a
//! file passes it); see docs/SQL_SIDE_EFFECTS.md.

use std::ops::ControlFlow;

use sqlparser::{
    ast::{
        BinaryOperator, Expr, FunctionArguments, ObjectName, ObjectNamePart, Spanned, Statement,
        TableFactor, Visit, Visitor,
    },
    tokenizer::Span,
};

use super::sql_guard::{Dialect, Rejected};

#[path = "sql_deny_lists.rs"]
mod lists;

pub use lists::{MYSQL, POSTGRES, Rule, SQLITE, rules};

/// Refuse `statement` if it calls a denied function or assigns a variable, anywhere: select list, WHERE, joins,
/// table functions in FROM, subqueries, CTEs, ORDER BY, window clauses.
pub fn check(statement: &Statement, dialect: Dialect) -> Result<(), Rejected> {
    match statement.visit(&mut Deny { dialect }) {
        ControlFlow::Break(r) => Err(r),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Deny {
    dialect: Dialect,
}

fn refuse(message: String, span: Span) -> ControlFlow<Rejected> {
    ControlFlow::Break(Rejected {
        message,
        at: (span.start.line > 0).then_some((span.start.line, span.start.column)),
    })
}

/// The last part of a called name, as the engine may read it: lower case; for a PostgreSQL quoted name also with
/// its `\XXXX` escapes decoded (`U&"pg_read_\0066ile"` is `pg_read_file`, and sqlparser reads it as the quoted name
/// after `U &`).
fn candidates(name: &ObjectName, dialect: Dialect) -> Vec<String> {
    let last = match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => i,
        Some(ObjectNamePart::Function(f)) => &f.name,
        None => return Vec::new(),
    };
    let mut out = vec![last.value.to_lowercase()];
    if dialect == Dialect::Postgres
        && last.quote_style == Some('"')
        && let Some(decoded) = unicode_unescaped(&last.value)
    {
        out.push(decoded.to_lowercase());
    }
    out
}

/// A PostgreSQL `U&"…"` body with its default escapes (`\XXXX`, `\+XXXXXX`, `\\`) decoded; `None` if it has none or
/// an escape is invalid (PostgreSQL refuses those itself).
fn unicode_unescaped(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (digits, skip) = if let Some(r) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = r;
            continue;
        } else if let Some(r) = rest.strip_prefix('+') {
            (r.get(..6)?, 7)
        } else {
            (rest.get(..4)?, 4)
        };
        out.push(char::from_u32(u32::from_str_radix(digits, 16).ok()?)?);
        rest = &rest[skip..];
    }
    out.push_str(rest);
    Some(out)
}

/// The rule `name` falls under, if any.
fn denied(dialect: Dialect, name: &str, has_args: bool) -> Option<&'static Rule> {
    rules(dialect).iter().find(|r| {
        r.names.iter().any(|pattern| {
            if let Some(prefix) = pattern.strip_suffix('*') {
                name.starts_with(prefix)
            } else if let Some(exact) = pattern.strip_suffix("(…)") {
                has_args && name == exact
            } else {
                name == *pattern
            }
        })
    })
}

fn has_arguments(args: &FunctionArguments) -> bool {
    match args {
        FunctionArguments::None => false,
        FunctionArguments::Subquery(_) => true,
        FunctionArguments::List(l) => !l.args.is_empty(),
    }
}

impl Deny {
    fn call(&self, name: &ObjectName, has_args: bool, span: Span) -> ControlFlow<Rejected> {
        let hit = candidates(name, self.dialect)
            .iter()
            .find_map(|n| denied(self.dialect, n, has_args));
        match hit {
            Some(rule) => refuse(
                format!(
                    "found {name}: it {}, which acts outside the query's result; remove it (an extraction may only \
                     read rows)",
                    rule.does
                ),
                span,
            ),
            None => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Deny {
    type Break = Rejected;

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<Rejected> {
        match e {
            Expr::Function(f) => self.call(&f.name, has_arguments(&f.args), e.span()),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Assignment,
                ..
            } => refuse(
                format!(
                    "found {left} := …: it assigns a variable that the rest of the session sees, which acts \
                     outside the query's result; remove the assignment and compute the value in the query"
                ),
                e.span(),
            ),
            _ => ControlFlow::Continue(()),
        }
    }

    /// Table functions in FROM. SQLite's take their arguments from WHERE too (`FROM fsdir WHERE name = '/'`), so
    /// there every table name is checked.
    fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<Rejected> {
        match t {
            TableFactor::Table { name, args, .. }
                if args.is_some() || self.dialect == Dialect::Sqlite =>
            {
                let has_args = args.as_ref().is_some_and(|a| !a.args.is_empty());
                self.call(name, has_args, name.span())
            }
            TableFactor::Function { name, args, .. } => {
                self.call(name, !args.is_empty(), name.span())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
#[path = "sql_deny_tests.rs"]
mod tests;
