//! Tests of the sandbox (warehouse): the pure generator is deterministic and realistic (valid cards and IBANs,
//! unique e-mails, the promised table ratios); a load into SQLite, PostgreSQL and MariaDB reads back exactly the
//! generator's rows (one canonical dump, one SHA-256 for every engine), with counts, resolving foreign keys and
//! indexes; a re-run replaces the tables; bad URLs fail with clear messages.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clearance_sandbox::warehouse::{
    self, Batch, DEFAULT_SEED, Generator, Report, TABLE_NAMES, iban_valid, luhn_valid,
};
use sha2::{Digest, Sha256};
use sqlx::{
    AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection, Row, SqliteConnection,
};

const ROWS: u64 = 1_000;

/// Column kinds per table, in DDL order, for reading rows back.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    OptText,
    Date,
    Bool,
    Ts,
}
use Kind::*;

const KINDS: [&[Kind]; 4] = [
    &[
        Int, Text, Text, Text, OptText, Text, Text, Text, Text, Date, Bool, Ts,
    ],
    &[Int, Int, Ts, Text, Int, Text],
    &[Int, Int, Text, OptText, OptText, Int, Ts],
    &[Int, Int, Ts, Text, Text],
];

/// One canonical value: text with `\`, `|` and newlines escaped, NULL as `\N`, dates `YYYY-MM-DD`, timestamps
/// `YYYY-MM-DD HH:MM:SS` UTC, booleans 0/1.
fn text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "\\n")
}
fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "\\N".to_owned(), text)
}
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The canonical dump of what the generator produces: one line per row, tables in order.
fn expected_dump(rows: u64, seed: u64) -> String {
    let b: Batch = Generator::new(rows, seed)
        .next_batch(usize::MAX)
        .unwrap_or_default();
    let mut lines = Vec::new();
    for c in &b.customers {
        let date = c.birth_date.format("%Y-%m-%d").to_string();
        let vals = [
            c.id.to_string(),
            text(c.first_name),
            text(c.last_name),
            text(&c.email),
            opt(c.phone.as_deref()),
        ];
        let more = [
            text(&c.street),
            text(&c.postal_code),
            text(c.city),
            text(c.country),
            date,
        ];
        let last = [u8::from(c.marketing_consent).to_string(), ts(c.created_at)];
        lines.push(format!(
            "customers|{}",
            [&vals[..], &more, &last].concat().join("|")
        ));
    }
    for o in &b.orders {
        let v = [
            o.id.to_string(),
            o.customer_id.to_string(),
            ts(o.ordered_at),
            text(o.status),
        ];
        lines.push(format!(
            "orders|{}|{}|{}",
            v.join("|"),
            o.total_cents,
            o.currency
        ));
    }
    for p in &b.payments {
        let v = [
            p.id.to_string(),
            p.order_id.to_string(),
            text(p.method),
            opt(p.card_number.as_deref()),
        ];
        let w = [
            opt(p.iban.as_deref()),
            p.amount_cents.to_string(),
            ts(p.paid_at),
        ];
        lines.push(format!("payments|{}|{}", v.join("|"), w.join("|")));
    }
    for t in &b.support_tickets {
        let v = [
            t.id.to_string(),
            t.customer_id.to_string(),
            ts(t.opened_at),
            text(t.subject),
            text(&t.body),
        ];
        lines.push(format!("support_tickets|{}", v.join("|")));
    }
    lines.join("\n")
}

fn sha(dump: &str) -> String {
    hex::encode(Sha256::digest(dump.as_bytes()))
}

/// A fresh database for one test.
pub(crate) enum Db {
    Sqlite(tempfile::TempDir),
    Postgres { admin: String, name: String },
    MySql { admin: String, name: String },
}

impl Db {
    pub(crate) fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A new database on the server named by `var`, or `None` (and a loud note) when `var` is unset.
    pub(crate) async fn server(var: &str, engine: &str) -> Option<Self> {
        let Ok(admin) = std::env::var(var).map(|v| v.trim().to_owned()) else {
            eprintln!("SKIPPED on {engine}: {var} is unset");
            return None;
        };
        if admin.is_empty() {
            eprintln!("SKIPPED on {engine}: {var} is unset");
            return None;
        }
        let name = format!("clearance_test_{}", uuid::Uuid::new_v4().simple());
        let create = AssertSqlSafe(format!("CREATE DATABASE {name}"));
        if engine == "PostgreSQL" {
            let mut c = PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            c.execute(create).await.expect("create database");
            Some(Self::Postgres { admin, name })
        } else {
            let mut c = MySqlConnection::connect(&admin)
                .await
                .expect("connect to MariaDB");
            c.execute(create).await.expect("create database");
            Some(Self::MySql { admin, name })
        }
    }

