//! Turning generated rows into what each engine loads: bind parameters of a multi-row `INSERT` (SQLite, MySQL) or
//! the text format of PostgreSQL's `COPY … FROM STDIN`. Runs on the generator thread, off the writer's path.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Arguments, error::BoxDynError, mysql::MySqlArguments, sqlite::SqliteArguments};

use super::{
    rows::{Customer, Order, Payment, SupportTicket},
    schema::{CUSTOMERS, ORDERS, PAYMENTS, SUPPORT_TICKETS, Table},
};

/// Receives the values of rows, column by column in the table's order.
pub(crate) trait Sink {
    fn int(&mut self, v: i64);
    fn text(&mut self, v: &str);
    fn opt_text(&mut self, v: Option<&str>);
    fn boolean(&mut self, v: bool);
    fn date(&mut self, v: NaiveDate);
    fn timestamp(&mut self, v: DateTime<Utc>);
    /// Called after the last column of each row.
    fn end_row(&mut self) {}
}

/// A generated row that knows its table and how to hand its values to a [`Sink`].
pub(crate) trait Row {
    const TABLE: &'static Table;
    fn write(&self, s: &mut impl Sink);
}

impl Row for Customer {
    const TABLE: &'static Table = &CUSTOMERS;
    fn write(&self, s: &mut impl Sink) {
        s.int(self.id);
        s.text(self.first_name);
        s.text(self.last_name);
        s.text(&self.email);
        s.opt_text(self.phone.as_deref());
        s.text(&self.street);
        s.text(&self.postal_code);
        s.text(self.city);
        s.text(self.country);
        s.date(self.birth_date);
        s.boolean(self.marketing_consent);
        s.timestamp(self.created_at);
        s.end_row();
    }
}

impl Row for Order {
    const TABLE: &'static Table = &ORDERS;
    fn write(&self, s: &mut impl Sink) {
        s.int(self.id);
        s.int(self.customer_id);
        s.timestamp(self.ordered_at);
        s.text(self.status);
        s.int(self.total_cents);
        s.text(self.currency);
        s.end_row();
    }
}

impl Row for Payment {
    const TABLE: &'static Table = &PAYMENTS;
    fn write(&self, s: &mut impl Sink) {
        s.int(self.id);
        s.int(self.order_id);
        s.text(self.method);
        s.opt_text(self.card_number.as_deref());
        s.opt_text(self.iban.as_deref());
        s.int(self.amount_cents);
        s.timestamp(self.paid_at);
        s.end_row();
    }
}

impl Row for SupportTicket {
    const TABLE: &'static Table = &SUPPORT_TICKETS;
    fn write(&self, s: &mut impl Sink) {
        s.int(self.id);
        s.int(self.customer_id);
        s.timestamp(self.opened_at);
        s.text(self.subject);
        s.text(&self.body);
        s.end_row();
    }
}

/// `YYYY-MM-DD HH:MM:SS`, UTC: how timestamps are stored in SQLite.
pub(crate) fn sqlite_timestamp(v: DateTime<Utc>) -> String {
    v.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Bind parameters being collected for one statement; the first encoding error is kept for the writer.
pub(crate) struct Binds<A> {
    pub args: A,
    pub error: Option<BoxDynError>,
}

impl<A: Arguments> Binds<A> {
    fn add<'t, T: sqlx::Encode<'t, A::Database> + sqlx::Type<A::Database>>(&mut self, v: T) {
        if let Err(e) = self.args.add(v) {
            self.error.get_or_insert(e);
        }
    }
}

macro_rules! common_binds {
    () => {
        fn int(&mut self, v: i64) {
            self.add(v)
        }
        fn text(&mut self, v: &str) {
            self.add(v)
        }
        fn opt_text(&mut self, v: Option<&str>) {
            self.add(v)
        }
        fn boolean(&mut self, v: bool) {
            self.add(v)
        }
    };
}

impl Sink for Binds<SqliteArguments> {
    common_binds!();
    fn date(&mut self, v: NaiveDate) {
        self.add(v.format("%Y-%m-%d").to_string())
    }
    fn timestamp(&mut self, v: DateTime<Utc>) {
        self.add(sqlite_timestamp(v))
    }
}

impl Sink for Binds<MySqlArguments> {
    common_binds!();
    fn date(&mut self, v: NaiveDate) {
        self.add(v)
    }
    fn timestamp(&mut self, v: DateTime<Utc>) {
        self.add(v.naive_utc())
    }
}

/// Rows in PostgreSQL's `COPY` text format: tab-separated, `\N` for NULL, backslash escapes.
#[derive(Default)]
pub(crate) struct CopyText {
    pub data: Vec<u8>,
    at_row_start: bool,
}

impl CopyText {
    /// An empty buffer with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            at_row_start: true,
        }
    }

    fn sep(&mut self) {
        if !std::mem::replace(&mut self.at_row_start, false) {
            self.data.push(b'\t');
        }
    }

    fn raw(&mut self, v: impl std::fmt::Display) {
        use std::io::Write;
        self.sep();
        let _ = write!(self.data, "{v}");
    }
}

impl Sink for CopyText {
    fn int(&mut self, v: i64) {
        self.raw(v)
    }
    fn text(&mut self, v: &str) {
        self.sep();
        for &b in v.as_bytes() {
            match b {
                b'\\' => self.data.extend_from_slice(b"\\\\"),
                b'\t' => self.data.extend_from_slice(b"\\t"),
                b'\n' => self.data.extend_from_slice(b"\\n"),
                b'\r' => self.data.extend_from_slice(b"\\r"),
                _ => self.data.push(b),
            }
        }
    }
    fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.raw("\\N"),
        }
    }
    fn boolean(&mut self, v: bool) {
        self.raw(if v { 't' } else { 'f' })
    }
    fn date(&mut self, v: NaiveDate) {
        self.raw(v.format("%Y-%m-%d"))
    }
    fn timestamp(&mut self, v: DateTime<Utc>) {
        self.raw(v.format("%Y-%m-%d %H:%M:%S+00"))
    }
    fn end_row(&mut self) {
        self.data.push(b'\n');
        self.at_row_start = true;
    }
}

/// Column list of a table: `a, b, c`.
pub(crate) fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `INSERT` statements with `?` placeholders, built once per table and row count.
#[derive(Default)]
pub(crate) struct InsertSql(HashMap<(&'static str, usize), Arc<str>>);

impl InsertSql {
    /// `INSERT INTO t (…) VALUES (?, …), …` for `rows` rows.
    pub fn get(&mut self, table: &'static Table, rows: usize) -> Arc<str> {
        self.0
            .entry((table.name, rows))
            .or_insert_with(|| {
                let one = format!("({})", vec!["?"; table.columns.len()].join(", "));
                let values = vec![one.as_str(); rows].join(", ");
                format!(
                    "INSERT INTO {} ({}) VALUES {values}",
                    table.name,
                    column_list(table)
                )
                .into()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut c = CopyText::with_capacity(64);
        c.int(1);
        c.text("a\tb\\c\nd");
        c.opt_text(None);
        c.boolean(true);
        c.end_row();
        c.int(2);
        c.end_row();
        assert_eq!(
            String::from_utf8_lossy(&c.data),
            "1\ta\\tb\\\\c\\nd\t\\N\tt\n2\n"
        );
    }

    #[test]
    fn insert_sql_shape() {
        let sql = InsertSql::default().get(&ORDERS, 2);
        assert_eq!(
            &*sql,
            "INSERT INTO orders (id, customer_id, ordered_at, status, total_cents, currency) \
             VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)"
        );
    }
}
