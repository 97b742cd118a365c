//! What a load reports: rows and write time per table, overall timings, and progress while it runs.

use std::{fmt, time::Duration};

use super::schema::Engine;

/// Rows written to one table and the time spent in its statements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableReport {
    /// Rows inserted.
    pub rows: u64,
    /// Time the writers spent in this table's `INSERT` statements, summed over connections (generation and encoding
    /// run on another thread). For PostgreSQL, which streams all tables at once, only the client's side: sending
    /// the `COPY` data and waiting for the end of each stream.
    pub write_time: Duration,
}

impl TableReport {
    /// Rows per second of statement time.
    pub fn rows_per_sec(&self) -> f64 {
        rate(self.rows, self.write_time)
    }
}

/// The outcome of [`generate`](super::generate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Engine written to.
    pub engine: Engine,
    /// The `customers` table.
    pub customers: TableReport,
    /// The `orders` table.
    pub orders: TableReport,
    /// The `payments` table.
    pub payments: TableReport,
    /// The `support_tickets` table.
    pub support_tickets: TableReport,
    /// From the start until every row was committed (connecting and creating the tables included).
    pub load_time: Duration,
    /// Creating indexes and foreign keys and refreshing statistics after the load.
    pub index_time: Duration,
    /// Everything.
    pub elapsed: Duration,
}

impl Report {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            customers: TableReport::default(),
            orders: TableReport::default(),
            payments: TableReport::default(),
            support_tickets: TableReport::default(),
            load_time: Duration::ZERO,
            index_time: Duration::ZERO,
            elapsed: Duration::ZERO,
        }
    }

    pub(crate) fn add(&mut self, table: usize, rows: usize, time: Duration) {
        let t = match table {
            0 => &mut self.customers,
            1 => &mut self.orders,
            2 => &mut self.payments,
            _ => &mut self.support_tickets,
        };
        t.rows += rows as u64;
        t.write_time += time;
    }

    /// `(table name, report)` for the four tables, parents first.
    pub fn tables(&self) -> [(&'static str, TableReport); 4] {
        [
            ("customers", self.customers),
            ("orders", self.orders),
            ("payments", self.payments),
            ("support_tickets", self.support_tickets),
        ]
    }

    /// Rows in all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables().iter().map(|(_, t)| t.rows).sum()
    }

    /// All rows per second of the whole run, indexing included.
    pub fn rows_per_sec(&self) -> f64 {
        rate(self.total_rows(), self.elapsed)
    }
}

impl fmt::Display for Report {
    /// `1000 customers, 3021 orders, 3007 payments, 498 support_tickets (7526 rows) into sqlite in 0.41 s
    /// (18356 rows/s; indexes 0.02 s)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, t)) in self.tables().iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{} {name}", t.rows)?;
        }
        write!(
            f,
            " ({} rows) into {} in {:.2} s ({:.0} rows/s; indexes {:.2} s)",
            self.total_rows(),
            self.engine.name(),
            self.elapsed.as_secs_f64(),
            self.rows_per_sec(),
            self.index_time.as_secs_f64()
        )
    }
}

/// How far a load is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Customers whose rows are all written (committed on SQLite and MySQL; streamed on PostgreSQL, whose `COPY`
    /// streams commit when the load ends).
    pub customers_done: u64,
    /// Customers asked for.
    pub customers_total: u64,
    /// Rows written so far in all tables.
    pub rows_done: u64,
    /// Since the start of the load.
    pub elapsed: Duration,
}

impl Progress {
    pub(crate) fn new(
        customers_done: u64,
        customers_total: u64,
        rows_done: u64,
        elapsed: Duration,
    ) -> Self {
        Self {
            customers_done,
            customers_total,
            rows_done,
            elapsed,
        }
    }

    /// Rows per second so far.
    pub fn rows_per_sec(&self) -> f64 {
        rate(self.rows_done, self.elapsed)
    }

    /// Share of customers done, 0–100.
    pub fn percent(&self) -> f64 {
        if self.customers_total == 0 {
            100.0
        } else {
            self.customers_done as f64 * 100.0 / self.customers_total as f64
        }
    }
}

fn rate(rows: u64, time: Duration) -> f64 {
    let secs = time.as_secs_f64();
    if secs > 0.0 { rows as f64 / secs } else { 0.0 }
}