    pub(crate) fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => {
                format!("sqlite://{}", dir.path().join("nested/demo.db").display())
            }
            Self::Postgres { admin, name } | Self::MySql { admin, name } => {
                let mut u = url::Url::parse(admin).expect("server url");
                u.set_path(&format!("/{name}"));
                u.to_string()
            }
        }
    }

    /// Every table as canonical lines (see [`expected_dump`]), plus checks of indexes and foreign keys.
    async fn dump(&self) -> String {
        let url = self.url();
        let mut lines = Vec::new();
        for (table, kinds) in TABLE_NAMES.iter().zip(KINDS) {
            let sql = format!("SELECT * FROM {table} ORDER BY id");
            let rows: Vec<Vec<String>> = match self {
                Self::Sqlite(_) => {
                    let mut c = SqliteConnection::connect(&url).await.expect("open sqlite");
                    let rows = c.fetch_all(AssertSqlSafe(sql)).await.expect("select");
                    rows.iter()
                        .map(|r| read(kinds, |i, k| sqlite_value(r, i, k)))
                        .collect()
                }
                Self::Postgres { .. } => {
                    let mut c = PgConnection::connect(&url).await.expect("open postgres");
                    let rows = c.fetch_all(AssertSqlSafe(sql)).await.expect("select");
                    rows.iter()
                        .map(|r| read(kinds, |i, k| pg_value(r, i, k)))
                        .collect()
                }
                Self::MySql { .. } => {
                    let mut c = MySqlConnection::connect(&url).await.expect("open mariadb");
                    let rows = c.fetch_all(AssertSqlSafe(sql)).await.expect("select");
                    rows.iter()
                        .map(|r| read(kinds, |i, k| mysql_value(r, i, k)))
                        .collect()
                }
            };
            lines.extend(rows.into_iter().map(|r| format!("{table}|{}", r.join("|"))));
        }
        lines.join("\n")
    }

    /// `SELECT COUNT(*)` style scalar.
    async fn count(&self, sql: &str) -> i64 {
        let url = self.url();
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(_) => {
                let mut c = SqliteConnection::connect(&url).await.expect("open");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("count")
            }
            Self::Postgres { .. } => {
                let mut c = PgConnection::connect(&url).await.expect("open");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("count")
            }
            Self::MySql { .. } => {
                let mut c = MySqlConnection::connect(&url).await.expect("open");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("count")
            }
        }
    }

    pub(crate) async fn drop(self) {
        match self {
            Self::Sqlite(_) => {}
            Self::Postgres { admin, name } => {
                if let Ok(mut c) = PgConnection::connect(&admin).await {
                    let force =
                        AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                    let _ = c.execute(force).await;
                }
            }
            Self::MySql { admin, name } => {
                if let Ok(mut c) = MySqlConnection::connect(&admin).await {
                    let _ = c
                        .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                        .await;
                }
            }
        }
    }
}

fn read(kinds: &[Kind], mut value: impl FnMut(usize, Kind) -> String) -> Vec<String> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| value(i, k))
        .collect()
}

fn sqlite_value(r: &sqlx::sqlite::SqliteRow, i: usize, k: Kind) -> String {
    match k {
        Int => r.get::<i64, _>(i).to_string(),
        Bool => r.get::<i64, _>(i).to_string(),
        Text | Date | Ts => text(&r.get::<String, _>(i)),
        OptText => opt(r.get::<Option<String>, _>(i).as_deref()),
    }
}

fn pg_value(r: &sqlx::postgres::PgRow, i: usize, k: Kind) -> String {
    match k {
        Int => r.get::<i64, _>(i).to_string(),
        Bool => u8::from(r.get::<bool, _>(i)).to_string(),
        Text => text(&r.get::<String, _>(i)),
        OptText => opt(r.get::<Option<String>, _>(i).as_deref()),
        Date => r.get::<NaiveDate, _>(i).format("%Y-%m-%d").to_string(),
        Ts => ts(r.get::<DateTime<Utc>, _>(i)),
    }
}

