//! One customer: country, name, e-mail derived from the name, E.164 phone, address in the country's format, birth
//! date, consent and sign-up time.

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use rand::{Rng, rngs::StdRng};

use super::{
    draw::pick,
    names::{Country, GLOBAL_MAIL_DOMAINS, PostalStyle, StreetStyle, ascii_fold, countries},
    rows::Customer,
};

/// 2019-01-01T00:00:00Z: the first customer sign-up.
const SIGNUPS_FROM: i64 = 1_546_300_800;
/// 2025-07-01T00:00:00Z: the last customer sign-up.
const SIGNUPS_UNTIL: i64 = 1_751_328_000;

/// A customer with id `id` from a country drawn by weight; returns the country too.
pub(crate) fn customer(rng: &mut StdRng, id: i64) -> (Customer, &'static Country) {
    let country = pick_country(rng);
    let first_name = pick(rng, &country.first_names);
    let last_name = pick(rng, &country.last_names);
    let email = email(rng, id, first_name, last_name, country);
    let phone = rng.random_ratio(9, 10).then(|| phone(rng, country));
    let (city, prefix) = pick(rng, &country.cities);
    let street = street(rng, country);
    let postal_code = postal_code(rng, country.postal, prefix);
    let birth_days = rng.random_range(0..=24_470); // 1940-01-01 ..= 2006-12-31
    let birth_date = NaiveDate::from_ymd_opt(1940, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(birth_days)))
        .unwrap_or_default();
    let marketing_consent = rng.random_ratio(2, 5);
    // Customers sign up once they are adults (the youngest turn 18 before the last sign-up).
    let adult = birth_date
        .checked_add_months(Months::new(18 * 12))
        .map_or(SIGNUPS_FROM, |d| {
            d.and_time(NaiveTime::MIN).and_utc().timestamp()
        });
    let signed_up = rng.random_range(SIGNUPS_FROM.max(adult)..SIGNUPS_UNTIL);
    let created_at = DateTime::<Utc>::from_timestamp(signed_up, 0).unwrap_or_default();
    let customer = Customer {
        id,
        first_name,
        last_name,
        email,
        phone,
        street,
        postal_code,
        city,
        country: country.code,
        birth_date,
        marketing_consent,
        created_at,
    };
    (customer, country)
}

fn pick_country(rng: &mut StdRng) -> &'static Country {
    let all = countries();
    let total: u32 = all.iter().map(|c| c.weight).sum();
    let mut x = rng.random_range(0..total);
    for c in all {
        if x < c.weight {
            return c;
        }
        x -= c.weight;
    }
    &all[0]
}

/// `anna.muller17@gmx.de` and variants. The local part always ends with the customer id right after letters, dots
/// or underscores, so two customers never share an address.
fn email(rng: &mut StdRng, id: i64, first: &str, last: &str, country: &Country) -> String {
    let (mut f, mut l) = (String::with_capacity(16), String::with_capacity(16));
    ascii_fold(first, &mut f);
    ascii_fold(last, &mut l);
    let mut s = String::with_capacity(48);
    match rng.random_range(0..5) {
        0 => s.extend([f.as_str(), ".", l.as_str()]),
        1 => s.extend([&f[..1], l.as_str()]),
        2 => s.extend([l.as_str(), "_", f.as_str()]),
        3 => s.extend([f.as_str(), l.as_str()]),
        _ => s.push_str(&f),
    }
    s.push_str(&id.to_string());
    s.push('@');
    s.push_str(if rng.random_ratio(2, 5) {
        pick(rng, &country.mail_domains)
    } else {
        pick(rng, GLOBAL_MAIL_DOMAINS)
    });
    s
}

/// An E.164 mobile number: `+`, country code, mobile prefix, subscriber digits, no spaces.
fn phone(rng: &mut StdRng, country: &Country) -> String {
    let mut s = String::with_capacity(16);
    s.push_str(pick(rng, &country.phone_prefixes));
    push_digits(rng, &mut s, country.phone_digits);
    s
}

fn street(rng: &mut StdRng, country: &Country) -> String {
    let name = pick(rng, &country.streets);
    let number = rng.random_range(1..=180u32);
    match country.street_style {
        StreetStyle::NameNumber => format!("{name} {number}"),
        StreetStyle::NameCommaNumber => format!("{name}, {number}"),
        StreetStyle::NumberName => format!("{number} {name}"),
    }
}

fn postal_code(rng: &mut StdRng, style: PostalStyle, prefix: &str) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRTUVWXYZ";
    // Royal Mail never uses C, I, K, M, O or V in the inward code.
    const INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let mut s = String::with_capacity(8);
    s.push_str(prefix);
    match style {
        PostalStyle::Digits(len) => push_digits(rng, &mut s, len.saturating_sub(prefix.len())),
        PostalStyle::Dutch => {
            push_digits(rng, &mut s, 4usize.saturating_sub(prefix.len()));
            s.push(' ');
            for _ in 0..2 {
                s.push(char::from(pick(rng, LETTERS)));
            }
        }
        PostalStyle::British => {
            s.push_str(&rng.random_range(1..=20u32).to_string());
            s.push(' ');
            push_digits(rng, &mut s, 1);
            for _ in 0..2 {
                s.push(char::from(pick(rng, INWARD)));
            }
        }
    }
    s
}

fn push_digits(rng: &mut StdRng, s: &mut String, n: usize) {
    for _ in 0..n {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn customers_look_plausible() {
        let mut rng = StdRng::seed_from_u64(5);
        for id in 1..=2000 {
            let (c, country) = customer(&mut rng, id);
            assert!(c.email.contains(&format!("{id}@")), "{}", c.email);
            assert!(c.email.is_ascii());
            if let Some(p) = &c.phone {
                assert!(
                    p.starts_with('+') && p[1..].bytes().all(|b| b.is_ascii_digit()),
                    "{p}"
                );
                assert!((11..=15).contains(&p.len()), "{p}");
            }
            match country.postal {
                PostalStyle::Digits(n) => assert_eq!(c.postal_code.len(), n, "{}", c.postal_code),
                PostalStyle::Dutch => assert_eq!(c.postal_code.len(), 7, "{}", c.postal_code),
                PostalStyle::British => assert!(c.postal_code.contains(' '), "{}", c.postal_code),
            }
            let adult = c
                .birth_date
                .checked_add_months(chrono::Months::new(18 * 12));
            assert!(
                adult.is_some_and(|a| a <= c.created_at.date_naive()),
                "{c:?}"
            );
            let year = c.birth_date.format("%Y").to_string();
            assert!(
                ("1940".."2007").contains(&year.as_str()),
                "{}",
                c.birth_date
            );
        }
    }
}
