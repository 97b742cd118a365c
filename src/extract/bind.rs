//! Binding an ID list to the query's one named parameter, never by splicing values into SQL text.
//!
//! The analyst writes `WHERE c.id IN (:customer_ids)` (on PostgreSQL `c.id = ANY(:customer_ids)` works too). The
//! parsed query is rewritten so the whole list travels as one bound value:
//!
//! - PostgreSQL: `c.id = ANY($1::bigint[])` (or `text[]`), bound as an array;
//! - SQLite: `c.id IN (SELECT value FROM json_each(?))`, bound as a JSON array;
//! - MySQL/MariaDB: `c.id IN (SELECT v FROM JSON_TABLE(?, '$[*]' COLUMNS (v … PATH '$')) AS ids)`, likewise.
//!
//! One statement with one parameter gives the same rows as the list spelled out, keeps aggregates and `ORDER BY`
//! over the whole result (which running the query per chunk would not), and needs no temporary table, so nothing is
//! written even to temp space inside the read-only session.
//!
//! Where the list filters the top-level `SELECT`, a companion query counts how many distinct IDs matched a row, so
//! the analyst learns how many matched nothing.

use std::ops::ControlFlow;

use sqlparser::{
    ast::{Expr, Query, SelectItem, SetExpr, Statement, Value, VisitMut, VisitorMut},
    parser::Parser,
};

use super::{
    ids::Ids,
    sql_guard::{Dialect, Rejected, parser_dialect},
};

/// The value bound in place of the parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// PostgreSQL `bigint[]`.
    Integers(Vec<i64>),
    /// PostgreSQL `text[]`.
    Texts(Vec<String>),
    /// A JSON array (SQLite, MySQL/MariaDB).
    Json(String),
}

/// A query ready to run: SQL text, its one argument if it has an ID list, and the matched-ID count query.
#[derive(Clone, Debug)]
pub struct Bound {
    /// The SQL sent to the database.
    pub sql: String,
    /// The bound ID list.
    pub arg: Option<Arg>,
    /// `SELECT COUNT(DISTINCT <id expression>) …` with the same filter, when the list filters the top-level query.
    pub matched_sql: Option<String>,
}

fn rejected(message: impl Into<String>) -> Rejected {
    Rejected {
        message: message.into(),
        at: None,
    }
}

/// Bind `ids` to `:parameter` in the checked `statement`. Without an ID list the query must have no parameters.
pub fn bind(
    statement: Statement,
    dialect: Dialect,
    ids: Option<(&str, &Ids)>,
) -> Result<Bound, Rejected> {
    let Statement::Query(mut query) = statement else {
        return Err(rejected("only a query can run"));
    };
    let mut finder = Rewrite {
        dialect,
        parameter: ids.map(|(p, _)| format!(":{p}")),
        ids: ids.map(|(_, ids)| ids),
        uses: 0,
        expected: 0,
        problem: None,
    };
    let _ = query.visit(&mut finder);
    if let Some(problem) = finder.problem {
        return Err(problem);
    }
    let Some((parameter, ids)) = ids else {
        return Ok(Bound {
            sql: query.to_string(),
            arg: None,
            matched_sql: None,
        });
    };
    match finder.uses {
        0 => {
            return Err(rejected(format!(
                "the query does not use :{parameter}; filter with `… IN (:{parameter})` to use the ID list"
            )));
        }
        1 => {}
        n => {
            return Err(rejected(format!(
                ":{parameter} is used {n} times; use the ID list once (join or a WITH clause can reuse it)"
            )));
        }
    }
    let matched_sql = matched_query(&query);
    Ok(Bound {
        sql: query.to_string(),
        arg: Some(arg(dialect, ids)),
        matched_sql,
    })
}

fn arg(dialect: Dialect, ids: &Ids) -> Arg {
    match (dialect, ids) {
        (Dialect::Postgres, Ids::Integers(v)) => Arg::Integers(v.clone()),
        (Dialect::Postgres, Ids::Texts(v)) => Arg::Texts(v.clone()),
        (_, Ids::Integers(v)) => Arg::Json(serde_json::Value::from(v.clone()).to_string()),
        (_, Ids::Texts(v)) => Arg::Json(serde_json::Value::from(v.clone()).to_string()),
    }
}

/// The expression the list becomes, in the source's dialect.
fn membership(dialect: Dialect, ids: &Ids, lhs: &Expr, negated: bool) -> String {
    let not = if negated { "NOT " } else { "" };
    let integers = matches!(ids, Ids::Integers(_));
    match dialect {
        Dialect::Postgres => {
            let ty = if integers { "bigint[]" } else { "text[]" };
            if negated {
                format!("({lhs}) <> ALL($1::{ty})")
            } else {
                format!("({lhs}) = ANY($1::{ty})")
            }
        }
        Dialect::Sqlite => format!("({lhs}) {not}IN (SELECT value FROM json_each(?))"),
        Dialect::MySql => {
            let ty = if integers {
                "BIGINT"
            } else {
                "VARCHAR(256) CHARACTER SET utf8mb4"
            };
            format!(
                "({lhs}) {not}IN (SELECT clearance_ids.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v {ty} PATH '$')) AS clearance_ids)"
            )
        }
    }
}

/// Finds the parameter, rewrites its use and refuses any other placeholder.
struct Rewrite<'a> {
    dialect: Dialect,
    parameter: Option<String>,
    ids: Option<&'a Ids>,
    uses: usize,
    /// Uses seen whose placeholder has not been visited yet.
    expected: usize,
    problem: Option<Rejected>,
}

