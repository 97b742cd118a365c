//! The SQL text as tokens for the guard's token-level checks: sqlparser's tokenizer in the source's dialect, except
//! that MySQL executable comments (`/*! … */`) come out as the comments they are to sqlparser's eye rather than
//! re-tokenized as code, so the checks can see (and refuse) them; and each token's exact source text.

use std::{any::TypeId, iter::Peekable, str::Chars};

use sqlparser::{
    dialect::Dialect as ParserDialect,
    tokenizer::{Location, Span, TokenWithSpan, Tokenizer, TokenizerError},
};

/// A dialect that tokenizes exactly as the one it wraps, but leaves `/*! … */` a comment. It delegates every dialect method
/// the tokenizer consults (a test compares its tokens with the stock dialect's); it is never used for parsing.
struct CommentsAsWritten(&'static dyn ParserDialect);

impl std::fmt::Debug for CommentsAsWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommentsAsWritten")
    }
}

impl ParserDialect for CommentsAsWritten {
    fn dialect(&self) -> TypeId {
        self.0.dialect()
    }
    fn supports_multiline_comment_hints(&self) -> bool {
        false
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }
    fn is_nested_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_nested_delimited_identifier_start(ch)
    }
    fn peek_nested_delimited_identifier_quotes(
        &self,
        chars: Peekable<Chars<'_>>,
    ) -> Option<(char, Option<char>)> {
        self.0.peek_nested_delimited_identifier_quotes(chars)
    }
    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.0.is_custom_operator_part(ch)
    }
    fn ignores_wildcard_escapes(&self) -> bool {
        self.0.ignores_wildcard_escapes()
    }
    fn requires_single_line_comment_whitespace(&self) -> bool {
        self.0.requires_single_line_comment_whitespace()
    }
    fn supports_dollar_as_money_prefix(&self) -> bool {
        self.0.supports_dollar_as_money_prefix()
    }
    fn supports_dollar_placeholder(&self) -> bool {
        self.0.supports_dollar_placeholder()
    }
    fn supports_geometric_types(&self) -> bool {
        self.0.supports_geometric_types()
    }
    fn supports_nested_comments(&self) -> bool {
        self.0.supports_nested_comments()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        self.0.supports_numeric_literal_underscores()
    }
    fn supports_numeric_prefix(&self) -> bool {
        self.0.supports_numeric_prefix()
    }
    fn supports_pipe_operator(&self) -> bool {
        self.0.supports_pipe_operator()
    }
    fn supports_quote_delimited_string(&self) -> bool {
        self.0.supports_quote_delimited_string()
    }
    fn supports_string_escape_constant(&self) -> bool {
        self.0.supports_string_escape_constant()
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        self.0.supports_string_literal_backslash_escape()
    }
    fn supports_triple_quoted_string(&self) -> bool {
        self.0.supports_triple_quoted_string()
    }
    fn supports_unicode_string_literal(&self) -> bool {
        self.0.supports_unicode_string_literal()
    }
}

/// `sql`'s tokens in `dialect`, executable comments kept as comments.
pub(crate) fn tokenize(
    dialect: &'static dyn ParserDialect,
    sql: &str,
) -> Result<Vec<TokenWithSpan>, TokenizerError> {
    Tokenizer::new(&CommentsAsWritten(dialect), sql).tokenize_with_location()
}

/// SQL text with a way from sqlparser's (line, column) locations back to the text.
pub(crate) struct Source<'a> {
    text: &'a str,
    /// Byte offset of every character, and the text's length at the end.
    chars: Vec<usize>,
    /// Index (into `chars`) of the first character of each line (lines end at `\n`, as the tokenizer counts them).
    lines: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut chars = Vec::with_capacity(text.len() + 1);
        let mut lines = vec![0];
        for (n, (i, c)) in text.char_indices().enumerate() {
            chars.push(i);
            if c == '\n' {
                lines.push(n + 1);
            }
        }
        chars.push(text.len());
        Self { text, chars, lines }
    }

    /// The byte offset of a location (1-based line and column, columns counted in characters).
    pub(crate) fn offset(&self, at: Location) -> Option<usize> {
        let line = usize::try_from(at.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(at.column).ok()?.checked_sub(1)?;
        let first = *self.lines.get(line)?;
        self.chars.get(first.checked_add(column)?).copied()
    }

    /// The text a token spans (empty if the span does not map onto the text).
    pub(crate) fn slice(&self, span: Span) -> &'a str {
        match (self.offset(span.start), self.offset(span.end)) {
            (Some(a), Some(b)) if a <= b => &self.text[a..b],
            _ => "",
        }
    }

    /// The character right after a span, if any.
    pub(crate) fn after(&self, span: Span) -> Option<char> {
        self.text[self.offset(span.end)?..].chars().next()
    }
}

#[cfg(test)]
#[path = "sql_lexer_tests.rs"]
mod tests;
