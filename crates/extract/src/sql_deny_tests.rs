//! Every deny-list entry refused through the guard, in every place a call can hide, under every spelling; ordinary
//! functions and look-alike column names admitted; the statements and INTO forms with effects refused.

use super::*;
use crate::sql_guard::check as guard;

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

fn refused(sql: &str, d: Dialect) -> Rejected {
    guard(sql, d).expect_err(&format!("{d:?} should refuse: {sql}"))
}

/// A call of a name a pattern matches (`pg_ls_*` → `pg_ls_x`), with one argument.
fn example(pattern: &str) -> String {
    let name = pattern.trim_end_matches("(…)");
    match name.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('_') => format!("{prefix}x"),
        Some(prefix) => prefix.to_owned(),
        None => name.to_owned(),
    }
}

#[test]
fn every_entry_is_refused_with_its_name_and_position() {
    for d in ALL {
        for rule in rules(d) {
            for pattern in rule.names {
                let name = example(pattern);
                for sql in [
                    format!("SELECT {name}(1)"),
                    format!("SELECT {}(1)", name.to_uppercase()),
                ] {
                    let r = refused(&sql, d);
                    assert!(
                        r.message.to_lowercase().contains(&name)
                            && r.message.contains(rule.does)
                            && r.message.contains("acts outside the query's result"),
                        "{d:?} {sql}: {r}"
                    );
                    assert_eq!(r.at, Some((1, 8)), "{d:?} {sql}: {r}");
                }
            }
        }
    }
}

#[test]
fn calls_are_found_wherever_they_hide() {
    let pg = Dialect::Postgres;
    for (sql, at) in [
        (
            "SELECT id FROM t WHERE id > 0 AND pg_sleep(1) IS NULL",
            (1, 35),
        ),
        ("SELECT id\nFROM t\n  ORDER BY pg_sleep(1)", (3, 12)),
        ("SELECT x FROM t, LATERAL (SELECT pg_sleep(1)) s", (1, 34)),
        ("WITH a AS (SELECT lo_get(1)) SELECT * FROM a", (1, 19)),
        (
            "SELECT id FROM t WHERE id IN (SELECT set_config('a', 'b', false)::int)",
            (1, 38),
        ),
        (
            "SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM t",
            (1, 31),
        ),
        (
            "SELECT sum(x) OVER (PARTITION BY pg_sleep(1)) FROM t",
            (1, 34),
        ),
        (
            "SELECT x FROM t GROUP BY x HAVING count(pg_sleep(1)) > 0",
            (1, 41),
        ),
        ("SELECT 1 UNION ALL SELECT pg_sleep(1)", (1, 27)),
        ("VALUES (1), (pg_sleep(1))", (1, 14)),
        (
            "SELECT CASE WHEN id > 1 THEN pg_read_file('/etc/passwd') END FROM t",
            (1, 30),
        ),
        ("SELECT * FROM pg_ls_dir('.')", (1, 15)),
        (
            "SELECT * FROM pg_catalog.pg_ls_dir('.') WITH ORDINALITY",
            (1, 15),
        ),
        ("SELECT * FROM t JOIN pg_ls_dir('.') d ON true", (1, 22)),
        ("SELECT * FROM LATERAL pg_ls_dir('.') AS d", (1, 23)),
        ("SELECT * FROM TABLE(pg_ls_dir('.'))", (1, 21)),
        (
            "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)",
            (1, 15),
        ),
        (
            "SELECT * FROM xmltable('/a' PASSING pg_read_file('x') COLUMNS a text)",
            (1, 37),
        ),
        ("SELECT ARRAY(SELECT nextval('s'))", (1, 21)),
    ] {
        let r = refused(sql, pg);
        assert_eq!(r.at, Some(at), "{sql}: {r}");
        assert!(r.message.contains("acts outside"), "{sql}: {r}");
    }
}

#[test]
fn qualified_quoted_and_escaped_spellings_are_refused() {
    for (sql, d, shown) in [
        (
            "SELECT pg_catalog.PG_READ_FILE('/etc/passwd')",
            Dialect::Postgres,
            "pg_catalog.PG_READ_FILE",
        ),
        (
            "SELECT \"pg_read_file\"('/etc/passwd')",
            Dialect::Postgres,
            "\"pg_read_file\"",
        ),
        (
            "SELECT \"pg_catalog\".\"Set_Config\"('a', 'b', false)",
            Dialect::Postgres,
            "Set_Config",
        ),
        (
            "SELECT U&\"pg_read_\\0066ile\"('/etc/passwd')",
            Dialect::Postgres,
            "pg_read_\\0066ile",
        ),
        (
            "SELECT U&\"pg_sl\\+000065ep\"(1)",
            Dialect::Postgres,
            "pg_sl\\+000065ep",
        ),
        ("SELECT `sleep`(1)", Dialect::MySql, "`sleep`"),
        ("SELECT mysql.SLEEP(1)", Dialect::MySql, "mysql.SLEEP"),
        (
            "SELECT Load_File('/etc/passwd')",
            Dialect::MySql,
            "Load_File",
        ),
        ("SELECT SLEEP (1)", Dialect::MySql, "SLEEP"),
        (
            "SELECT \"load_extension\"('x')",
            Dialect::Sqlite,
            "load_extension",
        ),
        ("SELECT main.READFILE('x')", Dialect::Sqlite, "READFILE"),
    ] {
        let r = refused(sql, d);
        assert!(
            r.message.contains(shown) && r.message.contains("acts outside"),
            "{sql}: {r}"
        );
    }
}

