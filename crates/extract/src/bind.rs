//! Binding an ID list to the query's one named parameter, on the exact text that was approved: the database receives
//! the analyst's SQL byte for byte, except that the parameter's own token is replaced at its source position by a
//! fixed, documented text that reads the whole list from one bound value. The query is never re-rendered from its
//! syntax tree (a rendering can read differently to the engine than to the guard).
//!
//! The analyst writes `WHERE c.id IN (:customer_ids)` (on PostgreSQL `c.id = ANY(:customer_ids)` works too). The
//! token `:customer_ids` becomes:
//!
//! - PostgreSQL: `SELECT unnest($1::bigint[])` (or `text[]`) inside `IN (…)`, and `$1::bigint[]` inside `ANY(…)`;
//! - SQLite: `SELECT value FROM json_each(?)`, bound as a JSON array;
//! - MySQL/MariaDB: `SELECT clearance_ids.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v … PATH '$')) AS clearance_ids`.
//!
//! One statement with one parameter gives the same rows as the list spelled out, keeps aggregates and `ORDER BY`
//! over the whole result (which running the query per chunk would not), and needs no temporary table, so nothing is
//! written even to temp space inside the read-only session.
//!
//! Where the list filters the top-level `SELECT`, a companion query counts how many distinct IDs matched a row, so
//! the analyst learns how many matched nothing. It too is made of spans of the approved text (the filter's `FROM …
//! WHERE …` and the column compared with the list) and fixed words, never of a rendering.

use std::ops::{ControlFlow, Range};

use sqlparser::{
    ast::{Expr, Query, SetExpr, Spanned as _, Statement, Value, Visit, Visitor},
    keywords::Keyword,
    parser::Parser,
    tokenizer::{Token, TokenWithSpan},
};

use super::{
    ids::Ids,
    sql_guard::{Dialect, Rejected, parser_dialect},
    sql_lexer::{self, Source},
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
    /// The SQL sent to the database: the approved text, with the parameter's token replaced when there is a list.
    pub sql: String,
    /// The bound ID list.
    pub arg: Option<Arg>,
    /// `SELECT COUNT(DISTINCT <id column>) FROM … WHERE …` with the same filter, when the list filters the top-level
    /// query by a plain column.
    pub matched_sql: Option<String>,
}

fn rejected(message: impl Into<String>) -> Rejected {
    Rejected {
        message: message.into(),
        at: None,
    }
}

/// Bind `ids` to `:parameter` in `sql`, whose checked parse is `statement`. Without an ID list the query must have
/// no parameters and runs exactly as written.
pub fn bind(
    sql: &str,
    statement: &Statement,
    dialect: Dialect,
    ids: Option<(&str, &Ids)>,
) -> Result<Bound, Rejected> {
    let Statement::Query(query) = statement else {
        return Err(rejected("only a query can run"));
    };
    let mut finder = Uses {
        dialect,
        parameter: ids.map(|(p, _)| format!(":{p}")),
        forms: Vec::new(),
        expected: 0,
        problem: None,
    };
    let _ = query.visit(&mut finder);
    if let Some(problem) = finder.problem {
        return Err(problem);
    }
    let Some((parameter, ids)) = ids else {
        return Ok(Bound {
            sql: sql.to_owned(),
            arg: None,
            matched_sql: None,
        });
    };
    let form = match finder.forms.as_slice() {
        [] => {
            return Err(rejected(format!(
                "the query does not use :{parameter}; filter with `… IN (:{parameter})` to use the ID list"
            )));
        }
        [one] => *one,
        many => {
            return Err(rejected(format!(
                ":{parameter} is used {} times; use the ID list once (join or a WITH clause can reuse it)",
                many.len()
            )));
        }
    };
    let text = Text::new(sql, dialect)?;
    let token = text.placeholder(&format!(":{parameter}"), form)?;
    let replacement = replacement(dialect, ids, form);
    let bound_sql = text.splice(&token, &replacement);
    // Belt and braces: the spliced text is still exactly one query in the dialect.
    if !matches!(Parser::parse_sql(parser_dialect(dialect), &bound_sql), Ok(s) if s.len() == 1) {
        return Err(rejected(format!(
            "could not bind the ID list at :{parameter}; write `expression IN (:{parameter})`"
        )));
    }
    let matched_sql = match form {
        Form::In { negated: false } | Form::Any => text.matched_query(query, &token, &replacement),
        _ => None,
    };
    Ok(Bound {
        sql: bound_sql,
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

/// How the parameter is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `expression [NOT] IN (:parameter)`.
    In { negated: bool },
    /// `expression = ANY(:parameter)` (PostgreSQL).
    Any,
}

/// The text that replaces the parameter's token, in the source's dialect.
fn replacement(dialect: Dialect, ids: &Ids, form: Form) -> String {
    let integers = matches!(ids, Ids::Integers(_));
    match dialect {
        Dialect::Postgres => {
            let ty = if integers { "bigint[]" } else { "text[]" };
            match form {
                Form::Any => format!("$1::{ty}"),
                Form::In { .. } => format!("SELECT unnest($1::{ty})"),
            }
        }
        Dialect::Sqlite => "SELECT value FROM json_each(?)".into(),
        Dialect::MySql => {
            let ty = if integers {
                "BIGINT"
            } else {
                "VARCHAR(256) CHARACTER SET utf8mb4"
            };
            format!(
                "SELECT clearance_ids.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v {ty} PATH '$')) AS clearance_ids"
            )
        }
    }
}

/// Finds the uses of our parameter and refuses any other placeholder.
struct Uses {
    dialect: Dialect,
    parameter: Option<String>,
    /// The form of each use of our parameter.
    forms: Vec<Form>,
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

impl Uses {
    fn is_ours(&self, p: &str) -> bool {
        self.parameter.as_deref().is_some_and(|ours| ours == p)
    }

    /// The form of a membership test on our parameter.
    fn our_membership(&self, e: &Expr) -> Option<Form> {
        match e {
            Expr::InList { list, negated, .. }
                if list.len() == 1 && placeholder(&list[0]).is_some_and(|p| self.is_ours(p)) =>
            {
                Some(Form::In { negated: *negated })
            }
            Expr::AnyOp {
                compare_op: sqlparser::ast::BinaryOperator::Eq,
                right,
                ..
            } if self.dialect == Dialect::Postgres
                && placeholder(right).is_some_and(|p| self.is_ours(p)) =>
            {
                Some(Form::Any)
            }
            _ => None,
        }
    }
}

impl Visitor for Uses {
    type Break = ();

    /// Count the uses of our parameter and refuse any other placeholder (children are visited after this).
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Some(form) = self.our_membership(e) {
            self.forms.push(form);
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
                format!("found parameter {p}, the only parameter is {ours}, bound to the ID list")
            }
            None => format!(
                "found parameter {p}, but the plan has no ID list; remove it or attach an ID list"
            ),
        }));
        ControlFlow::Break(())
    }
}

