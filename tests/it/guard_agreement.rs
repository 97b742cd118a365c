//! The SQL guard reads a query exactly as the engine will: hostile queries (quotes, doubled quotes, backslashes,
//! `E''`, `U&''`, dollar quoting, `X''`, `N''`, comments of every kind, quoted identifiers, Unicode) are generated and,
//! for each one the guard admits, the result columns the guard reads off its syntax tree must be the columns the
//! engine reports when it prepares exactly the same text inside a Clearance read-only session. Run on PostgreSQL
//! (server default `standard_conforming_strings` on and off), MySQL/MariaDB (server default `sql_mode` plain, with
//! `NO_BACKSLASH_ESCAPES`, with `ANSI_QUOTES`) and SQLite.
//!
//! `CLEARANCE_GUARD_CASES` sets the number of cases per engine and mode (default 300); `CLEARANCE_GUARD_SEED` replays
//! a run. The 10,000-case run is in docs/PERFORMANCE.md.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration, time::Instant};

use clearance::extract::{
    read::Reader,
    source::Session,
    sql_columns::result_columns,
    sql_guard::{self, Dialect},
};
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, Executor};

use crate::{
    guard_modes::{Mode, ServerModes},
    sandbox_warehouse::Db,
};

const TIMEOUT: Duration = Duration::from_secs(10);

fn cases() -> usize {
    std::env::var("CLEARANCE_GUARD_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("CLEARANCE_GUARD_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(rand::random)
}

// ---------------------------------------------------------------------------------------------------------------
// Generation

/// Pieces of text that mean different things to different readers, put raw (unescaped) inside literals, comments
/// and identifiers, so that where a token ends depends on who reads it.
fn piece() -> impl Strategy<Value = &'static str> {
    let common = vec![
        "'",
        "''",
        "\\",
        "\\'",
        "\\\\",
        "\\\\'",
        "\"",
        "\"\"",
        "\\\"",
        "`",
        "[",
        "]",
        "$$",
        "$a$",
        "$1$",
        "$é$",
        "$\u{2014}$",
        "--",
        "-- ",
        "--\u{3000}",
        "#",
        "/*",
        "*/",
        "/*!",
        "/*M!",
        "/*+",
        ", email AS leak, ",
        "' AS c8, email AS leak, '",
        " FROM t -- ",
        " FOR UPDATE -- ",
        "\n",
        "\r",
        " ",
        "\t",
        "x",
        "0041",
        "!0041",
        "\\+000041",
        "é",
        "e\u{301}",
        "\u{2028}",
        "\u{a0}",
        "\u{3000}",
        "\u{1F600}",
    ];
    // Control characters are refused outright; a few cases are enough to show it.
    let benign = vec!["x", " ", "é", "AS", ",", "email", "\u{2028}"];
    prop_oneof![
        400 => prop::sample::select(common),
        400 => prop::sample::select(benign),
        1 => Just("\u{0}"),
        1 => Just("\u{b}"),
    ]
}

fn content() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..5).prop_map(|v| v.concat())
}

/// Harmless text for the attack shapes.
fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["x", " ", "é", "--", "#"]), 0..3)
        .prop_map(|v| v.concat())
}

/// The shapes of the attacks in issue 15: one item to a reader that takes backslash escapes (or doubled quotes) one
/// way, two items with a hidden column to a reader that takes them the other way.
fn attack() -> impl Strategy<Value = String> {
    let shapes = prop::sample::select(vec![
        ("'", "\\", "'"),
        ("'", "\\'", "'"),
        ("'", "\\\\", "'"),
        ("E'", "\\", "'"),
        ("E'", "\\'", "'"),
        ("\"", "\\\"", "\""),
        ("`", "\\`", "`"),
        ("'", "\\''", "'"),
    ]);
    (shapes, filler(), filler()).prop_map(|((open, escape, close), a, b)| {
        format!("{open}{a}{escape}{close} AS d, {open}{b} , email AS c9 -- {close}")
    })
}