#[test]
fn sqlite_table_functions_are_refused_with_or_without_arguments() {
    for sql in [
        "SELECT * FROM fsdir('/etc')",
        "SELECT name FROM fsdir WHERE name = '/etc'",
        "SELECT * FROM zipfile('/tmp/a.zip')",
        "SELECT * FROM t JOIN zipfile z ON z.name = t.name",
    ] {
        let r = refused(sql, Dialect::Sqlite);
        assert!(r.message.contains("acts outside"), "{sql}: {r}");
    }
}

#[test]
fn mysql_assignments_and_last_insert_id_with_an_argument_are_refused() {
    let my = Dialect::MySql;
    for (sql, words, at) in [
        ("SELECT @v := 1", "assigns a variable", (1, 8)),
        (
            "SELECT id FROM t WHERE (@n := id) > 0",
            "assigns a variable",
            (1, 25),
        ),
        (
            "SELECT LAST_INSERT_ID(5)",
            "LAST_INSERT_ID() returns",
            (1, 8),
        ),
        ("SELECT NEXTVAL(s)", "sequence", (1, 8)),
    ] {
        let r = refused(sql, my);
        assert!(r.message.contains(words), "{sql}: {r}");
        assert_eq!(r.at, Some(at), "{sql}: {r}");
    }
    assert_eq!(guard("SELECT LAST_INSERT_ID(), @v FROM t", my), Ok(()));
}

#[test]
fn into_forms_and_statements_with_effects_are_refused() {
    for (sql, d) in [
        ("SELECT id INTO @a FROM t", Dialect::MySql),
        ("SELECT id INTO @a, @b FROM t", Dialect::MySql),
        ("SELECT id FROM t INTO @a", Dialect::MySql),
        ("SELECT id INTO OUTFILE '/tmp/x' FROM t", Dialect::MySql),
        ("SELECT id FROM t INTO OUTFILE '/tmp/x'", Dialect::MySql),
        ("SELECT id FROM t INTO DUMPFILE '/tmp/x'", Dialect::MySql),
        ("SELECT id INTO outfile FROM t", Dialect::MySql),
        ("SET @a = 1", Dialect::MySql),
        ("SET SESSION max_statement_time = 0", Dialect::MySql),
        ("SELECT 1; SET @a = 1", Dialect::MySql),
        ("SET statement_timeout = 0", Dialect::Postgres),
        ("SELECT id INTO copy FROM t", Dialect::Postgres),
        ("ATTACH DATABASE '/tmp/x.db' AS x", Dialect::Sqlite),
        ("DETACH x", Dialect::Sqlite),
        ("PRAGMA writable_schema = 1", Dialect::Sqlite),
        ("PRAGMA query_only = 0", Dialect::Sqlite),
        ("VACUUM INTO '/tmp/x.db'", Dialect::Sqlite),
        (
            "SELECT 1; ATTACH DATABASE '/tmp/x.db' AS x",
            Dialect::Sqlite,
        ),
    ] {
        refused(sql, d);
    }
}

#[test]
fn ordinary_functions_and_look_alike_names_are_admitted() {
    for (sql, d) in [
        (
            "SELECT count(*), lower(email), coalesce(a, b), now() FROM t",
            Dialect::Postgres,
        ),
        (
            "SELECT current_setting('TimeZone'), currval('s'), lastval()",
            Dialect::Postgres,
        ),
        (
            "SELECT * FROM generate_series(1, 3) AS g(n)",
            Dialect::Postgres,
        ),
        (
            "SELECT sleep, nextval, t.pg_sleep FROM t",
            Dialect::Postgres,
        ),
        ("SELECT * FROM pg_stat_activity", Dialect::Postgres),
        ("SELECT loglevel, lower(lo) FROM t", Dialect::Postgres),
        (
            "SELECT sleep, benchmark FROM t ORDER BY sleep",
            Dialect::MySql,
        ),
        ("SELECT pg_sleep(1)", Dialect::MySql),
        (
            "SELECT CONCAT(a, b), IFNULL(c, 0), NOW() FROM t",
            Dialect::MySql,
        ),
        ("SELECT * FROM pragma_table_info('t')", Dialect::Sqlite),
        ("SELECT value FROM json_each('[1,2]')", Dialect::Sqlite),
        ("SELECT readfile_name FROM files", Dialect::Sqlite),
    ] {
        assert_eq!(guard(sql, d), Ok(()), "{d:?}: {sql}");
    }
}

#[test]
fn postgres_unicode_escapes_are_decoded() {
    assert_eq!(unicode_unescaped("plain"), None);
    assert_eq!(
        unicode_unescaped("pg_read_\\0066ile").as_deref(),
        Some("pg_read_file")
    );
    assert_eq!(unicode_unescaped("a\\+000062c").as_deref(), Some("abc"));
    assert_eq!(unicode_unescaped("a\\\\b").as_deref(), Some("a\\b"));
    assert_eq!(unicode_unescaped("bad\\00"), None);
    assert_eq!(unicode_unescaped("bad\\zzzz"), None);
    assert_eq!(unicode_unescaped("bad\\d800"), None);
}

#[test]
fn the_documentation_lists_every_entry() {
    let doc = include_str!("../../../docs/SQL_SIDE_EFFECTS.md");
    for d in ALL {
        for rule in rules(d) {
            for pattern in rule.names {
                let shown = format!("`{}`", pattern.trim_end_matches("(…)"));
                assert!(
                    doc.contains(&shown),
                    "docs/SQL_SIDE_EFFECTS.md does not list {shown} ({d:?})"
                );
            }
        }
    }
}
