//! Every token-level refusal, with its position, and the forms next to it that stay admitted.

use crate::sql_guard::{Dialect, Rejected, check};

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

fn refused(sql: &str, d: Dialect) -> Rejected {
    check(sql, d).expect_err(&format!("{d:?} should refuse: {sql:?}"))
}

fn admitted(sql: &str, d: Dialect) {
    assert_eq!(check(sql, d), Ok(()), "{d:?}: {sql:?}");
}

#[test]
fn control_characters_are_refused_where_they_are() {
    for d in ALL {
        let r = refused("SELECT 1 AS a --\0\n, email AS b FROM t", d);
        assert!(r.message.contains("control character U+0000"), "{d:?}: {r}");
        assert_eq!(r.at, Some((1, 17)), "{d:?}: {r}");
        let r = refused("SELECT\n 'a\u{b}' AS x", d);
        assert!(r.message.contains("U+000B"), "{d:?}: {r}");
        assert_eq!(r.at, Some((2, 4)), "{d:?}: {r}");
        assert!(refused("SELECT '\u{85}'", d).message.contains("U+0085"));
        let r = refused("SELECT 'abc\u{202E}fed' AS x", d);
        assert!(r.message.contains("text-direction"), "{d:?}: {r}");
        admitted("SELECT\t'tab\tand\r\nbreaks' AS x\r\n", d);
        admitted("SELECT 'é\u{2028}\u{3000}😀e\u{301}' AS x", d);
    }
}

#[test]
fn mysql_executable_comments_and_hints_are_refused() {
    for (sql, what, col) in [
        (
            "SELECT 1 AS a /*!, email AS b */ FROM t",
            "executable comment /*!",
            15,
        ),
        (
            "SELECT 1 AS a /*!99999 , email AS b */ FROM t",
            "executable comment /*!",
            15,
        ),
        (
            "SELECT 1 AS a /*!50000, email AS b */ FROM t",
            "executable comment /*!",
            15,
        ),
        (
            "SELECT 1 AS a /*M!, email AS b */ FROM t",
            "MariaDB executable comment",
            15,
        ),
        (
            "SELECT 1 AS a /*M!100000 , email */ FROM t",
            "MariaDB executable comment",
            15,
        ),
        (
            "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1 AS a",
            "optimizer hint",
            8,
        ),
    ] {
        let r = refused(sql, Dialect::MySql);
        assert!(r.message.contains(what), "{sql}: {r}");
        assert_eq!(r.at, Some((1, col)), "{sql}: {r}");
    }
    let r = refused("SELECT 1\n  /*!*/", Dialect::MySql);
    assert_eq!(r.at, Some((2, 3)), "{r}");
    // Ordinary comments, and the same text inside strings or other comments, are fine.
    admitted(
        "SELECT 1 /* ! + M! */ AS a, '/*!x*/' AS b -- /*!\nFROM t",
        Dialect::MySql,
    );
    admitted("SELECT 1 /* /*! */ AS a", Dialect::MySql);
    // To PostgreSQL and SQLite these are comments, as to sqlparser.
    admitted("SELECT 1 /*!, email */ AS a", Dialect::Postgres);
    admitted("SELECT 1 /*+ hint */ AS a", Dialect::Sqlite);
}

#[test]
fn mysql_double_dash_needs_an_ascii_space() {
    let r = refused(
        "SELECT 1 AS a --\u{3000}, email AS b\nFROM t",
        Dialect::MySql,
    );
    assert!(
        r.message.contains("U+3000") && r.message.contains("space after `--`"),
        "{r}"
    );
    assert_eq!(r.at, Some((1, 15)), "{r}");
    admitted(
        "SELECT 1 AS a -- note\n, 2 AS b --\tx\n-- \nFROM t",
        Dialect::MySql,
    );
    admitted("SELECT 1 AS a --\u{3000}x\n", Dialect::Postgres);
}

#[test]
fn parameters_must_end_where_the_engine_ends_them() {
    // PostgreSQL: `$` + digits only; `$—$` opens a dollar quote to PostgreSQL, `$a` is nothing.
    let r = refused(
        "SELECT $\u{2014}$, email, $\u{2014}$ FROM t",
        Dialect::Postgres,
    );
    assert!(r.message.contains("found `$`"), "{r}");
    assert_eq!(r.at, Some((1, 8)), "{r}");
    refused("SELECT $a\u{2014}$ AS c1", Dialect::Postgres);
    admitted(
        "SELECT * FROM orders WHERE customer_id = ANY($1)",
        Dialect::Postgres,
    );
    // MySQL: `?` only.
    refused("SELECT ?1 AS a", Dialect::MySql);
    admitted("SELECT ? AS a", Dialect::MySql);
    // SQLite reads on through `$`, non-ASCII name characters, `(…)` and `::`.
    for sql in [
        "SELECT $$\u{2028} FROM t",
        "SELECT $tag$\u{3000}x FROM t",
        "SELECT $a(x) AS c1",
        "SELECT :ids(',email,') AS c1",
        "SELECT @v::w AS c1",
    ] {
        let r = refused(sql, Dialect::Sqlite);
        assert!(
            r.message.contains("put a space after the parameter"),
            "{sql}: {r}"
        );
        assert_eq!(r.at, Some((1, 8)), "{sql}: {r}");
    }
    admitted(
        "SELECT id FROM t WHERE id IN (:ids) AND x = ?1",
        Dialect::Sqlite,
    );
}

#[test]
fn postgres_dollar_tags_start_with_a_letter() {
    let r = refused("SELECT $1$a$ AS c1 $1$", Dialect::Postgres);
    assert!(
        r.message.contains("tag $1$") && r.message.contains("$1 as a parameter"),
        "{r}"
    );
    admitted(
        "SELECT $q1$x$q1$ AS a, $é$y$é$ AS b, $$z$$ AS c",
        Dialect::Postgres,
    );
}

#[test]
fn two_string_literals_in_a_row_are_refused() {
    // PostgreSQL joins these into one string; sqlparser reads the second as an alias.
    let r = refused("SELECT ', email AS leak, '\n'x' FROM t", Dialect::Postgres);
    assert!(r.message.contains("two string literals in a row"), "{r}");
    assert_eq!(r.at, Some((2, 1)), "{r}");
    refused("SELECT E'a' /* c */ $$b$$ AS c", Dialect::Postgres);
    refused("SELECT 'a' 'b'", Dialect::Sqlite);
    refused("SELECT N'a' 'b'", Dialect::MySql);
    // MySQL joins plain adjacent strings, and so does sqlparser's MySQL dialect.
    admitted("SELECT 'a' \"b\"\n'c' AS abc", Dialect::MySql);
    // A string and a quoted alias is not two strings on PostgreSQL and SQLite.
    admitted("SELECT 'a' \"b\"", Dialect::Postgres);
    admitted("SELECT 'a' \"b\"", Dialect::Sqlite);
}
