//! Support ticket subjects and bodies: short customer messages that, like real ones, sometimes carry an e-mail
//! address, a phone number, a card number or an IBAN typed by the customer.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::{luhn::random_card, names::ascii_fold};

/// What a customer knows when writing a ticket.
pub(crate) struct TicketContext<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    /// The customer's most recent order before the ticket: id and date.
    pub order: Option<(i64, DateTime<Utc>)>,
    /// A card the customer paid with, if any.
    pub card: Option<&'a str>,
    pub iban: &'a str,
    pub mail_domain: &'a str,
}

const SUBJECTS: &[&str] = &[
    "Where is my order?",
    "Charged twice",
    "Please change my email address",
    "Unsubscribe me",
    "Delete my account",
    "Copy of my personal data",
    "Wrong item received",
    "Refund not received",
    "Cannot log in",
    "Payment declined",
    "Invoice needed",
    "Damaged parcel",
];

/// A subject and body for one ticket.
pub(crate) fn ticket(rng: &mut impl Rng, cx: &TicketContext<'_>) -> (&'static str, String) {
    let kind = rng.random_range(0..SUBJECTS.len());
    let mut body = String::with_capacity(320);
    let greeting = [
        "Hi,",
        "Hello,",
        "Dear support team,",
        "Hi there,",
        "Good morning,",
    ];
    body.push_str(greeting[rng.random_range(0..greeting.len())]);
    body.push_str("\n\n");
    let order = match cx.order {
        Some((id, at)) => format!("order #{id} from {}", at.format("%d/%m/%Y")),
        None => "my last order".to_owned(),
    };
    let _ = match kind {
        0 => write!(
            body,
            "I placed {order} and it still hasn't arrived. Can you check what is going on?"
        ),
        1 => {
            let _ = write!(
                body,
                "I was charged twice for {order}. Please refund one of the payments."
            );
            if let Some(card) = cx.card.filter(|_| rng.random_ratio(1, 2)) {
                let _ = write!(body, " The card is {}.", typed_card(rng, card));
            }
            Ok(())
        }
        2 => {
            let mut new = String::with_capacity(40);
            ascii_fold(cx.first_name, &mut new);
            new.push('.');
            ascii_fold(cx.last_name, &mut new);
            write!(
                body,
                "Please change the email on my account from {} to {new}@{}, I no longer use the old one.",
                cx.email, cx.mail_domain
            )
        }
        3 => write!(
            body,
            "Please stop sending me marketing emails. I never signed up for them."
        ),
        4 => write!(
            body,
            "I want my account and all my personal data deleted (GDPR art. 17). Confirm when done."
        ),
        5 => write!(
            body,
            "Under GDPR art. 15 I would like a copy of all the personal data you hold about me."
        ),
        6 => write!(
            body,
            "I received the wrong item in {order}. What do I need to do to exchange it?"
        ),
        7 => write!(
            body,
            "You promised a refund for {order} two weeks ago and nothing has arrived on my account {}.",
            spaced(cx.iban, 4)
        ),
        8 => write!(
            body,
            "The password reset link never arrives at {}. I checked spam too.",
            cx.email
        ),
        9 => match cx.card.filter(|_| rng.random_ratio(2, 5)) {
            Some(card) => write!(
                body,
                "My card {} keeps getting declined at checkout.",
                typed_card(rng, card)
            ),
            None => write!(
                body,
                "My payment keeps getting declined at checkout, but the card works elsewhere."
            ),
        },
        10 => write!(
            body,
            "Could you send me an invoice for {order} with my company name on it?"
        ),
        _ => write!(
            body,
            "The parcel for {order} arrived damaged. I have photos if you need them."
        ),
    };
    if let Some(phone) = cx.phone.filter(|_| rng.random_ratio(1, 4)) {
        let _ = write!(body, "\nYou can call me on {}.", typed_phone(rng, phone));
    }
    if kind != 2 && kind != 8 && rng.random_ratio(1, 8) {
        let _ = write!(body, "\nMy email is {} in case you need it.", cx.email);
    }
    if kind != 1 && kind != 9 && rng.random_ratio(1, 30) {
        let card = cx.card.map_or_else(|| random_card(rng), str::to_owned);
        let _ = write!(
            body,
            "\nHere are my card details so you can sort it out: {}",
            typed_card(rng, &card)
        );
    }
    let _ = match rng.random_range(0..3) {
        0 => write!(body, "\n\nThanks,\n{}", cx.first_name),
        1 => write!(
            body,
            "\n\nKind regards,\n{} {}",
            cx.first_name, cx.last_name
        ),
        _ => write!(body, "\n\n{}", cx.first_name),
    };
    (SUBJECTS[kind], body)
}

/// A card number as a customer types it: plain, in groups of four, or with dashes.
fn typed_card(rng: &mut impl Rng, card: &str) -> String {
    match rng.random_range(0..3) {
        0 => card.to_owned(),
        1 => spaced(card, 4),
        _ => grouped(card, 4, '-'),
    }
}

/// A phone number as typed: E.164 as stored, or with a space after the country code.
fn typed_phone(rng: &mut impl Rng, phone: &str) -> String {
    if rng.random_ratio(1, 2) || phone.len() < 4 {
        phone.to_owned()
    } else {
        format!("{} {}", &phone[..3], &phone[3..])
    }
}

fn spaced(s: &str, n: usize) -> String {
    grouped(s, n, ' ')
}

fn grouped(s: &str, n: usize, sep: char) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / n);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % n == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;
    use crate::warehouse::luhn_valid;

    #[test]
    fn bodies_sometimes_carry_personal_data() {
        let mut rng = StdRng::seed_from_u64(11);
        let cx = TicketContext {
            first_name: "Anna",
            last_name: "de Vries",
            email: "anna.devries12@ziggo.nl",
            phone: Some("+31612345678"),
            order: Some((
                42,
                DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            )),
            card: Some("4111111111111111"),
            iban: "NL91ABNA0417164300",
            mail_domain: "gmail.com",
        };
        let (mut emails, mut phones, mut cards) = (0, 0, 0);
        for _ in 0..2000 {
            let (subject, body) = ticket(&mut rng, &cx);
            assert!(!subject.is_empty() && body.len() > 20);
            emails += usize::from(body.contains('@'));
            phones += usize::from(body.contains("+31"));
            let card = body
                .split(['\n', ' '])
                .any(|w| w.trim_end_matches('.').len() == 19 && luhn_valid(w))
                || body.contains("4111111111111111");
            cards += usize::from(card);
        }
        assert!(
            emails > 200 && phones > 200 && cards > 30,
            "{emails} {phones} {cards}"
        );
    }

    #[test]
    fn grouping() {
        assert_eq!(spaced("4111111111111111", 4), "4111 1111 1111 1111");
        assert_eq!(grouped("12345", 2, '-'), "12-34-5");
    }
}
