//! The dry run against real SQLite, PostgreSQL and MariaDB: rows masked as the bundle delivers them and the PII scan
//! of the unmasked sample; a result of a hundred million rows or more sampled without being produced; the ID list
//! bound as in the extraction; and the extraction's refusals (guard, masking plan, types, read-only, deadline).

use std::{collections::BTreeMap, path::Path, time::Duration};

use clearance::{
    extract::{
        cell::ColumnType,
        ids::Ids,
        pii_names::Category,
        pipeline::ExtractError,
        preview::{Preview, PreviewRequest, SCAN_ROWS, SHOW_ROWS, preview},
        source::SourceError,
        sql_guard::{self, Dialect},
    },
    requests::plan::Masking,
};
use clearance_sandbox::warehouse::{self, DEFAULT_SEED};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection};

use crate::sandbox_warehouse::Db;

/// Run each named `async fn(Db, Dialect)` on SQLite, and on PostgreSQL and MariaDB when their URLs are set.
macro_rules! on_each_engine {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use clearance::extract::sql_guard::Dialect;
            use crate::sandbox_warehouse::Db;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Db::sqlite(), Dialect::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await {
                    super::$name(db, Dialect::Postgres).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() {
                if let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await {
                    super::$name(db, Dialect::MySql).await
                }
            }
        }
    )*};
}

on_each_engine!(
    masked_rows_and_findings,
    bounded_on_a_huge_result,
    id_list_limits_the_sample,
    refusals_as_the_extraction_reports_them,
    warehouse_personal_columns_are_found,
);

fn request(db: &Db, sql: &str) -> PreviewRequest {
    PreviewRequest {
        source_url: SecretString::from(db.url()),
        policy: crate::helpers::operator_policy(),
        timeout: Duration::from_secs(60),
        sql: sql.into(),
        ids: None,
        masking: BTreeMap::new(),
        scan_rows: SCAN_ROWS,
        show_rows: SHOW_ROWS,
        mask_flagged: false,
    }
}

/// The preview, failing the test if it takes more than a minute (a sample that reads the whole result would).
async fn run(req: &PreviewRequest) -> Result<Preview, ExtractError> {
    tokio::time::timeout(Duration::from_secs(60), preview(req))
        .await
        .expect("the preview finishes within a minute")
}

/// Run `sql` (one or more statements) with an ordinary, writable connection.
async fn exec(db: &Db, sql: &str) {
    let url = db.url();
    let server_sql = AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(_) => {
            let path = url.trim_start_matches("sqlite://");
            std::fs::create_dir_all(Path::new(path).parent().unwrap()).unwrap();
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch(sql).unwrap();
        }
        Db::Postgres { .. } => {
            let mut c = PgConnection::connect(&url).await.unwrap();
            c.execute(server_sql).await.unwrap();
        }
        Db::MySql { .. } => {
            let mut c = MySqlConnection::connect(&url).await.unwrap();
            c.execute(server_sql).await.unwrap();
        }
    }
}

/// `SELECT COUNT(*) FROM t` on a server.
async fn rows_in_t(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM t";
    let url = db.url();
    let n = match db {
        Db::MySql { .. } => {
            let mut c = MySqlConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await
        }
        _ => {
            let mut c = PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await
        }
    };
    n.unwrap()
}

const BIRTH_YEARS: [u32; 10] = [1948, 1955, 1961, 1967, 1972, 1979, 1983, 1988, 1993, 1999];

/// 60 customers; the first has no e-mail address. The same SQL on every engine.
async fn customers(db: &Db) {
    let ddl = match db {
        Db::Sqlite(_) => {
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, phone TEXT, birth_date DATE, \
             amount NUMERIC(10,2), status TEXT)"
        }
        _ => {
            "CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(100), phone VARCHAR(40), \
             birth_date DATE, amount DECIMAL(10,2), status VARCHAR(10))"
        }
    };
    let rows: Vec<String> = (1..=60u32)
        .map(|i| {
            let email = match i {
                1 => "NULL".to_owned(),
                _ => format!("'person{i}@example.com'"),
            };
            let born = format!(
                "{}-{:02}-{:02}",
                BIRTH_YEARS[i as usize % 10],
                1 + i % 12,
                1 + i % 28
            );
            // Cents that never end in 0: every engine prints the amount the same way.
            let amount = format!("{}.{:02}", 10 + i, 11 + i % 8 * 11);
            let status = ["new", "paid", "shipped"][i as usize % 3];
            format!(
                "({i}, {email}, '+44 20 7946 {:04}', '{born}', {amount}, '{status}')",
                100 + i
            )
        })
        .collect();
    exec(db, ddl).await;
    exec(
        db,
        &format!("INSERT INTO customers VALUES {}", rows.join(", ")),
    )
    .await;
}

