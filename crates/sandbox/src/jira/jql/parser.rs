//! Recursive-descent parser. Syntax comes first: the first syntax error aborts, with its position, as on Jira.
//! Each clause is then checked against its field (`semantics.rs`); those messages are collected and returned
//! together once the whole query has parsed.

use super::lexer::{self, Sym, Tok, Token};
use super::semantics::{Operand, RawValue, build_clause, sort_field};
use super::{Expr, JqlError, Op, PropertyAlias, Query, SortField, SortKey};

const MAX_DEPTH: usize = 50;
const MAX_SORT_FIELDS: usize = 7;

/// Words the grammar itself uses; unquoted, they cannot be a field name or a value.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "order", "by", "asc", "desc", "was", "changed", "cf",
];

/// Jira's reserved words (`JqlStringSupportImpl.RESERVED_WORDS`): refused unquoted anywhere.
#[rustfmt::skip]
const RESERVED_WORDS: &[&str] = &[
    "abort", "access", "add", "after", "alias", "all", "alter", "and", "any", "as", "asc", "audit", "avg", "before",
    "begin", "between", "boolean", "break", "by", "byte", "catch", "cf", "changed", "char", "character", "check",
    "checkpoint", "collate", "collation", "column", "commit", "connect", "continue", "count", "create", "current",
    "date", "decimal", "declare", "decrement", "default", "defaults", "define", "delete", "delimiter", "desc",
    "difference", "distinct", "divide", "do", "double", "drop", "else", "empty", "encoding", "end", "equals",
    "escape", "exclusive", "exec", "execute", "exists", "explain", "false", "fetch", "file", "field", "first",
    "float", "for", "from", "function", "go", "goto", "grant", "greater", "group", "having", "identified", "if",
    "immediate", "in", "increment", "index", "initial", "inner", "inout", "input", "insert", "int", "integer",
    "intersect", "intersection", "into", "is", "isempty", "isnull", "join", "last", "left", "less", "like", "limit",
    "lock", "long", "max", "min", "minus", "mode", "modify", "modulo", "more", "multiply", "next", "noaudit", "not",
    "notin", "nowait", "null", "number", "object", "of", "on", "option", "or", "order", "outer", "output", "power",
    "previous", "prior", "privileges", "public", "raise", "raw", "remainder", "rename", "resource", "return",
    "returns", "revoke", "right", "row", "rowid", "rownum", "rows", "select", "session", "set", "share", "size",
    "sqrt", "start", "strict", "string", "subtract", "sum", "synonym", "table", "then", "to", "trans",
    "transaction", "trigger", "true", "uid", "union", "unique", "update", "user", "validate", "values", "view",
    "was", "when", "whenever", "where", "while", "with",
];

const VALID_OPERATORS: &str = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', \
                               'IS' and 'IS NOT'.";

struct Parser<'a> {
    aliases: &'a [PropertyAlias],
    tokens: Vec<Token>,
    pos: usize,
    end: (usize, usize),
    depth: usize,
    errors: Vec<String>,
}

