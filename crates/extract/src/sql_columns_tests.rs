//! Column names read off the syntax tree, per engine.

use super::*;
use crate::sql_guard::parse;

fn cols(sql: &str, d: Dialect) -> Option<Vec<Option<String>>> {
    result_columns(&parse(sql, d).expect("admitted"), d)
}

fn some(names: &[&str]) -> Option<Vec<Option<String>>> {
    Some(names.iter().map(|n| Some((*n).to_owned())).collect())
}

#[test]
fn aliases_are_named_as_each_engine_names_them() {
    let sql = "SELECT 1 AS Ab, 'x' AS \"Cd\", email AS e FROM t";
    assert_eq!(cols(sql, Dialect::Postgres), some(&["ab", "Cd", "e"]));
    assert_eq!(cols(sql, Dialect::Sqlite), some(&["Ab", "Cd", "e"]));
    assert_eq!(
        cols(
            "SELECT 1 AS Ab, 2 AS `Cd`, 3 AS ' x' FROM t",
            Dialect::MySql
        ),
        some(&["Ab", "Cd", "x"])
    );
    let long = "a".repeat(70);
    assert_eq!(
        cols(&format!("SELECT 1 AS {long}"), Dialect::Postgres),
        some(&[&long[..63]])
    );
}

#[test]
fn plain_column_references_are_named_where_the_text_decides() {
    let sql = "SELECT Email, t.ID, 1 + 1 FROM t";
    assert_eq!(
        cols(sql, Dialect::Postgres),
        Some(vec![Some("email".into()), Some("id".into()), None])
    );
    assert_eq!(
        cols(sql, Dialect::MySql),
        Some(vec![Some("Email".into()), Some("ID".into()), None])
    );
    // SQLite names a column reference after the table's column, which the text does not show.
    assert_eq!(cols(sql, Dialect::Sqlite), Some(vec![None, None, None]));
    // A MySQL user variable is an expression: MariaDB names `-- \n@x` by its text, comment included (found by
    // guard_agreement, seed 4429916067127043691).
    assert_eq!(
        cols("SELECT id AS `c1`, -- \n@x FROM t", Dialect::MySql),
        Some(vec![Some("c1".into()), None])
    );
}

#[test]
fn wildcards_set_operations_and_ctes() {
    assert_eq!(cols("SELECT * FROM t", Dialect::Postgres), None);
    assert_eq!(cols("SELECT t.*, 1 AS a FROM t", Dialect::Postgres), None);
    assert_eq!(
        cols("SELECT 1 AS a UNION SELECT 2 AS b", Dialect::Sqlite),
        some(&["a"])
    );
    assert_eq!(
        cols(
            "WITH w AS (SELECT 1 AS k) SELECT k AS a FROM w",
            Dialect::MySql
        ),
        some(&["a"])
    );
    assert_eq!(
        cols("VALUES (1, 2)", Dialect::Postgres),
        Some(vec![None, None])
    );
}