async fn masked_rows_and_findings(db: Db, dialect: Dialect) {
    customers(&db).await;
    let mut req = request(
        &db,
        "SELECT id, email, phone, birth_date, amount, status FROM customers ORDER BY id",
    );
    req.masking = [
        ("email".to_owned(), Masking::Mask),
        ("phone".to_owned(), Masking::Drop),
    ]
    .into();
    let p = run(&req).await.unwrap();
    assert_eq!((p.sampled, p.more, p.rows.len()), (60, false, SHOW_ROWS));
    let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "email", "birth_date", "amount", "status"]);
    let types: Vec<ColumnType> = p.columns.iter().map(|c| c.column_type).collect();
    let amount = match dialect {
        Dialect::Sqlite => ColumnType::Dynamic,
        _ => ColumnType::Decimal,
    };
    use ColumnType::{Date, Integer, Text};
    assert_eq!(types, [Integer, Text, Date, amount, Text], "{dialect:?}");
    assert_eq!(p.columns[1].masking, Masking::Mask);
    assert!(
        p.columns.iter().all(|c| !c.source_type.is_empty()),
        "{:?}",
        p.columns
    );
    let text = |s: &str| Some(s.to_owned());
    assert_eq!(
        p.rows[0],
        [
            text("1"),
            None,
            text("1955-02-02"),
            text("11.22"),
            text("paid")
        ],
        "{dialect:?}: NULL stays None"
    );
    assert_eq!(
        p.rows[1],
        [
            text("2"),
            text("p***@example.com"),
            text("1961-03-03"),
            text("12.33"),
            text("shipped")
        ]
    );
    let flagged: Vec<&str> = p.findings.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(
        flagged,
        ["email", "phone", "birth_date"],
        "{dialect:?}: {:?}",
        p.findings
    );
    let found = |column: &str, category: Category| {
        let f = p.findings.iter().find(|f| f.column == column);
        f.and_then(|f| f.categories.iter().find(|c| c.category == category))
            .unwrap_or_else(|| panic!("{dialect:?} {column}: {:?}", p.findings))
    };
    let email = found("email", Category::Email);
    assert!(
        email.by_name && email.hits == 59,
        "by name and by value: {email:?}"
    );
    assert_eq!(found("birth_date", Category::DateOfBirth).hits, 60);
    // Nothing in the findings is a value.
    let json = serde_json::to_string(&p.findings).unwrap();
    assert!(
        !json.contains("example.com") && !json.contains("1955"),
        "{json}"
    );
    db.drop().await;
}

async fn bounded_on_a_huge_result(db: Db, dialect: Dialect) {
    let sql = match dialect {
        Dialect::Sqlite => {
            exec(&db, "CREATE TABLE t (x INTEGER)").await;
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT i, i * 2 AS twice FROM n"
        }
        // A cross join, not `FROM generate_series(1, 100000000)`: a set-returning function in FROM is materialised
        // whole before its first row, cursor or not.
        Dialect::Postgres => {
            "SELECT a.i * 10000 + b.i AS n FROM generate_series(0, 9999) AS a(i), generate_series(0, 9999) AS b(i)"
        }
        Dialect::MySql => {
            let values: Vec<String> = (1..=1000).map(|i| format!("({i})")).collect();
            exec(
                &db,
                &format!(
                    "CREATE TABLE d (x INT); INSERT INTO d VALUES {}",
                    values.join(",")
                ),
            )
            .await;
            "SELECT a.x AS a, b.x AS b, c.x AS c FROM d AS a CROSS JOIN d AS b CROSS JOIN d AS c"
        }
    };
    let p = run(&request(&db, sql)).await.unwrap();
    assert_eq!((p.sampled, p.more), (SCAN_ROWS as u64, true), "{dialect:?}");
    assert_eq!(p.rows.len(), SHOW_ROWS);
    if dialect == Dialect::MySql {
        // The connection was dropped, not drained: the server stops the statement long before its own limit.
        let mut admin = MySqlConnection::connect(&db.url()).await.unwrap();
        let running = "SELECT COUNT(*) FROM information_schema.processlist \
                       WHERE info LIKE '%CROSS JOIN d AS c%' AND id <> CONNECTION_ID()";
        let mut left = 1;
        for _ in 0..60 {
            left = sqlx::query_scalar::<_, i64>(running)
                .fetch_one(&mut admin)
                .await
                .unwrap();
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(left, 0, "the abandoned statement still runs");
    }
    db.drop().await;
}

async fn id_list_limits_the_sample(db: Db, _: Dialect) {
    customers(&db).await;
    let mut req = request(
        &db,
        "SELECT c.id, c.status FROM customers c WHERE c.id IN (:ids) ORDER BY c.id",
    );
    req.ids = Some(("ids".into(), Ids::Integers(vec![3, 17, 42, 99_999])));
    let p = run(&req).await.unwrap();
    let ids: Vec<Option<String>> = p.rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        ids,
        [Some("3".into()), Some("17".into()), Some("42".into())]
    );
    assert_eq!((p.sampled, p.more), (3, false));
    req.scan_rows = 2;
    let p = run(&req).await.unwrap();
    assert_eq!((p.sampled, p.more, p.rows.len()), (2, true, 2));
    db.drop().await;
}

