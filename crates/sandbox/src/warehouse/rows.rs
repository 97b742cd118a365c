//! The rows of the demo warehouse, one struct per table, and [`Batch`], the rows of consecutive customers.

use chrono::{DateTime, NaiveDate, Utc};

/// A row of `customers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// Primary key, 1-based, in generation order.
    pub id: i64,
    /// Given name from the country's list (may contain accents).
    pub first_name: &'static str,
    /// Family name from the country's list (may contain spaces, accents, apostrophes).
    pub last_name: &'static str,
    /// Unique: derived from the name, ending in the customer id.
    pub email: String,
    /// E.164 (`+4915112345678`); `None` for about one customer in ten.
    pub phone: Option<String>,
    /// Street and house number in the country's order.
    pub street: String,
    /// Postal code in the country's format (`10115`, `1012 AB`, `SW1 4AB`).
    pub postal_code: String,
    /// City matching the postal code's prefix.
    pub city: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    /// Between 1940-01-01 and 2006-12-31.
    pub birth_date: NaiveDate,
    /// Whether the customer agreed to marketing e-mails (about 40 %).
    pub marketing_consent: bool,
    /// Whole seconds, UTC.
    pub created_at: DateTime<Utc>,
}

/// A row of `orders`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Primary key, 1-based, in generation order.
    pub id: i64,
    /// The customer (`customers.id`).
    pub customer_id: i64,
    /// Whole seconds, UTC, after the customer signed up.
    pub ordered_at: DateTime<Utc>,
    /// `pending`, `paid`, `shipped`, `delivered`, `cancelled` or `refunded`.
    pub status: &'static str,
    /// Order total in the currency's minor unit.
    pub total_cents: i64,
    /// ISO 4217 (`EUR`, `GBP`).
    pub currency: &'static str,
}

/// A row of `payments`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Primary key, 1-based, in generation order.
    pub id: i64,
    /// The order paid (or refunded).
    pub order_id: i64,
    /// `card`, `paypal`, `klarna`, `gift_card`, `bank_transfer`, `sepa_debit` or `direct_debit`.
    pub method: &'static str,
    /// 16 digits passing the Luhn check when `method` is `card`, else `None`.
    pub card_number: Option<String>,
    /// A valid IBAN for bank transfers and direct debits, else `None`.
    pub iban: Option<String>,
    /// Negative for a refund.
    pub amount_cents: i64,
    /// Whole seconds, UTC.
    pub paid_at: DateTime<Utc>,
}

/// A row of `support_tickets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportTicket {
    /// Primary key, 1-based, in generation order.
    pub id: i64,
    /// The customer (`customers.id`).
    pub customer_id: i64,
    /// Whole seconds, UTC, after the customer signed up.
    pub opened_at: DateTime<Utc>,
    /// One of a dozen subjects.
    pub subject: &'static str,
    /// Free text; sometimes contains an e-mail address, phone number, card number or IBAN.
    pub body: String,
}

/// Rows of consecutive customers, table by table, each table in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// `customers` rows.
    pub customers: Vec<Customer>,
    /// `orders` rows of those customers.
    pub orders: Vec<Order>,
    /// `payments` rows of those orders.
    pub payments: Vec<Payment>,
    /// `support_tickets` rows of those customers.
    pub support_tickets: Vec<SupportTicket>,
}

impl Batch {
    /// Rows in all four tables.
    pub fn total_rows(&self) -> usize {
        self.customers.len() + self.orders.len() + self.payments.len() + self.support_tickets.len()
    }
}
