//! The guard's tokenizer view is the stock tokenizer, executable comments aside; token text maps back exactly.

use proptest::prelude::*;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::*;
use crate::sql_guard::{Dialect, parser_dialect};

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

fn stock(d: Dialect, sql: &str) -> Option<Vec<TokenWithSpan>> {
    Tokenizer::new(parser_dialect(d), sql)
        .tokenize_with_location()
        .ok()
}

proptest! {
    /// Without `/*!` the view and the stock dialect tokenize alike (same tokens, same spans, same errors).
    #[test]
    fn the_view_tokenizes_as_the_stock_dialect(
        sql in r#"([a-zA-Z0-9_ $@#:?'"`\[\]\\()*/+\-|&<>=!~^%.,;\n\t]|é|\u{2028}|\u{3000}){0,40}"#
    ) {
        prop_assume!(!sql.contains("/*!"));
        for d in ALL {
            let view = tokenize(parser_dialect(d), &sql).ok();
            prop_assert_eq!(&view, &stock(d, &sql), "{:?}: {}", d, sql);
        }
    }
}

#[test]
fn executable_comments_stay_comments() {
    let sql = "SELECT 1 /*!50000 , email */ FROM t";
    let tokens = tokenize(parser_dialect(Dialect::MySql), sql).unwrap();
    assert!(tokens.iter().any(|t| matches!(
        &t.token,
        Token::Whitespace(Whitespace::MultiLineComment(c)) if c == "!50000 , email "
    )));
    // The stock MySQL dialect reads the comment's text as code.
    let stock = stock(Dialect::MySql, sql).unwrap();
    assert!(
        stock
            .iter()
            .any(|t| matches!(&t.token, Token::Word(w) if w.value == "email"))
    );
}

#[test]
fn token_text_maps_back_to_the_source() {
    let sql = "SELECT 'é\u{2028}x' AS a,\n  \"b\" -- c\nFROM t";
    let source = Source::new(sql);
    let tokens = tokenize(parser_dialect(Dialect::Postgres), sql).unwrap();
    let texts: Vec<&str> = tokens.iter().map(|t| source.slice(t.span)).collect();
    assert_eq!(texts.concat(), sql);
    assert!(texts.contains(&"'é\u{2028}x'"));
    assert!(texts.contains(&"\"b\""));
    let last = tokens.iter().rev().find(|t| t.token != Token::EOF).unwrap();
    assert_eq!(source.slice(last.span), "t");
    assert_eq!(source.after(last.span), None);
    let comma = tokens.iter().find(|t| t.token == Token::Comma).unwrap();
    assert_eq!(source.after(comma.span), Some('\n'));
}
