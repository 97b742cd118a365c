//! The round-trip check: a parsed query is rendered back to SQL and parsed again in its dialect, and must give the
//! same syntax tree. If it does not, sqlparser's reading of the text depends on quoting or escaping that its own
//! rendering does not reproduce (a backslash before a quote, say), which is exactly where sqlparser and the engine
//! may disagree; such a query is refused. Syntax trees compare by structure: sqlparser's equality ignores source
//! positions (`Ident::span`, `AttachedToken`, `ValueWithSpan::span`).

use sqlparser::{
    ast::Statement,
    parser::Parser,
    tokenizer::{Location, Token, Tokenizer},
};

use super::sql_guard::{Dialect, Rejected, parser_dialect};

/// Refuse `statement` (parsed from `sql`) if rendering and parsing it again in `dialect` changes it.
pub(crate) fn check(sql: &str, statement: &Statement, dialect: Dialect) -> Result<(), Rejected> {
    let rendered = statement.to_string();
    let d = parser_dialect(dialect);
    let same = match Parser::parse_sql(d, &rendered) {
        Ok(again) => again.len() == 1 && again[0] == *statement,
        Err(_) => false,
    };
    if same {
        return Ok(());
    }
    let near = first_changed_literal(sql, &rendered, dialect);
    let what = near.as_ref().map_or_else(
        || "its quoting or comments".to_owned(),
        |(text, _)| format!("the literal {text}"),
    );
    Err(Rejected {
        message: format!(
            "the query reads differently after normalising (sqlparser renders it and parses the rendering into \
             another query), so the database might not read it as the guard does; simplify the quoting/comments \
             near {what} (e.g. avoid backslashes before quotes, or doubled backslashes)"
        ),
        at: near.map(|(_, at)| (at.line, at.column)),
    })
}

/// The first literal (string, number, quoted name) of `sql` that is not the same literal in `rendered`, as sqlparser
/// reads each: where the rendering went wrong. `None` when the literals agree.
fn first_changed_literal(
    sql: &str,
    rendered: &str,
    dialect: Dialect,
) -> Option<(String, Location)> {
    let d = parser_dialect(dialect);
    let literals = |text: &str| -> Option<Vec<(Token, Location)>> {
        let tokens = Tokenizer::new(d, text).tokenize_with_location().ok()?;
        Some(
            tokens
                .into_iter()
                .filter(|t| is_literal(&t.token))
                .map(|t| (t.token, t.span.start))
                .collect(),
        )
    };
    let original = literals(sql)?;
    let again = literals(rendered).unwrap_or_default();
    original
        .iter()
        .enumerate()
        .find(|(i, (t, _))| again.get(*i).map(|(a, _)| a) != Some(t))
        .map(|(_, (t, at))| (shorten(&t.to_string()), *at))
}

fn is_literal(t: &Token) -> bool {
    match t {
        Token::Word(w) => w.quote_style.is_some(),
        Token::Number(..)
        | Token::Placeholder(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_) => true,
        _ => false,
    }
}

/// At most 40 characters of a literal, for a message.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
#[path = "sql_roundtrip_tests.rs"]
mod tests;