async fn refusals_as_the_extraction_reports_them(db: Db, dialect: Dialect) {
    customers(&db).await;
    for dml in [
        "DELETE FROM customers WHERE id = 1",
        "SELECT id FROM customers;\nDELETE FROM customers",
    ] {
        let e = run(&request(&db, dml)).await.unwrap_err();
        let guard = ExtractError::from(sql_guard::parse(dml, dialect).unwrap_err());
        assert!(matches!(e, ExtractError::Sql(_)), "{e}");
        assert_eq!(e.to_string(), guard.to_string());
        assert!(e.to_string().contains("line "), "what and where: {e}");
    }

    let mut typo = request(&db, "SELECT id, email FROM customers");
    typo.masking = [("emial".to_owned(), Masking::Mask)].into();
    let e = run(&typo).await.unwrap_err();
    assert!(
        matches!(&e, ExtractError::Masking(m) if m.contains("\"emial\"") && m.contains("id, email")),
        "{e}"
    );

    let (slow, writes, unsupported) = match dialect {
        Dialect::Sqlite => (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) AS c FROM n",
            None,
            None,
        ),
        Dialect::Postgres => (
            "SELECT count(*) AS x FROM generate_series(1, 10000000000) AS g",
            Some(
                "CREATE TABLE t (id INT); CREATE FUNCTION writes() RETURNS INT LANGUAGE sql AS 'INSERT INTO t VALUES (1) RETURNING 1'",
            ),
            Some(("SELECT ARRAY[1, 2] AS tags", "CAST(tags AS text)")),
        ),
        Dialect::MySql => (
            "SELECT COUNT(*) AS x FROM information_schema.COLLATIONS a, information_schema.COLLATIONS b, \
             information_schema.COLLATIONS c, information_schema.COLLATIONS d",
            Some(
                "CREATE TABLE t (id INT); CREATE FUNCTION writes() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO t VALUES (1); RETURN 1; END",
            ),
            Some(("SELECT POINT(1, 2) AS g", "CAST(g AS CHAR)")),
        ),
    };
    if let Some(ddl) = writes {
        exec(&db, ddl).await;
        let e = run(&request(&db, "SELECT writes() AS w"))
            .await
            .unwrap_err();
        let m = e.to_string().to_ascii_lowercase();
        let read_only = m.contains("read only") || m.contains("read-only");
        assert!(matches!(e, ExtractError::Source(_)) && read_only, "{e}");
        assert_eq!(rows_in_t(&db).await, 0, "{dialect:?}: nothing was written");
    }
    if let Some((sql, cast)) = unsupported {
        let e = run(&request(&db, sql)).await.unwrap_err();
        assert!(
            matches!(e, ExtractError::Unsupported(_)) && e.to_string().contains(cast),
            "{e}"
        );
    }
    let mut req = request(&db, slow);
    req.timeout = Duration::from_secs(1);
    let e = run(&req).await.unwrap_err();
    assert!(
        matches!(e, ExtractError::Source(SourceError::Timeout(t)) if t == req.timeout),
        "{dialect:?}: {e}"
    );
    db.drop().await;
}

async fn warehouse_personal_columns_are_found(db: Db, dialect: Dialect) {
    warehouse::generate(&db.url(), 600, DEFAULT_SEED)
        .await
        .unwrap();
    let p = run(&request(&db, "SELECT * FROM customers")).await.unwrap();
    assert_eq!((p.sampled, p.more), (500, true));
    let expected = [
        ("first_name", Category::Name),
        ("last_name", Category::Name),
        ("email", Category::Email),
        ("phone", Category::Phone),
        ("street", Category::Address),
        ("postal_code", Category::PostalCode),
        ("birth_date", Category::DateOfBirth),
    ];
    let by_value_too = ["email", "phone", "postal_code", "birth_date"];
    for (column, category) in expected {
        let f = p.findings.iter().find(|f| f.column == column);
        let found = f.and_then(|f| f.categories.iter().find(|c| c.category == category));
        let found = found.unwrap_or_else(|| panic!("{dialect:?} {column}: {f:?}"));
        if by_value_too.contains(&column) {
            assert!(
                found.confidence > 0.5 && found.hits > 0,
                "{dialect:?} {column}: {found:?}"
            );
        }
    }
    let flagged: Vec<&str> = p.findings.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(
        flagged.len(),
        expected.len(),
        "{dialect:?}: only personal columns: {flagged:?}"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_unreachable_source_is_reported_as_such() {
    let mut req = request(&Db::sqlite(), "SELECT 1 AS x");
    req.source_url = SecretString::from("postgres://postgres@127.0.0.1:1/none");
    let e = run(&req).await.unwrap_err();
    assert!(
        matches!(e, ExtractError::Source(SourceError::Database(_))),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("could not connect to the data source"),
        "{e}"
    );
}
