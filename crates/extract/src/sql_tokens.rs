//! Token-level refusals, made before parsing: text that sqlparser and the database engine would split into tokens
//! differently, so that the guard would approve one query while the engine runs another. Each refusal says what was
//! found, where, and what to write instead.
//!
//! - control characters other than tab and line breaks (SQLite stops reading at NUL), and invisible text-direction
//!   characters (the query would display differently from how it runs);
//! - MySQL/MariaDB executable comments `/*! … */`, `/*M! … */` and optimizer hints `/*+ … */`: code to the server,
//!   comments (or version-blind code) to the parser;
//! - MySQL/MariaDB `--` followed by a non-ASCII space: a comment to the parser, two minus signs to the server;
//! - parameters in a form the engine reads further than sqlparser (`$a` or `$—$…` on PostgreSQL, `?1` on MySQL,
//!   SQLite's `$name(…)`, `:name::…` and `$name` followed by non-ASCII);
//! - PostgreSQL dollar-quote tags starting with a digit (`$1$` is a parameter to PostgreSQL);
//! - two string literals in a row: PostgreSQL joins them into one when a line break separates them, sqlparser reads
//!   the second as an alias (MySQL's `'a' 'b'`, which both read as one string, is allowed).

use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Whitespace};

use super::{
    sql_guard::{Dialect, Rejected, parser_dialect},
    sql_lexer::{Source, tokenize},
};

fn refuse(message: String, at: Location) -> Rejected {
    Rejected {
        message,
        at: (at.line > 0).then_some((at.line, at.column)),
    }
}

/// Refuse `sql` if sqlparser and the engine of `dialect` could read its tokens differently. Text the tokenizer cannot
/// read at all passes here: the parser refuses it with the tokenizer's own message.
pub(crate) fn check(sql: &str, dialect: Dialect) -> Result<(), Rejected> {
    characters(sql)?;
    let Ok(tokens) = tokenize(parser_dialect(dialect), sql) else {
        return Ok(());
    };
    let source = Source::new(sql);
    for (i, t) in tokens.iter().enumerate() {
        match (&t.token, dialect) {
            (Token::Whitespace(Whitespace::MultiLineComment(c)), Dialect::MySql) => {
                executable_comment(c, t.span)?;
            }
            (Token::Whitespace(Whitespace::SingleLineComment { prefix, .. }), Dialect::MySql)
                if prefix == "--" =>
            {
                dash_comment(&source, t.span)?;
            }
            (Token::Placeholder(p), _) => placeholder(p, dialect, &source, t.span)?,
            (Token::DollarQuotedString(s), Dialect::Postgres) => {
                dollar_tag(s.tag.as_deref(), t.span)?;
            }
            (Token::Colon | Token::AtSign | Token::Sharp, Dialect::Sqlite) => {
                sqlite_variable(&tokens[i..], &source)?;
            }
            _ => {}
        }
    }
    adjacent_strings(&tokens, dialect)
}

/// PostgreSQL reads `$1$…` as the parameter `$1` followed by text: a tag must not start with a digit.
fn dollar_tag(tag: Option<&str>, span: Span) -> Result<(), Rejected> {
    let Some(tag) = tag.filter(|t| t.starts_with(|c: char| c.is_ascii_digit())) else {
        return Ok(());
    };
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    Err(refuse(
        format!(
            "found the dollar-quote tag ${tag}$; PostgreSQL reads ${digits} as a parameter: start the tag with a \
             letter (e.g. $q$…$q$)"
        ),
        span.start,
    ))
}

/// Whether an engine may read `c` as part of an identifier or parameter name.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

