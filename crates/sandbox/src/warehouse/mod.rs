//! Demo warehouse: a deterministic generator of realistic data with personal information.
//!
//! Four tables — `customers`, `orders` (≈ 3 per customer), `payments` (≈ 1 per order; Luhn-valid card numbers or
//! valid IBANs) and `support_tickets` (≈ 0.5 per customer; free text that sometimes contains an e-mail address,
//! phone number or card number) — written to SQLite, PostgreSQL or MySQL/MariaDB, chosen by the URL's scheme.
//! The same `rows` and seed give the same rows and values on every run and every engine.
//!
//! [`generate`] loads a database; [`Generator`] yields the same rows without one (for tests and benchmarks).

mod chunk;
mod draw;
mod encode;
mod generator;
mod iban;
mod load;
mod luhn;
mod names;
mod person;
mod report;
mod rows;
mod schema;
mod target;
mod text;
mod write;

pub use generator::Generator;
pub use iban::iban_valid;
pub use luhn::luhn_valid;
pub use report::{Progress, Report, TableReport};
pub use rows::{Batch, Customer, Order, Payment, SupportTicket};
pub use schema::Engine;

/// Seed used when none is given: `clearance demo-data` without `--seed` always makes the same warehouse.
pub const DEFAULT_SEED: u64 = 0x00C1_EA2A_4CE0_0001;

/// The demo tables, parents first.
pub const TABLE_NAMES: [&str; 4] = ["customers", "orders", "payments", "support_tickets"];

/// Generate `rows` customers with their orders, payments and support tickets from `seed` into the database at
/// `url` (`sqlite://path` — file and folder created —, `postgres://…`, `mysql://…` or `mariadb://…`), after
/// dropping any previous demo tables. A small `clearance_demo` table marks the database as demo data; without it,
/// existing tables named like the demo's are left alone and the load fails. Logs progress at `info` every few
/// seconds.
///
/// Errors name the URL (password hidden) and the failed step, ready to print with `{:#}`.
pub async fn generate(url: &str, rows: u64, seed: u64) -> anyhow::Result<Report> {
    generate_with_progress(url, rows, seed, |p| {
        tracing::info!(
            "demo data: {}/{} customers ({:.0} %), {} rows, {:.0} rows/s",
            p.customers_done,
            p.customers_total,
            p.percent(),
            p.rows_done,
            p.rows_per_sec()
        );
    })
    .await
}

/// [`generate`], calling `on_progress` every few seconds and once when all rows are committed (before indexing).
pub async fn generate_with_progress(
    url: &str,
    rows: u64,
    seed: u64,
    mut on_progress: impl FnMut(&Progress) + Send,
) -> anyhow::Result<Report> {
    load::load(url, rows, seed, &mut on_progress).await
}
