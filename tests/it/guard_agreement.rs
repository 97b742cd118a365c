//! The SQL guard reads a query exactly as the engine will: hostile queries (quotes, doubled quotes, backslashes,
//! `E''`, `U&''`, dollar quoting, `X''`, `N''`, comments of every kind, quoted identifiers, Unicode) are generated and,
//! for each one the guard admits, the result columns the guard reads off its syntax tree must be the columns the
//! engine reports when it prepares exactly the same text inside a Clearance read-only session. Run on PostgreSQL
//! (server default `standard_conforming_strings` on and off), MySQL/MariaDB (server default `sql_mode` plain, with
//! `NO_BACKSLASH_ESCAPES`, with `ANSI_QUOTES`) and SQLite.
//!
//! `CLEARANCE_GUARD_CASES` sets the number of cases per engine and mode (default 300); `CLEARANCE_GUARD_SEED` replays
//! a run. The 10,000-case run is in docs/PERFORMANCE.md.

use std::{collections::BTreeMap, time::Duration, time::Instant};

use clearance::extract::{
    read::Reader,
    source::Session,
    sql_columns::result_columns,
    sql_guard::{self, Dialect},
};
use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, Executor};

use crate::{
    guard_cases::case,
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
    let mut reader = Reader::open(&crate::helpers::operator_policy(), &url, TIMEOUT)
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