fn mysql_value(r: &sqlx::mysql::MySqlRow, i: usize, k: Kind) -> String {
    match k {
        Int => r.get::<i64, _>(i).to_string(),
        Bool => u8::from(r.get::<bool, _>(i)).to_string(),
        Text => text(&r.get::<String, _>(i)),
        OptText => opt(r.get::<Option<String>, _>(i).as_deref()),
        Date => r.get::<NaiveDate, _>(i).format("%Y-%m-%d").to_string(),
        Ts => ts(r.get::<NaiveDateTime, _>(i).and_utc()),
    }
}

/// Load twice (the second run must replace, not append), then compare everything with the generator.
async fn load_and_check(db: Db) {
    let url = db.url();
    let first = warehouse::generate(&url, ROWS / 2, 7)
        .await
        .expect("first load");
    assert_eq!(first.customers.rows, ROWS / 2);
    let report: Report = warehouse::generate(&url, ROWS, DEFAULT_SEED)
        .await
        .expect("second load");

    let expected = expected_dump(ROWS, DEFAULT_SEED);
    let got = db.dump().await;
    assert!(
        got == expected,
        "{} dump differs from the generator's",
        report.engine.name()
    );
    assert_eq!(sha(&got), sha(&expected));

    let b = Generator::new(ROWS, DEFAULT_SEED)
        .next_batch(usize::MAX)
        .unwrap_or_default();
    let counts = [
        b.customers.len(),
        b.orders.len(),
        b.payments.len(),
        b.support_tickets.len(),
    ];
    for ((table, t), n) in report.tables().into_iter().zip(counts) {
        assert_eq!(t.rows, n as u64, "{table}");
        assert_eq!(
            db.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            n as i64,
            "{table}"
        );
    }
    for (child, column, parent) in [
        ("orders", "customer_id", "customers"),
        ("payments", "order_id", "orders"),
        ("support_tickets", "customer_id", "customers"),
    ] {
        let orphans = format!(
            "SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column} WHERE p.id IS NULL"
        );
        assert_eq!(db.count(&orphans).await, 0, "{child}.{column} → {parent}");
    }
    let indexes = match db {
        Db::Sqlite(_) => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%idx'"
        }
        Db::Postgres { .. } => {
            "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%idx'"
        }
        Db::MySql { .. } => {
            "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND index_name LIKE '%idx'"
        }
    };
    assert_eq!(
        db.count(indexes).await,
        4,
        "indexes on email and the three foreign keys"
    );
    let marker = format!("SELECT COUNT(*) FROM clearance_demo WHERE customers = {ROWS}");
    assert_eq!(
        db.count(&marker).await,
        1,
        "one marker row for the last run"
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_load_matches_the_generator() {
    load_and_check(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_load_matches_the_generator() {
    if let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await {
        load_and_check(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_load_matches_the_generator() {
    if let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await {
        load_and_check(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_loads_hash_the_same() {
    let (a, b) = (Db::sqlite(), Db::sqlite());
    warehouse::generate(&a.url(), ROWS, 42)
        .await
        .expect("load a");
    warehouse::generate(&b.url(), ROWS, 42)
        .await
        .expect("load b");
    let (da, db) = (a.dump().await, b.dump().await);
    assert_eq!(sha(&da), sha(&db));
    assert_ne!(
        sha(&da),
        sha(&expected_dump(ROWS, 43)),
        "another seed gives other rows"
    );
}

#[test]
fn generator_is_deterministic_and_realistic() {
    let a: Vec<Batch> = Generator::new(5_000, 1).collect();
    let b: Vec<Batch> = Generator::new(5_000, 1).collect();
    assert!(a == b, "same rows and seed, same rows");
    let all = Generator::new(5_000, 1)
        .next_batch(usize::MAX)
        .unwrap_or_default();
    let (c, o, p, t) = (
        all.customers.len(),
        all.orders.len(),
        all.payments.len(),
        all.support_tickets.len(),
    );
    assert_eq!(c, 5_000);
    assert!(
        (2.8..3.2).contains(&(o as f64 / c as f64)),
        "orders per customer: {o}/{c}"
    );
    assert!(
        (0.9..1.1).contains(&(p as f64 / o as f64)),
        "payments per order: {p}/{o}"
    );
    assert!(
        (0.4..0.6).contains(&(t as f64 / c as f64)),
        "tickets per customer: {t}/{c}"
    );

    let emails: std::collections::HashSet<&str> =
        all.customers.iter().map(|c| c.email.as_str()).collect();
    assert_eq!(emails.len(), c, "e-mails are unique");
    for cu in &all.customers {
        let phone_ok = cu
            .phone
            .as_deref()
            .is_none_or(|p| p.starts_with('+') && p[1..].bytes().all(|b| b.is_ascii_digit()));
        assert!(phone_ok, "E.164: {:?}", cu.phone);
        assert!(("1940-01-01".."2007-01-01").contains(&cu.birth_date.to_string().as_str()));
    }
    let (mut cards, mut ibans) = (0, 0);
    for pay in &all.payments {
        match (pay.method, &pay.card_number, &pay.iban) {
            ("card", Some(n), None) => {
                assert!(n.len() == 16 && luhn_valid(n), "card {n}");
                cards += 1;
            }
            ("bank_transfer" | "sepa_debit" | "direct_debit", None, Some(i)) => {
                assert!(iban_valid(i), "IBAN {i}");
                ibans += 1;
            }
            ("paypal" | "klarna" | "gift_card", None, None) => {}
            other => panic!("unexpected payment {other:?}"),
        }
    }
    assert!(
        cards > p / 3 && ibans > p / 10,
        "{cards} cards, {ibans} IBANs of {p}"
    );
    for prefix in ["DE", "FR", "GB", "NL", "ES", "BE"] {
        assert!(
            all.payments
                .iter()
                .any(|p| p.iban.as_deref().is_some_and(|i| i.starts_with(prefix))),
            "{prefix}"
        );
    }

    let bodies = || all.support_tickets.iter().map(|t| t.body.as_str());
    let with_email = bodies().filter(|b| b.contains('@')).count();
    let with_phone = bodies().filter(|b| b.contains(" +")).count();
    let with_card = bodies()
        .filter(|b| {
            b.split(['\n', ' ', ':'])
                .any(|w| w.len() >= 16 && luhn_valid(w))
        })
        .count();
    assert!(
        with_email > t / 10 && with_phone > t / 10 && with_card > 0,
        "{with_email} {with_phone} {with_card} of {t}"
    );
    assert!(Generator::new(50, 2).collect::<Vec<_>>() != Generator::new(50, 3).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_drop_tables_it_did_not_create() {
    let db = Db::sqlite();
    let url = db.url();
    let file = url.trim_start_matches("sqlite://");
    std::fs::create_dir_all(std::path::Path::new(file).parent().expect("folder")).expect("mkdir");
    let opts = format!("{url}?mode=rwc");
    let mut c = SqliteConnection::connect(&opts)
        .await
        .expect("create sqlite");
    c.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")
        .await
        .expect("create");
    c.execute("INSERT INTO orders VALUES (1, 'real data')")
        .await
        .expect("insert");
    let e = format!(
        "{:#}",
        warehouse::generate(&url, 10, 1)
            .await
            .expect_err("must refuse")
    );
    assert!(
        e.contains("already has tables named orders") && e.contains("empty database"),
        "{e}"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM orders WHERE note = 'real data'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_urls_give_clear_errors() {
    let err = |r: anyhow::Result<Report>| format!("{:#}", r.expect_err("must fail"));
    let e = err(warehouse::generate("oracle://scott:tiger@db/orcl", 10, 1).await);
    assert!(
        e.contains("unsupported database URL") && e.contains("sqlite://") && !e.contains("tiger"),
        "{e}"
    );
    let e = err(warehouse::generate("mysql://root:hunter2@127.0.0.1:1/x", 10, 1).await);
    assert!(
        e.starts_with("cannot connect to mysql://root:***@127.0.0.1:1/x: "),
        "{e}"
    );
    let e = err(warehouse::generate("postgres://postgres@127.0.0.1:1/x", 10, 1).await);
    assert!(
        e.starts_with("cannot connect to postgres://postgres@127.0.0.1:1/x: "),
        "{e}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    std::fs::write(&file, "not a folder").expect("write");
    let e = err(warehouse::generate(&format!("sqlite://{}/demo.db", file.display()), 10, 1).await);
    assert!(e.contains("cannot create folder"), "{e}");
    if let Ok(admin) = std::env::var("CLEARANCE_TEST_MYSQL_URL") {
        let mut u = url::Url::parse(&admin).expect("url");
        u.set_path("/clearance_no_such_database");
        let e = err(warehouse::generate(u.as_str(), 10, 1).await);
        assert!(e.starts_with(&format!("cannot connect to {u}: ")), "{e}");
    }
}