fn characters(sql: &str) -> Result<(), Rejected> {
    let (mut line, mut column) = (1, 1);
    for c in sql.chars() {
        let at = Location::new(line, column);
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            return Err(refuse(
                format!(
                    "found the control character U+{:04X}; an engine may stop reading there or read it otherwise \
                     than the guard: remove it (tabs and line breaks are fine)",
                    u32::from(c)
                ),
                at,
            ));
        }
        if matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        {
            return Err(refuse(
                format!(
                    "found the invisible text-direction character U+{:04X}; it makes the query display otherwise \
                     than it runs: remove it",
                    u32::from(c)
                ),
                at,
            ));
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Ok(())
}

/// `/*! … */`, `/*M! … */`, `/*+ … */` (the comment's text is `c`).
fn executable_comment(c: &str, span: Span) -> Result<(), Rejected> {
    let message = if c.starts_with('!') {
        "found an executable comment /*! … */; MySQL and MariaDB run the text inside it as SQL (or skip it, by \
         version) while the guard cannot tell: write the SQL outside the comment, or remove the `!`"
    } else if c.starts_with("M!") || c.starts_with("m!") {
        "found a MariaDB executable comment /*M! … */; MariaDB runs the text inside it as SQL while the guard reads a \
         comment: write the SQL outside the comment, or remove the `M!`"
    } else if c.starts_with('+') {
        "found an optimizer hint /*+ … */; MySQL and MariaDB read it as instructions, not as a comment: remove it, \
         or put a space between `/*` and `+`"
    } else {
        return Ok(());
    };
    Err(refuse(message.to_owned(), span.start))
}

/// MySQL/MariaDB begin a `--` comment only when a space, tab or line break (ASCII) follows.
fn dash_comment(source: &Source<'_>, span: Span) -> Result<(), Rejected> {
    match source.slice(span).chars().nth(2) {
        Some(c) if !c.is_ascii() => Err(refuse(
            format!(
                "found `--` followed by U+{:04X}; MySQL and MariaDB start a comment only when a plain space, tab or \
                 line break follows `--`: put a space after `--`",
                u32::from(c)
            ),
            span.start,
        )),
        _ => Ok(()),
    }
}

/// A parameter must be one the engine reads exactly as far as sqlparser does.
fn placeholder(p: &str, dialect: Dialect, source: &Source<'_>, span: Span) -> Result<(), Rejected> {
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let form_ok = match dialect {
        Dialect::Postgres => p
            .strip_prefix('$')
            .is_some_and(|n| !n.is_empty() && digits(n)),
        Dialect::MySql => p == "?",
        Dialect::Sqlite => p.is_ascii() && p.strip_prefix('?').is_none_or(digits),
    };
    if !form_ok {
        return Err(refuse(
            format!(
                "found `{p}`, which the engine does not read as the guard does (a parameter, the start of a \
                 quoted string, or part of a name); Clearance's parameter is written :name, and dollar quotes as \
                 $tag$…$tag$ with a tag of letters"
            ),
            span.start,
        ));
    }
    followed_by_name(p, source, span)
}

/// Refuse a parameter that runs straight into more name characters, `(` or `:`: the engine reads them as one token.
fn followed_by_name(p: &str, source: &Source<'_>, span: Span) -> Result<(), Rejected> {
    match source.after(span) {
        Some(c) if name_char(c) || c == '(' || c == ':' => Err(refuse(
            format!(
                "found the parameter {p} followed by `{c}`; the engine reads them as one token, the guard does not: \
                 put a space after the parameter"
            ),
            span.start,
        )),
        _ => Ok(()),
    }
}

/// SQLite's `:name`, `@name`, `#name` (sqlparser: a sign, then a word): the name must end where sqlparser ends it.
fn sqlite_variable(tokens: &[TokenWithSpan], source: &Source<'_>) -> Result<(), Rejected> {
    let [sign, next, ..] = tokens else {
        return Ok(());
    };
    match &next.token {
        Token::Word(w) if w.quote_style.is_none() && next.span.start == sign.span.end => {
            let whole = Span::new(sign.span.start, next.span.end);
            followed_by_name(source.slice(whole), source, whole)
        }
        _ => Ok(()),
    }
}

fn is_string(t: &Token, dialect: Dialect) -> bool {
    match t {
        Token::SingleQuotedString(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::DollarQuotedString(_) => true,
        Token::DoubleQuotedString(_) => dialect == Dialect::MySql,
        _ => false,
    }
}

/// Two string literals with only spaces and comments between them.
fn adjacent_strings(tokens: &[TokenWithSpan], dialect: Dialect) -> Result<(), Rejected> {
    let mut significant = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF));
    let Some(mut prev) = significant.next() else {
        return Ok(());
    };
    for t in significant {
        let plain = |t: &Token| {
            matches!(
                t,
                Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
            )
        };
        let both_plain_mysql = dialect == Dialect::MySql && plain(&prev.token) && plain(&t.token);
        if is_string(&prev.token, dialect) && is_string(&t.token, dialect) && !both_plain_mysql {
            return Err(refuse(
                "found two string literals in a row; engines differ on whether they are one string (PostgreSQL \
                 joins them across a line break) or a string and its alias: join them with || or write AS before \
                 an alias"
                    .to_owned(),
                t.span.start,
            ));
        }
        prev = t;
    }
    Ok(())
}

#[cfg(test)]
#[path = "sql_tokens_tests.rs"]
mod tests;