pub(super) fn parse(src: &str, aliases: &[PropertyAlias]) -> Result<Query, JqlError> {
    let lexed = lexer::tokenize(src)?;
    let mut p = Parser {
        aliases,
        tokens: lexed.tokens,
        pos: 0,
        end: lexed.end,
        depth: 0,
        errors: Vec::new(),
    };
    let filter = if p.peek().is_none() || p.is_kw("order") {
        None
    } else {
        Some(p.or()?)
    };
    let mut order = Vec::new();
    if p.is_kw("order") {
        p.pos += 1;
        if !p.is_kw("by") {
            return Err(p.expecting("'BY'"));
        }
        p.pos += 1;
        order = p.order_by()?;
    } else if p.peek().is_some() {
        return Err(p.expecting("either 'OR' or 'AND'"));
    }
    if p.errors.is_empty() {
        Ok(Query { filter, order })
    } else {
        Err(JqlError { messages: p.errors })
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_sym(&self) -> Option<Sym> {
        match self.peek()?.tok {
            Tok::Sym(sym) => Some(sym),
            Tok::Word { .. } => None,
        }
    }

    /// The next token's text if it is an unquoted word.
    fn peek_bare(&self) -> Option<&str> {
        match &self.peek()?.tok {
            Tok::Word {
                text,
                quoted: false,
            } => Some(text),
            _ => None,
        }
    }

    fn is_kw(&self, keyword: &str) -> bool {
        self.peek_bare()
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    }

    fn error_here(&self, message: &str) -> JqlError {
        let (line, col) = self.peek().map_or(self.end, |t| (t.line, t.col));
        lexer::syntax(message, line, col)
    }

    fn expecting(&self, what: &str) -> JqlError {
        let got = self.peek().map_or("the end of the query".to_owned(), |t| {
            format!("'{}'", t.raw)
        });
        self.error_here(&format!("Expecting {what} but got {got}."))
    }

    fn reserved_word(&self) -> JqlError {
        let raw = self.peek().map_or("", |t| t.raw.as_str());
        self.error_here(&format!(
            "'{raw}' is a reserved JQL word. You must surround it in quotation marks to use it in a query."
        ))
    }

    fn enter(&mut self) -> Result<(), JqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let message = format!(
                "The query is nested too deeply: at most {MAX_DEPTH} levels of parentheses and NOT."
            );
            return Err(self.error_here(&message));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, JqlError> {
        let mut items = vec![self.and()?];
        while self.is_kw("or") || self.peek_sym() == Some(Sym::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, JqlError> {
        let mut items = vec![self.not()?];
        while self.is_kw("and") || self.peek_sym() == Some(Sym::And) {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, JqlError> {
        if self.is_kw("not") || self.peek_sym() == Some(Sym::Not) {
            self.enter()?;
            self.pos += 1;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek_sym() == Some(Sym::LParen) {
            self.enter()?;
            self.pos += 1;
            let inner = self.or()?;
            if self.peek_sym() != Some(Sym::RParen) {
                return Err(self.expecting("')'"));
            }
            self.pos += 1;
            self.depth -= 1;
            return Ok(inner);
        }
        self.clause()
    }

    fn clause(&mut self) -> Result<Expr, JqlError> {
        let name = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word { text, quoted: true }) => text.clone(),
            Some(Tok::Word {
                text,
                quoted: false,
            }) if !KEYWORDS.contains(&text.to_lowercase().as_str()) => {
                if RESERVED_WORDS.contains(&text.to_lowercase().as_str()) {
                    return Err(self.reserved_word());
                }
                text.clone()
            }
            _ => return Err(self.expecting("a field name")),
        };
        self.pos += 1;
        let op = self.operator()?;
        let operand = self.operand()?;
        Ok(match build_clause(name, op, operand, self.aliases) {
            Ok(clause) => Expr::Clause(clause),
            Err(message) => {
                self.errors.push(message);
                Expr::Invalid
            }
        })
    }

    fn operator(&mut self) -> Result<Op, JqlError> {
        let op = match self.peek_sym() {
            Some(Sym::Eq) => Some(Op::Eq),
            Some(Sym::Ne) => Some(Op::Ne),
            Some(Sym::Lt) => Some(Op::Lt),
            Some(Sym::Le) => Some(Op::Le),
            Some(Sym::Gt) => Some(Op::Gt),
            Some(Sym::Ge) => Some(Op::Ge),
            Some(Sym::Like) => Some(Op::Like),
            Some(Sym::NotLike) => Some(Op::NotLike),
            _ if self.is_kw("in") => Some(Op::In),
            _ if self.is_kw("not") => {
                self.pos += 1;
                if !self.is_kw("in") {
                    return Err(self.expecting("'IN'"));
                }
                Some(Op::NotIn)
            }
            _ if self.is_kw("is") => {
                let not = self.tokens.get(self.pos + 1).is_some_and(
                    |t| matches!(&t.tok, Tok::Word { text, quoted: false } if text.eq_ignore_ascii_case("not")),
                );
                self.pos += usize::from(not);
                Some(if not { Op::IsNot } else { Op::Is })
            }
            _ => None,
        };
        let Some(op) = op else {
            let got = self.peek().map_or("the end of the query".to_owned(), |t| {
                format!("'{}'", t.raw)
            });
            return Err(self.error_here(&format!(
                "Expecting operator but got {got}. {VALID_OPERATORS}"
            )));
        };
        self.pos += 1;
        Ok(op)
    }

    fn operand(&mut self) -> Result<Operand, JqlError> {
        if self.peek_sym() != Some(Sym::LParen) {
            return Ok(Operand::One(self.value()?));
        }
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            items.push(self.value()?);
            match self.peek_sym() {
                Some(Sym::Comma) => self.pos += 1,
                Some(Sym::RParen) => {
                    self.pos += 1;
                    break;
                }
                _ if self.peek().is_none() => return Err(self.expecting("')'")),
                _ => return Err(self.expecting("either ',' or ')'")),
            }
        }
        let raw = self.tokens[start..self.pos]
            .iter()
            .map(|t| if t.raw == "," { ", " } else { t.raw.as_str() });
        Ok(Operand::List(items, raw.collect()))
    }

    fn value(&mut self) -> Result<RawValue, JqlError> {
        let (text, quoted) = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word { text, quoted }) => (text.clone(), *quoted),
            _ => return Err(self.expecting("either a value, list or function")),
        };
        if !quoted {
            let lower = text.to_lowercase();
            if lower == "empty" || lower == "null" {
                self.pos += 1;
                return Ok(RawValue::Empty);
            }
            if KEYWORDS.contains(&lower.as_str()) {
                // Jira Cloud words this one "Error in JQL Query:", without "the".
                let (raw, line, col) = self
                    .peek()
                    .map_or(("", 0, 0), |t| (t.raw.as_str(), t.line, t.col));
                return Err(JqlError::new(format!(
                    "Error in JQL Query: Expecting either a value, list or function but got '{raw}'. You must \
                     surround '{raw}' in quotation marks to use it as a value. (line {line}, character {col})"
                )));
            }
            if self
                .tokens
                .get(self.pos + 1)
                .is_some_and(|t| t.tok == Tok::Sym(Sym::LParen))
            {
                self.pos += 2;
                return Ok(RawValue::Func {
                    name: text,
                    args: self.arguments()?,
                });
            }
            if RESERVED_WORDS.contains(&lower.as_str()) {
                return Err(self.reserved_word());
            }
        }
        self.pos += 1;
        Ok(RawValue::Str(text))
    }

    /// A function's arguments, after its `(`.
    fn arguments(&mut self) -> Result<Vec<String>, JqlError> {
        let mut args = Vec::new();
        if self.peek_sym() == Some(Sym::RParen) {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Word { text, .. }) => args.push(text.clone()),
                _ => return Err(self.expecting("a function argument")),
            }
            self.pos += 1;
            match self.peek_sym() {
                Some(Sym::Comma) => self.pos += 1,
                Some(Sym::RParen) => {
                    self.pos += 1;
                    break;
                }
                _ if self.peek().is_none() => return Err(self.expecting("')'")),
                _ => return Err(self.expecting("either ',' or ')'")),
            }
        }
        Ok(args)
    }

    fn order_by(&mut self) -> Result<Vec<SortKey>, JqlError> {
        let (mut keys, mut count) = (Vec::<SortKey>::new(), 0);
        loop {
            let name = match self.peek().map(|t| &t.tok) {
                Some(Tok::Word { text, quoted })
                    if *quoted || !KEYWORDS.contains(&text.to_lowercase().as_str()) =>
                {
                    text.clone()
                }
                _ => return Err(self.expecting("a field name")),
            };
            self.pos += 1;
            let direction = ["asc", "desc"].into_iter().position(|d| self.is_kw(d));
            self.pos += usize::from(direction.is_some());
            count += 1;
            match sort_field(&name, self.aliases) {
                Ok(field) if keys.iter().any(|k| k.field == field) => {
                    self.errors.push(format!(
                        "The sort field '{name}' is referenced multiple times in the JQL sort."
                    ));
                }
                Ok(field) => {
                    let descending = direction.map_or(
                        matches!(field, SortField::Created | SortField::Updated),
                        |d| d == 1,
                    );
                    keys.push(SortKey { field, descending });
                }
                Err(message) => self.errors.push(message),
            }
            match self.peek_sym() {
                Some(Sym::Comma) => self.pos += 1,
                _ if self.peek().is_none() => break,
                _ => return Err(self.expecting("either ',' or the end of the query")),
            }
        }
        if count > MAX_SORT_FIELDS {
            self.errors.push(format!(
                "The ORDER BY clause may contain at most {MAX_SORT_FIELDS} fields."
            ));
        }
        Ok(keys)
    }
}
