//! Tokenizer: turns a JQL string into words (bare or quoted, escapes resolved) and symbols, each with the
//! 1-based line and character Jira reports in its syntax errors.

use super::JqlError;

/// A punctuation or operator symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sym {
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    NotLike,
    /// `&` or `&&`.
    And,
    /// `|` or `||`.
    Or,
    /// `!` on its own.
    Not,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    Sym(Sym),
    Word { text: String, quoted: bool },
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    /// The source text of the token, as quoted in error messages.
    pub raw: String,
    pub line: usize,
    pub col: usize,
}

pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    /// Position just past the end of the input, for "got the end of the query" errors.
    pub end: (usize, usize),
}

/// Characters that Jira refuses outside quotes.
const RESERVED_CHARS: &[char] = &[
    '{', '}', '[', ']', '*', '/', '%', '+', '^', '$', '#', '@', '?', ';',
];

/// Builds a positioned syntax error.
pub(super) fn syntax(message: &str, line: usize, col: usize) -> JqlError {
    JqlError::new(format!(
        "Error in the JQL Query: {message} (line {line}, character {col})"
    ))
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || "()\"',=!<>~&|".contains(c) || RESERVED_CHARS.contains(&c)
}

/// Splits `src` into tokens.
pub(super) fn tokenize(src: &str) -> Result<Lexed, JqlError> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let mut tokens = Vec::new();
    while let Some(&c) = chars.get(i) {
        if c == '\n' {
            (i, line, col) = (i + 1, line + 1, 1);
            continue;
        }
        if c.is_whitespace() {
            (i, col) = (i + 1, col + 1);
            continue;
        }
        let (start, at) = (i, (line, col));
        let next = chars.get(i + 1).copied();
        let sym = match (c, next) {
            ('(', _) => Some((Sym::LParen, 1)),
            (')', _) => Some((Sym::RParen, 1)),
            (',', _) => Some((Sym::Comma, 1)),
            ('=', _) => Some((Sym::Eq, 1)),
            ('~', _) => Some((Sym::Like, 1)),
            ('!', Some('=')) => Some((Sym::Ne, 2)),
            ('!', Some('~')) => Some((Sym::NotLike, 2)),
            ('!', _) => Some((Sym::Not, 1)),
            ('<', Some('=')) => Some((Sym::Le, 2)),
            ('<', _) => Some((Sym::Lt, 1)),
            ('>', Some('=')) => Some((Sym::Ge, 2)),
            ('>', _) => Some((Sym::Gt, 1)),
            ('&', Some('&')) | ('|', Some('|')) => {
                Some((if c == '&' { Sym::And } else { Sym::Or }, 2))
            }
            ('&', _) => Some((Sym::And, 1)),
            ('|', _) => Some((Sym::Or, 1)),
            _ => None,
        };
        let tok = if let Some((sym, len)) = sym {
            (i, col) = (i + len, col + len);
            Tok::Sym(sym)
        } else if RESERVED_CHARS.contains(&c) {
            let message = format!(
                "The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead.",
                u32::from(c)
            );
            return Err(syntax(&message, line, col));
        } else if c == '"' || c == '\'' {
            (i, col) = (i + 1, col + 1);
            let mut text = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        let partial: String = chars[start + 1..].iter().collect();
                        let message =
                            format!("The quoted string '{partial}' has not been completed.");
                        return Err(syntax(&message, at.0, at.1));
                    }
                    Some(&q) if q == c => {
                        (i, col) = (i + 1, col + 1);
                        break;
                    }
                    Some('\\') => {
                        let (ch, len) = escape(&chars, i, line, col)?;
                        text.push(ch);
                        (i, col) = (i + len, col + len);
                    }
                    Some('\n') => {
                        text.push('\n');
                        (i, line, col) = (i + 1, line + 1, 1);
                    }
                    Some(&other) => {
                        text.push(other);
                        (i, col) = (i + 1, col + 1);
                    }
                }
            }
            Tok::Word { text, quoted: true }
        } else {
            let mut text = String::new();
            while let Some(&ch) = chars.get(i).filter(|&&ch| !ends_word(ch)) {
                if ch == '\\' {
                    let (ch, len) = escape(&chars, i, line, col)?;
                    text.push(ch);
                    (i, col) = (i + len, col + len);
                } else {
                    text.push(ch);
                    (i, col) = (i + 1, col + 1);
                }
            }
            Tok::Word {
                text,
                quoted: false,
            }
        };
        tokens.push(Token {
            tok,
            raw: chars[start..i].iter().collect(),
            line: at.0,
            col: at.1,
        });
    }
    Ok(Lexed {
        tokens,
        end: (line, col),
    })
}

/// Resolves the escape starting at `chars[i] == '\\'`; returns the character and the length consumed.
fn escape(chars: &[char], i: usize, line: usize, col: usize) -> Result<(char, usize), JqlError> {
    let simple = match chars.get(i + 1) {
        Some('t') => Some('\t'),
        Some('n') => Some('\n'),
        Some('r') => Some('\r'),
        Some(&c @ ('"' | '\'' | '\\' | ' ')) => Some(c),
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c, 2));
    }
    let hex: String = chars.iter().skip(i + 2).take(4).collect();
    if chars.get(i + 1) == Some(&'u')
        && hex.len() == 4
        && hex.chars().all(|c| c.is_ascii_hexdigit())
        && let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
    {
        return Ok((c, 6));
    }
    let shown: String = match chars.get(i + 1) {
        Some('u') => format!("\\u{hex}"),
        Some(c) => format!("\\{c}"),
        None => "\\".to_owned(),
    };
    Err(syntax(
        &format!("The escape sequence '{shown}' is illegal."),
        line,
        col,
    ))
}
