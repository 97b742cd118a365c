//! The SQL guard: parse an analyst's SQL in the source's dialect with `sqlparser` and admit exactly one query
//! (`SELECT`, `WITH … SELECT`, `VALUES`) with no `INTO`, no locking clause and no data-modifying part anywhere (CTEs,
//! subqueries). A refusal says what was found and where (line and column).
//!
//! Before parsing, text that sqlparser and the engine could tokenize differently is refused (`sql_tokens`); after,
//! a query whose syntax tree changes when rendered and parsed again is refused (`sql_roundtrip`).
//!
//! This is a guard in front of the read-only transaction every extraction runs in, not a substitute for it: a
//! function with side effects (`SELECT nextval(…)`, a user-defined function that writes) passes the parser and is
//! stopped by the database's read-only mode.

use std::{fmt, ops::ControlFlow};

use sqlparser::{
    ast::{Query, Select, SetExpr, Spanned, Statement, Visit, Visitor},
    dialect,
    parser::Parser,
    tokenizer::{Span, Token, Tokenizer},
};

use super::{sql_roundtrip, sql_tokens};

/// The SQL dialect of a data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    /// The stored name of a source of this kind (`postgres`, `mysql`, `sqlite`).
    pub fn kind(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The dialect of a source with this stored kind name.
    pub fn from_kind(s: &str) -> Option<Self> {
        match s {
            "postgres" => Some(Dialect::Postgres),
            "mysql" => Some(Dialect::MySql),
            "sqlite" => Some(Dialect::Sqlite),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::Sqlite => "SQLite",
        }
    }
}

/// Why the SQL was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Rejected {
    /// What was found, and what to do instead.
    pub message: String,
    /// 1-based line and column of the offending part, when known.
    pub at: Option<(u64, u64)>,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn reject(message: impl Into<String>, span: Span) -> Rejected {
    let at = (span.start.line > 0).then_some((span.start.line, span.start.column));
    Rejected {
        message: message.into(),
        at,
    }
}

/// The first keyword of a statement, for messages (`INSERT`, `DROP`, …).
fn keyword(s: &Statement) -> String {
    s.to_string()
        .split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_ascii_uppercase()
}

/// The `sqlparser` dialect of a source.
pub(crate) fn parser_dialect(dialect: Dialect) -> &'static dyn dialect::Dialect {
    match dialect {
        Dialect::Postgres => &dialect::PostgreSqlDialect {},
        Dialect::MySql => &dialect::MySqlDialect {},
        Dialect::Sqlite => &dialect::SQLiteDialect {},
    }
}

/// Admit `sql` if it is exactly one read-only query in `dialect`.
pub fn check(sql: &str, dialect: Dialect) -> Result<(), Rejected> {
    parse(sql, dialect).map(drop)
}

/// Admit `sql` if it is exactly one read-only query in `dialect`, and return it parsed.
pub fn parse(sql: &str, dialect: Dialect) -> Result<Statement, Rejected> {
    sql_tokens::check(sql, dialect)?;
    let d = parser_dialect(dialect);
    let statements = Parser::parse_sql(d, sql).map_err(|e| Rejected {
        message: format!("not valid {} SQL: {e}", dialect.name()),
        at: None,
    })?;
    let starts = statement_starts(d, sql);
    let at = |i: usize| starts.get(i).copied();
    let mut statements = statements;
    let first = match statements.as_slice() {
        [] => {
            return Err(Rejected {
                message: "no query found; write one SELECT".into(),
                at: None,
            });
        }
        [one] => one,
        [_, second, ..] => {
            return Err(Rejected {
                message: format!(
                    "found {} statements (the second is {}); write exactly one query",
                    statements.len(),
                    keyword(second)
                ),
                at: at(1),
            });
        }
    };
    if !matches!(first, Statement::Query(_)) {
        return Err(Rejected {
            message: format!(
                "found {}; only a query (SELECT, WITH … SELECT or VALUES) can run",
                keyword(first)
            ),
            at: at(0),
        });
    }
    if let ControlFlow::Break(r) = first.visit(&mut Guard) {
        return Err(r);
    }
    super::sql_deny::check(first, dialect)?;
    sql_roundtrip::check(sql, first, dialect)?;
    Ok(statements.remove(0))
}

/// Where each statement begins (line, column): the first token that is not whitespace or a comment, at the start and
/// after every `;`. Not every statement node carries a span, the tokens always do.
fn statement_starts(d: &dyn dialect::Dialect, sql: &str) -> Vec<(u64, u64)> {
    let Ok(tokens) = Tokenizer::new(d, sql).tokenize_with_location() else {
        return Vec::new();
    };
    let mut starts = Vec::new();
    let mut expecting = true;
    for t in tokens {
        match t.token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::SemiColon => expecting = true,
            _ if expecting => {
                starts.push((t.span.start.line, t.span.start.column));
                expecting = false;
            }
            _ => {}
        }
    }
    starts
}

/// Walks every query, subquery, CTE and select of the statement.
struct Guard;

impl Visitor for Guard {
    type Break = Rejected;

    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<Rejected> {
        if matches!(s, Statement::Query(_)) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(reject(
                format!(
                    "found {} inside the query (a data-modifying part, e.g. in WITH); only reading is allowed",
                    keyword(s)
                ),
                s.span(),
            ))
        }
    }

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<Rejected> {
        if let Some(lock) = q.locks.first() {
            return ControlFlow::Break(reject(
                format!("found a locking clause ({lock}); extractions never lock rows, remove it"),
                q.span(),
            ));
        }
        if let SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) =
            q.body.as_ref()
        {
            return self.pre_visit_statement(s);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<Rejected> {
        match &s.into {
            Some(into) => ControlFlow::Break(reject(
                format!("found {into}; SELECT … INTO writes a table, remove INTO"),
                into.span(),
            )),
            None => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
#[path = "sql_guard_tests.rs"]
mod tests;
