//! The pure generator: customers and everything that belongs to them (orders, payments, support tickets), from a
//! seed, with no database. Each customer draws from its own RNG seeded by `(seed, customer number)` and ids are
//! handed out in order, so the same `rows` and seed give the same rows on every run, whatever the batch size.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::{
    draw::{pick, splitmix, timestamp, weighted},
    iban::random_iban,
    luhn::random_card,
    names::Country,
    person::customer,
    rows::{Batch, Order, Payment, SupportTicket},
    text::{TicketContext, ticket},
};

/// 2026-01-01T00:00:00Z: everything happens before this.
const HISTORY_UNTIL: i64 = 1_767_225_600;
/// Order statuses, drawn with the weights in [`Generator::order`].
const STATUSES: [&str; 6] = [
    "delivered",
    "shipped",
    "paid",
    "pending",
    "cancelled",
    "refunded",
];

/// Deterministic stream of demo rows for `rows` customers. As an [`Iterator`] it yields one [`Batch`] per
/// customer (the customer with its orders, payments and tickets); [`Generator::next_batch`] makes bigger ones.
#[derive(Clone, Debug)]
pub struct Generator {
    rows: u64,
    seed: u64,
    next: u64,
    next_order: i64,
    next_payment: i64,
    next_ticket: i64,
}

/// What one customer pays with.
struct Wallet {
    cards: Vec<String>,
    iban: String,
}

impl Generator {
    /// A generator of `rows` customers from `seed`.
    pub fn new(rows: u64, seed: u64) -> Self {
        Self {
            rows,
            seed,
            next: 0,
            next_order: 1,
            next_payment: 1,
            next_ticket: 1,
        }
    }

    /// Customers not generated yet.
    pub fn remaining(&self) -> u64 {
        self.rows - self.next
    }

    /// The next `customers` customers (fewer at the end) with all their rows; `None` when done.
    pub fn next_batch(&mut self, customers: usize) -> Option<Batch> {
        let n = usize::try_from(self.remaining())
            .unwrap_or(usize::MAX)
            .min(customers);
        if n == 0 {
            return None;
        }
        let mut batch = Batch {
            customers: Vec::with_capacity(n),
            orders: Vec::with_capacity(n * 7 / 2),
            payments: Vec::with_capacity(n * 7 / 2),
            support_tickets: Vec::with_capacity(n * 3 / 4),
        };
        for _ in 0..n {
            self.push_customer(&mut batch);
        }
        Some(batch)
    }

    fn push_customer(&mut self, batch: &mut Batch) {
        let index = self.next;
        self.next += 1;
        let mut rng = StdRng::seed_from_u64(splitmix(self.seed ^ splitmix(index)));
        let id = i64::try_from(index + 1).unwrap_or(i64::MAX);
        let (customer, country) = customer(&mut rng, id);
        let wallet = Wallet {
            cards: (0..rng.random_range(1..=2))
                .map(|_| random_card(&mut rng))
                .collect(),
            iban: random_iban(&mut rng, country.code),
        };
        let since = customer.created_at.timestamp();

        let (first_order, first_payment) = (batch.orders.len(), batch.payments.len());
        for at in times(&mut rng, &[9, 15, 18, 20, 15, 11, 8, 4], since) {
            let order = self.order(&mut rng, customer.id, at, country.currency);
            self.pay(&mut rng, &order, &wallet, country, &mut batch.payments);
            batch.orders.push(order);
        }
        let orders = &batch.orders[first_order..];
        let card_used = batch.payments[first_payment..]
            .iter()
            .find_map(|p| p.card_number.as_deref());

        for at in times(&mut rng, &[65, 22, 10, 3], since) {
            let opened_at = timestamp(at);
            let cx = TicketContext {
                first_name: customer.first_name,
                last_name: customer.last_name,
                email: &customer.email,
                phone: customer.phone.as_deref(),
                order: orders
                    .iter()
                    .rev()
                    .find(|o| o.ordered_at <= opened_at)
                    .map(|o| (o.id, o.ordered_at)),
                card: card_used,
                iban: &wallet.iban,
                mail_domain: pick(&mut rng, &country.mail_domains),
            };
            let (subject, body) = ticket(&mut rng, &cx);
            let id = self.next_ticket;
            self.next_ticket += 1;
            batch.support_tickets.push(SupportTicket {
                id,
                customer_id: customer.id,
                opened_at,
                subject,
                body,
            });
        }
        batch.customers.push(customer);
    }

