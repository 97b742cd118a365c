//! Queries whose syntax tree survives rendering pass; those whose tree changes are refused, pointing at the literal.

use crate::sql_guard::{Dialect, check};

#[test]
fn ordinary_queries_survive_the_round_trip() {
    for (d, sql) in [
        (
            Dialect::Postgres,
            "SELECT E'a\\nb' AS e, $$x'y$$ AS d, $t$z$t$ AS t, U&'d\\0061t' AS u",
        ),
        (
            Dialect::Postgres,
            "SELECT 'a\\b' AS backslash, x::int, \"Mixed\" FROM t WHERE y LIKE '%\\_%'",
        ),
        (
            Dialect::MySql,
            "SELECT 'it''s' AS a, 'it\\'s' AS b, `c d` FROM t WHERE x LIKE '%\\_%'",
        ),
        (Dialect::MySql, "SELECT 'a' 'b' AS joined, \"q\" AS dq"),
        (
            Dialect::Sqlite,
            "SELECT 'a\\' AS a, [b c], `d`, \"e\" FROM t",
        ),
    ] {
        assert_eq!(check(sql, d), Ok(()), "{d:?}: {sql}");
    }
}

#[test]
fn the_issue_attack_on_sqlite_is_refused() {
    let sql = r"SELECT '\''' AS a, ' , email AS leaked FROM customers --' AS b";
    let r = check(sql, Dialect::Sqlite).unwrap_err();
    assert!(
        r.message.contains("reads differently after normalising"),
        "{r}"
    );
    assert!(r.message.contains(r"'\''"), "names the literal: {r}");
    assert_eq!(r.at, Some((1, 8)), "{r}");
}

#[test]
fn the_issue_attack_on_mariadb_is_refused() {
    // sqlparser reads '\\' as one backslash and renders it '\', which MySQL reads as an escaped quote.
    let sql = r"SELECT '\\' AS a, ' FROM customers FOR UPDATE -- ' AS b";
    let r = check(sql, Dialect::MySql).unwrap_err();
    assert!(r.message.contains("reads differently"), "{r}");
    assert!(r.message.contains("simplify the quoting"), "{r}");
    assert_eq!(r.at, Some((1, 8)), "{r}");
    // Elsewhere in a query just the same.
    let sql = "SELECT id,\n  REPLACE(email, '\\\\', '/') AS e FROM customers";
    let r = check(sql, Dialect::MySql).unwrap_err();
    assert_eq!(r.at, Some((2, 18)), "{r}");
}

#[test]
fn syntax_trees_compare_without_source_positions() {
    // The same query laid out differently: every span differs, the trees are equal.
    use sqlparser::parser::Parser;
    let d = crate::sql_guard::parser_dialect(Dialect::Postgres);
    let a = Parser::parse_sql(d, "SELECT a, 'x' AS b FROM t WHERE c = 1").unwrap();
    let b = Parser::parse_sql(d, "SELECT\n   a ,\n  'x'   AS b\nFROM t\n WHERE c=1").unwrap();
    assert_eq!(a, b);
    let c = Parser::parse_sql(d, "SELECT a, 'y' AS b FROM t WHERE c = 1").unwrap();
    assert_ne!(a, c);
}