/// One expression: a literal of some kind around hostile content, or a plain one with a comment beside it.
fn expr() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => attack(),
        4 => content().prop_map(|c| format!("'{c}'")),
        2 => content().prop_map(|c| format!("E'{c}'")),
        1 => content().prop_map(|c| format!("e'{c}'")),
        2 => content().prop_map(|c| format!("U&'{c}'")),
        1 => content().prop_map(|c| format!("U&'{c}' UESCAPE '!'")),
        2 => content().prop_map(|c| format!("$${c}$$")),
        2 => content().prop_map(|c| format!("$tag${c}$tag$")),
        1 => content().prop_map(|c| format!("X'{c}'")),
        1 => content().prop_map(|c| format!("N'{c}'")),
        2 => content().prop_map(|c| format!("\"{c}\"")),
        2 => content().prop_map(|c| format!("`{c}`")),
        1 => content().prop_map(|c| format!("[{c}]")),
        1 => (content(), content()).prop_map(|(a, b)| format!("'{a}' || '{b}'")),
        1 => (content(), content()).prop_map(|(a, b)| format!("'{a}'\n'{b}'")),
        1 => content().prop_map(|c| format!("/* {c} */ 1")),
        1 => content().prop_map(|c| format!("/*{c}/* {c} */ 2 */ 3")),
        1 => content().prop_map(|c| format!("4 /* {c}")),
        1 => content().prop_map(|c| format!("5 -- {c}\n")),
        1 => content().prop_map(|c| format!("6 --{c}\n")),
        1 => content().prop_map(|c| format!("7 #{c}\n")),
        1 => content().prop_map(|c| format!("B'{c}'")),
        1 => content().prop_map(|c| format!("_utf8mb4'{c}'")),
        1 => Just("1 /*!, email AS leak */".to_owned()),
        1 => Just("1 /*!99999 , email AS leak */".to_owned()),
        1 => Just("1 /*M!, email AS leak */".to_owned()),
        1 => content().prop_map(|c| format!("/*+ {c} */ 1")),
        1 => content().prop_map(|c| format!("$x{c}")),
        1 => content().prop_map(|c| format!(":x{c}")),
        1 => content().prop_map(|c| format!("@x{c}")),
        1 => content().prop_map(|c| format!("?{c}")),
        1 => Just("email".to_owned()),
        1 => Just("id".to_owned()),
    ]
}

/// How an item is named: no alias, or an alias quoted one of several ways (some only mean something on one engine).
#[derive(Clone, Copy, Debug)]
enum Alias {
    None,
    Plain,
    Upper,
    Double,
    Back,
    Bracket,
    Single,
}

fn alias() -> impl Strategy<Value = Alias> {
    prop_oneof![
        1 => Just(Alias::None),
        8 => Just(Alias::Plain),
        1 => Just(Alias::Upper),
        1 => Just(Alias::Double),
        1 => Just(Alias::Back),
        1 => Just(Alias::Bracket),
        1 => Just(Alias::Single),
    ]
}

/// Between items: a comma, maybe with a comment of either kind around it.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(", ".to_owned()),
        1 => Just(",".to_owned()),
        1 => Just(",\n".to_owned()),
        1 => content().prop_map(|c| format!(" /* {c} */, ")),
        1 => content().prop_map(|c| format!(", -- {c}\n")),
        1 => content().prop_map(|c| format!(" --{c}\n, ")),
        1 => content().prop_map(|c| format!(" #{c}\n, ")),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Plain,
    Where,
    With,
    Derived,
    Scalar,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        4 => Just(Shape::Plain),
        1 => Just(Shape::Where),
        1 => Just(Shape::With),
        1 => Just(Shape::Derived),
        1 => Just(Shape::Scalar),
    ]
}

#[derive(Clone, Debug)]
struct Case {
    items: Vec<(String, Alias, String)>,
    shape: Shape,
    extra: String,
    tail: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((expr(), alias(), separator()), 1..4),
        shape(),
        expr(),
        prop_oneof![
            4 => Just(String::new()),
            1 => content().prop_map(|c| format!(" -- {c}")),
            1 => content().prop_map(|c| format!(" /* {c} */")),
            1 => Just(";".to_owned()),
        ],
    )
        .prop_map(|(items, shape, extra, tail)| Case {
            items,
            shape,
            extra,
            tail,
        })
}

