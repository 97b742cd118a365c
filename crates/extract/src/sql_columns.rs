//! The column names a parsed query returns, read off its syntax tree the way each engine names result columns: the
//! alias where there is one, a plain column reference's name where the engine takes it from the text. Used to check
//! that the guard and the engine read the same text the same way (tests/it/guard_agreement.rs).

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, Statement};

use super::sql_guard::Dialect;

/// PostgreSQL's longest identifier, in bytes (`NAMEDATALEN - 1`); longer names are truncated.
const PG_NAME_BYTES: usize = 63;

/// The result columns of `statement` in order, one `Some(name)` per column whose name the text decides and `None`
/// for a column the engine names by rules of its own (an expression without alias, or on SQLite a column reference,
/// which SQLite names after the table's column). `None` overall when not even the number of columns is known from
/// the text (`*`, `t.*`) or the statement is not a query.
pub fn result_columns(statement: &Statement, dialect: Dialect) -> Option<Vec<Option<String>>> {
    match statement {
        Statement::Query(q) => query_columns(q, dialect),
        _ => None,
    }
}

fn query_columns(q: &Query, dialect: Dialect) -> Option<Vec<Option<String>>> {
    body_columns(&q.body, dialect)
}

fn body_columns(body: &SetExpr, dialect: Dialect) -> Option<Vec<Option<String>>> {
    match body {
        SetExpr::Select(s) => s
            .projection
            .iter()
            .map(|item| item_name(item, dialect))
            .collect(),
        SetExpr::Query(q) => query_columns(q, dialect),
        // A set operation's columns are named by its first branch.
        SetExpr::SetOperation { left, .. } => body_columns(left, dialect),
        SetExpr::Values(v) => v.rows.first().map(|row| vec![None; row.len()]),
        _ => None,
    }
}

/// `Some(name)` for a named column, `Some(None)` for a column of unknown name, `None` for a wildcard.
fn item_name(item: &SelectItem, dialect: Dialect) -> Option<Option<String>> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(Some(name(alias, dialect))),
        SelectItem::UnnamedExpr(e) => Some(match (e, dialect) {
            (_, Dialect::Sqlite) => None,
            // `@x` is a user variable on MySQL and MariaDB (the parser reads it as an identifier): an expression,
            // which the engine names by its text as written, a comment before it included.
            (Expr::Identifier(id), Dialect::MySql)
                if id.quote_style.is_none() && id.value.starts_with('@') =>
            {
                None
            }
            (Expr::Identifier(id), _) => Some(name(id, dialect)),
            (Expr::CompoundIdentifier(parts), _) => parts.last().map(|id| name(id, dialect)),
            _ => None,
        }),
        SelectItem::ExprWithAliases { .. }
        | SelectItem::QualifiedWildcard(..)
        | SelectItem::Wildcard(_) => None,
    }
}

/// The name an engine gives a column from this identifier.
fn name(id: &Ident, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => {
            let folded = match id.quote_style {
                None => id.value.to_ascii_lowercase(),
                Some(_) => id.value.clone(),
            };
            truncate_bytes(folded, PG_NAME_BYTES)
        }
        // MySQL and MariaDB drop leading spaces from a column name (with a warning).
        Dialect::MySql => id.value.trim_start_matches(' ').to_owned(),
        Dialect::Sqlite => id.value.clone(),
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
fn truncate_bytes(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
#[path = "sql_columns_tests.rs"]
mod tests;