    fn order(
        &mut self,
        rng: &mut StdRng,
        customer_id: i64,
        at: i64,
        currency: &'static str,
    ) -> Order {
        let status = STATUSES[weighted(rng, &[80, 5, 3, 3, 6, 3])];
        let total_cents = match rng.random_range(0..100) {
            0..50 => rng.random_range(990..5_000),
            50..85 => rng.random_range(5_000..15_000),
            85..97 => rng.random_range(15_000..50_000),
            _ => rng.random_range(50_000..250_000),
        };
        let id = self.next_order;
        self.next_order += 1;
        Order {
            id,
            customer_id,
            ordered_at: timestamp(at),
            status,
            total_cents,
            currency,
        }
    }

    /// Payments of one order: none while pending or once cancelled; sometimes a gift card covers part; a refunded
    /// order has its payment and a negative refund on the same method.
    fn pay(
        &mut self,
        rng: &mut StdRng,
        order: &Order,
        wallet: &Wallet,
        country: &Country,
        out: &mut Vec<Payment>,
    ) {
        if matches!(order.status, "pending" | "cancelled") {
            return;
        }
        let method = match weighted(rng, &[55, 18, 12, 8, 7]) {
            0 => "card",
            1 => "paypal",
            2 => country.debit_method,
            3 => "bank_transfer",
            _ => "klarna",
        };
        let delay = match method {
            "bank_transfer" => rng.random_range(86_400..5 * 86_400),
            "sepa_debit" | "direct_debit" => rng.random_range(86_400..3 * 86_400),
            _ => rng.random_range(5..900),
        };
        let (at, total) = (order.ordered_at.timestamp(), order.total_cents);
        let card = &wallet.cards[rng.random_range(0..wallet.cards.len())];
        let mut push = |method: &'static str, amount_cents: i64, paid_at: i64| {
            out.push(Payment {
                id: self.next_payment,
                order_id: order.id,
                method,
                card_number: (method == "card").then(|| card.clone()),
                iban: matches!(method, "bank_transfer" | "sepa_debit" | "direct_debit")
                    .then(|| wallet.iban.clone()),
                amount_cents,
                paid_at: timestamp(paid_at),
            });
            self.next_payment += 1;
        };
        if order.status == "refunded" {
            let refund_at = at + delay + rng.random_range(3 * 86_400..30 * 86_400);
            push(method, total, at + delay);
            push(method, -total, refund_at.min(HISTORY_UNTIL - 1));
        } else if total > 2_000 && rng.random_ratio(7, 100) {
            let gift = rng.random_range(500..=(total - 1_000).min(5_000));
            push("gift_card", gift, at + 2);
            push(method, total - gift, at + delay);
        } else {
            push(method, total, at + delay);
        }
    }
}

impl Iterator for Generator {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        self.next_batch(1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// A count drawn from `weights` (index = count) of sorted seconds in `[since, HISTORY_UNTIL)`.
fn times(rng: &mut StdRng, weights: &[u32], since: i64) -> Vec<i64> {
    let n = weighted(rng, weights);
    let mut v: Vec<i64> = (0..n)
        .map(|_| rng.random_range(since..HISTORY_UNTIL))
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_does_not_change_the_rows() {
        let one_by_one: Vec<Batch> = Generator::new(300, 9).collect();
        let mut big = Generator::new(300, 9);
        let (a, b) = (big.next_batch(120), big.next_batch(1000));
        let merged: Vec<_> = a
            .iter()
            .chain(b.iter())
            .flat_map(|b| b.orders.clone())
            .collect();
        let single: Vec<_> = one_by_one.iter().flat_map(|b| b.orders.clone()).collect();
        assert_eq!(merged, single);
        assert!(big.next_batch(10).is_none());
    }

    #[test]
    fn payments_cover_paid_orders() {
        let batch = Generator::new(2000, 1).next_batch(2000).unwrap_or_default();
        for o in &batch.orders {
            let paid: i64 = batch
                .payments
                .iter()
                .filter(|p| p.order_id == o.id)
                .map(|p| p.amount_cents)
                .sum();
            match o.status {
                "pending" | "cancelled" | "refunded" => assert_eq!(paid, 0, "{o:?}"),
                _ => assert_eq!(paid, o.total_cents, "{o:?}"),
            }
        }
    }
}