fn placeholder(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => Some(p.as_str()),
            _ => None,
        },
        Expr::Nested(inner) => placeholder(inner),
        _ => None,
    }
}

impl Rewrite<'_> {
    fn is_ours(&self, p: &str) -> bool {
        self.parameter.as_deref().is_some_and(|ours| ours == p)
    }

    fn replace(&mut self, lhs: &Expr, negated: bool) -> Option<Expr> {
        let ids = self.ids?;
        let text = membership(self.dialect, ids, lhs, negated);
        match Parser::new(parser_dialect(self.dialect))
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_expr())
        {
            Ok(e) => Some(e),
            Err(e) => {
                self.problem = Some(rejected(format!(
                    "could not bind the ID list here ({e}); write `expression IN (:parameter)`"
                )));
                None
            }
        }
    }
}

impl Rewrite<'_> {
    /// The left side and negation of a membership test on our parameter.
    fn our_membership(&self, e: &Expr) -> Option<(Expr, bool)> {
        match e {
            Expr::InList {
                expr,
                list,
                negated,
            } if list.len() == 1 && placeholder(&list[0]).is_some_and(|p| self.is_ours(p)) => {
                Some((expr.as_ref().clone(), *negated))
            }
            Expr::AnyOp {
                left,
                compare_op: sqlparser::ast::BinaryOperator::Eq,
                right,
                ..
            } if self.dialect == Dialect::Postgres
                && placeholder(right).is_some_and(|p| self.is_ours(p)) =>
            {
                Some((left.as_ref().clone(), false))
            }
            _ => None,
        }
    }
}

impl VisitorMut for Rewrite<'_> {
    type Break = ();

    /// Count the uses of our parameter and refuse any other placeholder (children are visited after this).
    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.our_membership(e).is_some() {
            self.uses += 1;
            self.expected += 1;
            return ControlFlow::Continue(());
        }
        let Some(p) = placeholder(e) else {
            return ControlFlow::Continue(());
        };
        if self.is_ours(p) && self.expected > 0 {
            self.expected -= 1;
            return ControlFlow::Continue(());
        }
        self.problem = Some(rejected(match &self.parameter {
            Some(ours) if ours == p => {
                format!("{p} can only be used as `expression IN ({p})`; write it that way")
            }
            Some(ours) => {
                format!("found parameter {p}; the only parameter is {ours}, bound to the ID list")
            }
            None => format!(
                "found parameter {p}, but the plan has no ID list; remove it or attach an ID list"
            ),
        }));
        ControlFlow::Break(())
    }

    /// Rewrite a membership test once its children have been checked (the new expression is not visited again).
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let Some((lhs, negated)) = self.our_membership(e) else {
            return ControlFlow::Continue(());
        };
        match self.replace(&lhs, negated) {
            Some(new) => {
                *e = new;
                ControlFlow::Continue(())
            }
            None => ControlFlow::Break(()),
        }
    }
}

/// `SELECT COUNT(DISTINCT lhs) FROM … WHERE …` for a top-level `SELECT` whose filter holds the (rewritten) list.
fn matched_query(query: &Query) -> Option<String> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let selection = select.selection.as_ref()?;
    let lhs = find_membership_lhs(selection)?;
    let mut count = query.clone();
    count.order_by = None;
    count.limit_clause = None;
    count.fetch = None;
    let SetExpr::Select(s) = count.body.as_mut() else {
        return None;
    };
    s.distinct = None;
    s.group_by = sqlparser::ast::GroupByExpr::Expressions(vec![], vec![]);
    s.having = None;
    s.qualify = None;
    s.named_window = vec![];
    s.projection = vec![SelectItem::UnnamedExpr(
        Parser::new(&sqlparser::dialect::GenericDialect {})
            .try_with_sql(&format!("COUNT(DISTINCT {lhs})"))
            .and_then(|mut p| p.parse_expr())
            .ok()?,
    )];
    Some(count.to_string())
}

/// The left side of the rewritten membership test, when it sits in the top-level `AND` chain of the filter (so every
/// result row satisfies it).
fn find_membership_lhs(e: &Expr) -> Option<Expr> {
    match e {
        Expr::BinaryOp {
            left,
            op: sqlparser::ast::BinaryOperator::And,
            right,
        } => find_membership_lhs(left).or_else(|| find_membership_lhs(right)),
        Expr::Nested(inner) => find_membership_lhs(inner),
        Expr::AnyOp { left, right, .. } if is_bound(right) => Some(unnest(left)),
        Expr::InSubquery {
            expr,
            negated: false,
            subquery,
        } if {
            let q = subquery.to_string();
            q == "SELECT value FROM json_each(?)"
                || q.starts_with("SELECT clearance_ids.v FROM JSON_TABLE(?")
        } =>
        {
            Some(unnest(expr))
        }
        _ => None,
    }
}

fn is_bound(e: &Expr) -> bool {
    match e {
        Expr::Cast { expr, .. } => is_bound(expr),
        Expr::Nested(inner) => is_bound(inner),
        other => placeholder(other) == Some("$1"),
    }
}

fn unnest(e: &Expr) -> Expr {
    match e {
        Expr::Nested(inner) => inner.as_ref().clone(),
        other => other.clone(),
    }
}

#[cfg(test)]
#[path = "bind_tests.rs"]
mod tests;
