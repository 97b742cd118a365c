//! The date-of-birth signal of the PII scan: which values are calendar dates, and whether a column's dates, taken
//! together, look like people's birthdays rather than orders or sign-ups.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::checks::fits;

/// A calendar date: `YYYY-MM-DD`, or a date-time at midnight (how some databases hand out a DATE). Any other time
/// of day is an event, not a birthday.
pub(super) fn calendar_date(v: &str) -> Option<NaiveDate> {
    let day = v.get(..10)?;
    let midnight = matches!(
        v.get(10..),
        Some("" | " 00:00:00" | "T00:00:00Z" | "T00:00:00")
    );
    if !midnight || !fits(day, "9999-99-99") {
        return None;
    }
    let part = |r: std::ops::Range<usize>| day.get(r).and_then(|s| s.parse::<u32>().ok());
    NaiveDate::from_ymd_opt(i32::try_from(part(0..4)?).ok()?, part(5..7)?, part(8..10)?)
}

/// A column's dates, for the date-of-birth signal.
#[derive(Clone, Debug, Default)]
pub(super) struct DateSpread {
    dates: u64,
    /// Implied age 0–120 years (not in the future).
    plausible: u64,
    /// Less than 2 years old.
    recent: u64,
    years: BTreeMap<i32, u64>,
}

/// Fewer dates than this say nothing about their spread.
const MIN_DATES: u64 = 10;

impl DateSpread {
    pub(super) fn observe(&mut self, date: NaiveDate, today: NaiveDate) {
        self.dates += 1;
        *self.years.entry(date.year()).or_default() += 1;
        if let Some(age) = today.years_since(date).filter(|&a| a <= 120) {
            self.plausible += 1;
            self.recent += u64::from(age < 2);
        }
    }

    /// The sampled birth dates, or `None` unless the column as a whole looks like dates of birth. One date says
    /// nothing; a column of them does when: at least 10 dates, making up ≥ 90 % of the values; ≥ 95 % of them
    /// imply an age of 0–120 years; ≤ 5 % are under 2 years old; the middle 80 % (10th to 90th percentile year)
    /// spread over ≥ 20 years; and the newest tenth is ≥ 5 years old. Order, payment and sign-up dates fail the
    /// last three: even a business with 25 years of history has its most recent tenth within the last few years.
    pub(super) fn birth_dates(&self, values: u64, today: NaiveDate) -> Option<u64> {
        let d = self.dates as f64;
        let (p10, p90) = (self.year_quantile(0.1)?, self.year_quantile(0.9)?);
        let born = self.dates >= MIN_DATES
            && d >= 0.9 * values as f64
            && self.plausible as f64 >= 0.95 * d
            && self.recent as f64 <= 0.05 * d
            && p90 - p10 >= 20
            && p90 <= today.year() - 5;
        born.then_some(self.plausible)
    }

    /// The year at quantile `q` (0–1) of the sampled dates.
    fn year_quantile(&self, q: f64) -> Option<i32> {
        let rank = ((q * self.dates as f64).ceil() as u64).max(1);
        let mut seen = 0;
        self.years
            .iter()
            .find(|&(_, &count)| {
                seen += count;
                seen >= rank
            })
            .map(|(&year, _)| year)
    }
}