/// The approved text with its tokens and their byte ranges.
struct Text<'a> {
    sql: &'a str,
    source: Source<'a>,
    dialect: Dialect,
    tokens: Vec<(Token, Range<usize>)>,
}

impl<'a> Text<'a> {
    fn new(sql: &'a str, dialect: Dialect) -> Result<Self, Rejected> {
        let tokens = sql_lexer::tokenize(parser_dialect(dialect), sql)
            .map_err(|e| rejected(format!("could not read the query's tokens: {e}")))?;
        let source = Source::new(sql);
        let tokens = tokens
            .into_iter()
            .filter(|t| !matches!(t.token, Token::EOF))
            .map(|TokenWithSpan { token, span }| {
                let range = source
                    .offset(span.start)
                    .zip(source.offset(span.end))
                    .map(|(s, e)| s..e);
                range.map(|r| (token, r))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| rejected("could not locate the query's tokens in its text"))?;
        Ok(Self {
            sql,
            source,
            dialect,
            tokens,
        })
    }

    /// Indices of the tokens that are not white space or comments.
    fn significant(&self) -> Vec<usize> {
        (0..self.tokens.len())
            .filter(|&i| !matches!(self.tokens[i].0, Token::Whitespace(_)))
            .collect()
    }

    fn is_word(&self, i: usize, keyword: Keyword) -> bool {
        matches!(&self.tokens[i].0, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none())
    }

    /// The byte range of the one placeholder `name` (one token, or `:` directly followed by the name), which must
    /// stand alone in `IN (…)` or `ANY(…)`.
    fn placeholder(&self, name: &str, form: Form) -> Result<Range<usize>, Rejected> {
        let sig = self.significant();
        let bare = name.strip_prefix(':');
        // (first, last) positions in `sig` of each spelling of the placeholder.
        let hits: Vec<(usize, usize)> = (0..sig.len())
            .filter_map(|k| match &self.tokens[sig[k]].0 {
                Token::Placeholder(p) if p == name => Some((k, k)),
                Token::Colon => {
                    let next = self.tokens.get(sig[k] + 1)?;
                    let adjacent = sig.get(k + 1) == Some(&(sig[k] + 1));
                    match &next.0 {
                        Token::Word(w)
                            if adjacent
                                && w.quote_style.is_none()
                                && Some(w.value.as_str()) == bare =>
                        {
                            Some((k, k + 1))
                        }
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        let misplaced = || {
            rejected(format!(
                "{name} can only be used as `expression IN ({name})`; write it that way"
            ))
        };
        let [(first, last)] = hits.as_slice() else {
            return Err(misplaced());
        };
        let (first, last) = (*first, *last);
        let (Some(&open), Some(&close), Some(&before)) = (
            first.checked_sub(1).and_then(|j| sig.get(j)),
            sig.get(last + 1),
            first.checked_sub(2).and_then(|j| sig.get(j)),
        ) else {
            return Err(misplaced());
        };
        let keyword = match form {
            Form::In { .. } => Keyword::IN,
            Form::Any => Keyword::ANY,
        };
        let framed = matches!(self.tokens[open].0, Token::LParen)
            && matches!(self.tokens[close].0, Token::RParen)
            && self.is_word(before, keyword);
        if framed {
            Ok(self.tokens[sig[first]].1.start..self.tokens[sig[last]].1.end)
        } else {
            Err(misplaced())
        }
    }

    /// The text with the bytes in `token` replaced by `with`.
    fn splice(&self, token: &Range<usize>, with: &str) -> String {
        self.splice_range(0..self.sql.len(), token, with)
    }

    /// `self.sql[range]` with the bytes in `token` (inside the range) replaced by `with`.
    fn splice_range(&self, range: Range<usize>, token: &Range<usize>, with: &str) -> String {
        let mut out = String::with_capacity(range.len() + with.len());
        out.push_str(&self.sql[range.start..token.start]);
        out.push_str(with);
        out.push_str(&self.sql[token.end..range.end]);
        out
    }

    /// `[WITH …] SELECT COUNT(DISTINCT <column>) FROM … WHERE …` cut from the approved text, for a top-level `SELECT`
    /// whose `WHERE` has the list in its top-level `AND` chain, compared with a plain column. `None` otherwise.
    fn matched_query(&self, query: &Query, token: &Range<usize>, with: &str) -> Option<String> {
        let SetExpr::Select(select) = query.body.as_ref() else {
            return None;
        };
        let column = membership_column(select.selection.as_ref()?)?;
        let column_text = self.source.slice(column.span());
        if column_text.is_empty() {
            return None;
        }
        // The column's text must parse back to the same column.
        let reparsed = Parser::new(parser_dialect(self.dialect))
            .try_with_sql(column_text)
            .and_then(|mut p| p.parse_expr())
            .ok()?;
        if &reparsed != column {
            return None;
        }
        // Top-level (depth 0) SELECT, FROM, WHERE and the end of the WHERE clause.
        let mut depth = 0i32;
        let (mut select_at, mut from_at, mut where_at, mut end) =
            (None, None, None, self.sql.len());
        for (i, (token, range)) in self.tokens.iter().enumerate() {
            match token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::SemiColon if depth == 0 => {
                    end = range.start;
                    break;
                }
                Token::Word(w) if depth == 0 && w.quote_style.is_none() => match w.keyword {
                    Keyword::SELECT if select_at.is_none() => select_at = Some(range.start),
                    Keyword::FROM if select_at.is_some() && from_at.is_none() => {
                        from_at = Some(range.start);
                    }
                    Keyword::WHERE if from_at.is_some() && where_at.is_none() => {
                        where_at = Some(i);
                    }
                    Keyword::GROUP
                    | Keyword::HAVING
                    | Keyword::WINDOW
                    | Keyword::QUALIFY
                    | Keyword::ORDER
                    | Keyword::LIMIT
                    | Keyword::OFFSET
                    | Keyword::FETCH
                    | Keyword::UNION
                    | Keyword::EXCEPT
                    | Keyword::INTERSECT
                    | Keyword::FOR
                        if where_at.is_some() =>
                    {
                        end = range.start;
                        break;
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let (select_at, from_at) = (select_at?, from_at?);
        let where_range = &self.tokens[where_at?].1;
        if !(where_range.end <= token.start && token.end <= end) {
            return None;
        }
        let sql = format!(
            "{}SELECT COUNT(DISTINCT {column_text}) {}",
            &self.sql[..select_at],
            self.splice_range(from_at..end, token, with).trim_end()
        );
        let statements = Parser::parse_sql(parser_dialect(self.dialect), &sql).ok()?;
        (statements.len() == 1).then_some(sql)
    }
}

/// The column compared with the list, when the membership test sits in the top-level `AND` chain of the filter (so
/// every result row satisfies it) and its left side is a plain column.
fn membership_column(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::BinaryOp {
            left,
            op: sqlparser::ast::BinaryOperator::And,
            right,
        } => membership_column(left).or_else(|| membership_column(right)),
        Expr::Nested(inner) => membership_column(inner),
        Expr::InList {
            expr,
            list,
            negated: false,
        } if list.len() == 1 && placeholder(&list[0]).is_some() => plain_column(expr),
        Expr::AnyOp { left, right, .. } if placeholder(right).is_some() => plain_column(left),
        _ => None,
    }
}

fn plain_column(e: &Expr) -> Option<&Expr> {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)).then_some(e)
}

#[cfg(test)]
#[path = "bind_tests.rs"]
mod tests;