impl Case {
    fn sql(&self) -> String {
        let mut list = String::new();
        let n = self.items.len();
        for (i, (e, alias, sep)) in self.items.iter().enumerate() {
            let k = i + 1;
            let _ = match alias {
                Alias::None => write!(list, "{e}"),
                Alias::Plain => write!(list, "{e} AS c{k}"),
                Alias::Upper => write!(list, "{e} AS C{k}"),
                Alias::Double => write!(list, "{e} AS \"c{k}\""),
                Alias::Back => write!(list, "{e} AS `c{k}`"),
                Alias::Bracket => write!(list, "{e} AS [c{k}]"),
                Alias::Single => write!(list, "{e} AS 'c{k}'"),
            };
            if k < n {
                list.push_str(sep);
            }
        }
        let body = match self.shape {
            Shape::Plain => format!("SELECT {list} FROM t"),
            Shape::Where => format!("SELECT {list} FROM t WHERE {} IS NOT NULL", self.extra),
            Shape::With => format!(
                "WITH w AS (SELECT {} AS k, email FROM t) SELECT {list} FROM w",
                self.extra
            ),
            Shape::Derived => format!(
                "SELECT {list} FROM (SELECT {} AS k, email FROM t) AS s",
                self.extra
            ),
            Shape::Scalar => format!(
                "SELECT {list}, (SELECT {} FROM t LIMIT 1) AS z FROM t",
                self.extra
            ),
        };
        format!("{body}{}", self.tail)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Running

/// What happened to the cases of one engine and mode.
#[derive(Default)]
struct Tally {
    generated: usize,
    /// Per reason: how many, and how many of those the engine would have run.
    refused: BTreeMap<&'static str, (usize, usize)>,
    admitted: usize,
    engine_errors: usize,
    agreed: usize,
    names_unknown: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn report(&self, label: &str, elapsed: Duration) -> String {
        let refused: usize = self.refused.values().map(|(n, _)| n).sum();
        let would_run: usize = self.refused.values().map(|(_, k)| k).sum();
        let reasons: Vec<String> = self
            .refused
            .iter()
            .map(|(reason, (n, k))| format!("{reason} {n} ({k})"))
            .collect();
        format!(
            "guard agreement [{label}]: {} generated, {refused} refused by the guard ({would_run} of them the engine \
             would run) [{}], {} admitted: {} agreed, {} names unknown, {} engine errors, {} mismatches ({:.1} s)",
            self.generated,
            reasons.join(", "),
            self.admitted,
            self.agreed,
            self.names_unknown,
            self.engine_errors,
            self.mismatches.len(),
            elapsed.as_secs_f64(),
        )
    }
}

/// The guard's refusals, grouped by what they say.
fn reason(message: &str) -> &'static str {
    for (needle, label) in [
        ("not valid", "not valid SQL"),
        ("executable comment", "executable comment"),
        ("optimizer hint", "optimizer hint"),
        ("control character", "control character"),
        ("reads differently", "round trip"),
        ("text-direction", "text-direction character"),
        ("followed by U+", "-- without a space"),
        ("two string literals", "two string literals"),
        ("parameter", "parameter form"),
        ("dollar-quote tag", "dollar-quote tag"),
        ("statements", "more than one statement"),
        ("locking clause", "locking clause"),
        ("INTO", "INTO"),
    ] {
        if message.contains(needle) {
            return label;
        }
    }
    "other"
}

/// A read-only session on `url` for describing statements; on PostgreSQL with a savepoint to return to after an
/// error (an error aborts the transaction).
async fn open(url: &str, dialect: Dialect) -> Reader {
    let url = SecretString::from(url.to_owned());
    let mut reader = Reader::open(&url, dialect, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("open a {dialect:?} read-only session: {e}"));
    if let Reader::Server(s @ Session::Postgres(_), _) = &mut reader {
        s.execute("SAVEPOINT guard_agreement", TIMEOUT)
            .await
            .expect("savepoint");
    }
    reader
}

async fn describe(reader: &mut Reader, sql: &str) -> Result<Vec<String>, String> {
    match reader.describe(sql).await {
        Ok(cols) => Ok(cols.into_iter().map(|c| c.name).collect()),
        Err(e) => {
            if let Reader::Server(s @ Session::Postgres(_), _) = reader {
                s.execute("ROLLBACK TO SAVEPOINT guard_agreement", TIMEOUT)
                    .await
                    .expect("rollback to savepoint");
            }
            Err(e.to_string())
        }
    }
}

fn agrees(guard: &[Option<String>], engine: &[String]) -> bool {
    guard.len() == engine.len()
        && guard
            .iter()
            .zip(engine)
            .all(|(g, e)| g.as_ref().is_none_or(|g| g == e))
}

/// Generate the cases for one engine and mode and compare guard and engine on each.
async fn run(label: &str, url: &str, dialect: Dialect, seed: u64) -> Tally {
    let started = Instant::now();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let strategy = case();
    let mut reader = open(url, dialect).await;
    let mut tally = Tally::default();
    for _ in 0..cases() {
        let sql = strategy
            .new_tree(&mut runner)
            .expect("generate a case")
            .current()
            .sql();
        tally.generated += 1;
        let engine = describe(&mut reader, &sql).await;
        match sql_guard::parse(&sql, dialect) {
            Err(r) => {
                let (n, k) = tally.refused.entry(reason(&r.message)).or_default();
                *n += 1;
                *k += usize::from(engine.is_ok());
            }
            Ok(statement) => {
                tally.admitted += 1;
                let guard = result_columns(&statement, dialect);
                match (guard, engine) {
                    (_, Err(_)) => tally.engine_errors += 1,
                    (None, Ok(_)) => tally.names_unknown += 1,
                    (Some(g), Ok(e)) if agrees(&g, &e) => tally.agreed += 1,
                    (Some(g), Ok(e)) => tally.mismatches.push(format!(
                        "{sql:?}\n    guard reads {g:?}\n    engine returns {e:?}"
                    )),
                }
            }
        }
    }
    reader.close().await;
    eprintln!("{} [seed {seed}]", tally.report(label, started.elapsed()));
    tally
}

fn assert_no_mismatch(label: &str, seed: u64, tallies: &[Tally]) {
    let mut all: Vec<&String> = tallies.iter().flat_map(|t| &t.mismatches).collect();
    all.sort_by_key(|m| m.len());
    assert!(
        all.is_empty(),
        "{label}: {} cases where the guard and the engine read the text differently (seed {seed}, replay with \
         CLEARANCE_GUARD_SEED={seed}); the shortest:\n{}",
        all.len(),
        all.iter()
            .take(8)
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for t in tallies {
        assert!(
            t.admitted > 0,
            "{label}: the generator produced no admitted query"
        );
    }
}

const TABLE: &str = "CREATE TABLE t (id INT, email VARCHAR(200))";

#[tokio::test]
async fn guard_agreement_sqlite() {
    let db = Db::sqlite();
    let url = db.url();
    let path = url.trim_start_matches("sqlite://");
    std::fs::create_dir_all(std::path::Path::new(path).parent().expect("parent")).expect("mkdir");
    let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .expect("url")
        .create_if_missing(true);
    let mut c = sqlx::ConnectOptions::connect(&opts).await.expect("create");
    c.execute(TABLE).await.expect("table");
    c.close().await.expect("close");
    let seed = seed();
    let t = run("SQLite", &url, Dialect::Sqlite, seed).await;
    assert_no_mismatch("SQLite", seed, &[t]);
}

#[tokio::test]
async fn guard_agreement_postgres() {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let url = db.url();
    let Db::Postgres { name, .. } = &db else {
        unreachable!()
    };
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
    admin.execute(TABLE).await.expect("table");
    let seed = seed();
    let on = run(
        "PostgreSQL, standard_conforming_strings on",
        &url,
        Dialect::Postgres,
        seed,
    )
    .await;
    // The database's own default, so only this test's sessions see it.
    admin
        .execute(AssertSqlSafe(format!(
            "ALTER DATABASE {name} SET standard_conforming_strings = off"
        )))
        .await
        .expect("alter database");
    let off = run(
        "PostgreSQL, standard_conforming_strings off",
        &url,
        Dialect::Postgres,
        seed,
    )
    .await;
    admin.close().await.expect("close");
    db.drop().await;
    assert_no_mismatch("PostgreSQL", seed, &[on, off]);
}

#[tokio::test]
async fn guard_agreement_mysql() {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let url = db.url();
    let mut admin = sqlx::MySqlConnection::connect(&url).await.expect("connect");
    admin.execute(TABLE).await.expect("table");
    admin.close().await.expect("close");
    let seed = seed();
    let mut modes = ServerModes::start(&url).await;
    let mut tallies = Vec::new();
    for mode in [Mode::Default, Mode::NoBackslashEscapes, Mode::AnsiQuotes] {
        let account = modes.account(&db, mode).await;
        let label = format!("MariaDB, server sql_mode {}", mode.label());
        tallies.push(run(&label, &account, Dialect::MySql, seed).await);
    }
    modes.finish().await;
    db.drop().await;
    assert_no_mismatch("MariaDB", seed, &tallies);
}
