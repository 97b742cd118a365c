//! The dashboard's window: whole ISO weeks (Monday 00:00 UTC to Sunday) ending with the current one, how many of
//! them a caller may ask for, and which week a moment falls in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};

/// Weeks shown when the caller does not say.
pub const DEFAULT_WEEKS: u32 = 12;

/// The longest window (two years).
pub const MAX_WEEKS: u32 = 104;

/// `weeks` whole ISO weeks ending with the one that contains `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    weeks: u32,
    first_monday: NaiveDate,
    now: DateTime<Utc>,
}

impl Window {
    /// The window of `weeks` (clamped to 1..=[`MAX_WEEKS`]) ending with the week of `now`.
    pub fn ending(now: DateTime<Utc>, weeks: u32) -> Self {
        let weeks = weeks.clamp(1, MAX_WEEKS);
        let today = now.date_naive();
        let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        Self {
            weeks,
            first_monday: this_monday - Duration::weeks(i64::from(weeks - 1)),
            now,
        }
    }

    /// The `weeks` query parameter: absent means [`DEFAULT_WEEKS`]; otherwise a whole number from 1 to
    /// [`MAX_WEEKS`], or a message saying what is wrong.
    pub fn parse_weeks(raw: Option<&str>) -> Result<u32, String> {
        let Some(raw) = raw else {
            return Ok(DEFAULT_WEEKS);
        };
        match raw.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_WEEKS).contains(&n) => Ok(n),
            _ => Err(format!(
                "weeks must be a whole number from 1 to {MAX_WEEKS}, not {:?}",
                raw.chars().take(20).collect::<String>()
            )),
        }
    }

    /// How many weeks.
    pub fn weeks(&self) -> u32 {
        self.weeks
    }

    /// When the figures were computed.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The first week's Monday, 00:00 UTC.
    pub fn start(&self) -> DateTime<Utc> {
        self.first_monday.and_time(NaiveTime::MIN).and_utc()
    }

    /// Monday of week `i` (0 = the first).
    pub fn monday(&self, i: usize) -> NaiveDate {
        self.first_monday + Duration::weeks(i64::try_from(i).unwrap_or(i64::MAX / 8))
    }

    /// The last day of the window (Sunday of the current week).
    pub fn last_day(&self) -> NaiveDate {
        self.monday(self.len() - 1) + Duration::days(6)
    }

    /// Number of weeks, as an index bound.
    pub fn len(&self) -> usize {
        self.weeks as usize
    }

    /// A window always has at least one week.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The week `t` falls in, if it is in the window (a moment after the current week counts in the last one).
    pub fn week_of(&self, t: DateTime<Utc>) -> Option<usize> {
        let days = (t.date_naive() - self.first_monday).num_days();
        if days < 0 {
            return None;
        }
        let i = usize::try_from(days / 7).ok()?;
        Some(i.min(self.len() - 1))
    }
}

/// The ISO week of a Monday, as `2026-W48`.
pub fn iso_label(monday: NaiveDate) -> String {
    monday.format("%G-W%V").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_end_with_the_current_one() {
        // Wednesday 26 Nov 2025.
        let w = Window::ending(at(2025, 11, 26, 15), 3);
        assert_eq!(w.start(), at(2025, 11, 10, 0));
        assert_eq!(w.last_day(), NaiveDate::from_ymd_opt(2025, 11, 30).unwrap());
        assert_eq!(iso_label(w.monday(2)), "2025-W48");
        assert_eq!(w.week_of(at(2025, 11, 9, 23)), None);
        assert_eq!(w.week_of(at(2025, 11, 10, 0)), Some(0));
        assert_eq!(w.week_of(at(2025, 11, 23, 23)), Some(1));
        assert_eq!(w.week_of(at(2025, 11, 24, 0)), Some(2));
        assert_eq!(
            w.week_of(at(2025, 12, 24, 0)),
            Some(2),
            "clock skew lands in the last week"
        );
        // On a Monday, the current week starts today.
        let w = Window::ending(at(2025, 11, 24, 0), 1);
        assert_eq!(w.start(), at(2025, 11, 24, 0));
    }

    #[test]
    fn weeks_parameter_is_bounded() {
        assert_eq!(Window::parse_weeks(None), Ok(DEFAULT_WEEKS));
        assert_eq!(Window::parse_weeks(Some("1")), Ok(1));
        assert_eq!(Window::parse_weeks(Some("104")), Ok(104));
        for bad in ["0", "105", "abc", "", "-3", "2.5"] {
            let e = Window::parse_weeks(Some(bad)).unwrap_err();
            assert!(e.contains("from 1 to 104"), "{bad}: {e}");
        }
    }
}
