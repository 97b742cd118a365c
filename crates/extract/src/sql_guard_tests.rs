//! Every admission and refusal case, on each dialect where it applies.

use super::*;

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

fn refused(sql: &str, d: Dialect) -> Rejected {
    check(sql, d).expect_err(&format!("{d:?} should refuse: {sql}"))
}

#[test]
fn queries_are_admitted() {
    for d in ALL {
        for sql in [
            "SELECT 1",
            "select id, email from customers where country = 'DE' order by id limit 10",
            "WITH recent AS (SELECT * FROM orders WHERE amount > 10) SELECT customer_id, count(*) FROM recent GROUP BY 1",
            "SELECT a.id FROM customers a JOIN orders o ON o.customer_id = a.id WHERE o.id IN (SELECT id FROM payments)",
            "SELECT id FROM customers UNION ALL SELECT id FROM orders",
            "SELECT 1; ",
            "SELECT 'a;b' AS text, 1 /* ; DROP TABLE x */",
            "-- leading comment\nSELECT statement, state FROM tickets",
        ] {
            assert_eq!(check(sql, d), Ok(()), "{d:?}: {sql}");
        }
    }
    assert_eq!(
        check("VALUES (1, 'a'), (2, 'b')", Dialect::Postgres),
        Ok(())
    );
    assert_eq!(
        check(
            "SELECT * FROM orders WHERE customer_id = ANY($1)",
            Dialect::Postgres
        ),
        Ok(())
    );
}

#[test]
fn anything_but_a_query_is_refused() {
    for d in ALL {
        for (sql, word) in [
            ("INSERT INTO t VALUES (1)", "INSERT"),
            ("UPDATE customers SET email = NULL", "UPDATE"),
            ("DELETE FROM customers", "DELETE"),
            ("DROP TABLE customers", "DROP"),
            ("CREATE TABLE x (id INT)", "CREATE"),
            ("ALTER TABLE customers ADD COLUMN x INT", "ALTER"),
        ] {
            let r = refused(sql, d);
            assert!(
                r.message.contains(word) && r.message.contains("only a query"),
                "{d:?} {sql}: {r}"
            );
            assert_eq!(r.at, Some((1, 1)), "{d:?} {sql}: {r}");
        }
    }
    assert!(
        refused("TRUNCATE customers", Dialect::Postgres)
            .message
            .contains("TRUNCATE")
    );
    assert!(
        refused("GRANT SELECT ON customers TO bob", Dialect::Postgres)
            .message
            .contains("GRANT")
    );
}

#[test]
fn a_second_statement_is_refused_with_its_position() {
    for d in ALL {
        let r = refused("SELECT 1;\nDROP TABLE customers", d);
        assert!(
            r.message.contains("found 2 statements") && r.message.contains("DROP"),
            "{d:?}: {r}"
        );
        assert_eq!(r.at, Some((2, 1)), "{d:?}: {r}");
        // A comment cannot hide the second statement: the parser sees through it.
        let r = refused("SELECT 1; -- harmless?\nDELETE FROM customers", d);
        assert!(r.message.contains("DELETE"), "{d:?}: {r}");
        let r = refused(
            "SELECT 1 /* ok */; /* and */ UPDATE customers SET email = ''",
            d,
        );
        assert!(r.message.contains("UPDATE"), "{d:?}: {r}");
    }
}

#[test]
fn into_and_locking_are_refused() {
    let r = refused("SELECT * INTO backup FROM customers", Dialect::Postgres);
    assert!(
        r.message.contains("INTO") && r.message.contains("backup"),
        "{r}"
    );
    assert_eq!(r.at.map(|(l, _)| l), Some(1));
    for sql in [
        "SELECT * FROM customers FOR UPDATE",
        "SELECT * FROM customers FOR SHARE",
        "SELECT * FROM customers FOR UPDATE SKIP LOCKED",
        "SELECT * FROM (SELECT * FROM customers FOR UPDATE) c",
    ] {
        let r = refused(sql, Dialect::Postgres);
        assert!(r.message.contains("locking clause"), "{sql}: {r}");
    }
    let r = refused("SELECT * FROM customers FOR UPDATE", Dialect::MySql);
    assert!(r.message.contains("locking clause"), "{r}");
}

#[test]
fn data_modifying_ctes_are_refused() {
    for sql in [
        "WITH gone AS (DELETE FROM customers RETURNING id) SELECT * FROM gone",
        "WITH changed AS (UPDATE customers SET email = NULL RETURNING id) SELECT count(*) FROM changed",
        "WITH added AS (INSERT INTO audit_copy SELECT * FROM customers RETURNING 1) SELECT 1",
    ] {
        let r = refused(sql, Dialect::Postgres);
        assert!(r.message.contains("inside the query"), "{sql}: {r}");
    }
}

#[test]
fn empty_and_malformed_sql_is_refused_clearly() {
    for d in ALL {
        assert!(refused("", d).message.contains("no query"), "{d:?}");
        assert!(
            refused("  -- only a comment", d)
                .message
                .contains("no query"),
            "{d:?}"
        );
        let r = refused("SELEC id FROM customers", d);
        assert!(r.message.starts_with("not valid"), "{d:?}: {r}");
        assert!(r.to_string().contains("Line: 1"), "{d:?}: {r}");
    }
}
