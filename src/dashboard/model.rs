//! What the dashboard shows: outcomes and roles with their names and colours (Atlassian's palette), the computed
//! figures, and how durations read.

use chrono::{DateTime, NaiveDate, Utc};

use super::window::Window;
use crate::model::State;

/// Where a request stands now, for the weekly bars (stacked in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered: the file is on the issue and its secret reached everyone.
    Delivered,
    /// Delivered, then removed at the end of its retention.
    Expired,
    /// Still in progress (new up to awaiting delivery).
    Open,
    /// The extraction or delivery failed.
    Failed,
    /// Rejected by an analyst or a privacy officer.
    Rejected,
    /// Label removed or issue deleted.
    Cancelled,
}

impl Outcome {
    /// Every outcome, in stacking and legend order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Delivered,
        Outcome::Expired,
        Outcome::Open,
        Outcome::Failed,
        Outcome::Rejected,
        Outcome::Cancelled,
    ];

    /// The outcome of a request in `state`.
    pub fn of(state: State) -> Self {
        match state {
            State::Delivered => Outcome::Delivered,
            State::Expired => Outcome::Expired,
            State::Failed => Outcome::Failed,
            State::Rejected => Outcome::Rejected,
            State::Cancelled => Outcome::Cancelled,
            State::New
            | State::InReview
            | State::AwaitingPrivacyApproval
            | State::Approved
            | State::Extracting
            | State::AwaitingDelivery => Outcome::Open,
        }
    }

    /// Position in [`Outcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in the CSV.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Expired => "expired",
            Outcome::Open => "open",
            Outcome::Failed => "failed",
            Outcome::Rejected => "rejected",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// Name on the page.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "Delivered",
            Outcome::Expired => "Expired",
            Outcome::Open => "Still open",
            Outcome::Failed => "Failed",
            Outcome::Rejected => "Rejected",
            Outcome::Cancelled => "Cancelled",
        }
    }

    /// Bar colour.
    pub fn colour(self) -> &'static str {
        match self {
            Outcome::Delivered => "#36B37E",
            Outcome::Expired => "#6554C0",
            Outcome::Open => "#0065FF",
            Outcome::Failed => "#FFAB00",
            Outcome::Rejected => "#FF5630",
            Outcome::Cancelled => "#97A0AF",
        }
    }
}

/// Who a request is waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// New, in review, approved: claim, plan, dry run, submit, extract.
    Analyst,
    /// Awaiting privacy approval.
    PrivacyOfficer,
    /// Extracting: Clearance builds and uploads the file.
    Clearance,
    /// Awaiting delivery: the secret has not reached the requester (or another recipient) through Slack yet.
    Delivery,
}

impl Role {
    /// Every role, in the order shown.
    pub const ALL: [Role; 4] = [
        Role::Analyst,
        Role::PrivacyOfficer,
        Role::Clearance,
        Role::Delivery,
    ];

    /// Whom a request in `state` waits on; `None` when nobody is expected to act.
    pub fn waited_on_in(state: State) -> Option<Self> {
        match state {
            State::New | State::InReview | State::Approved => Some(Role::Analyst),
            State::AwaitingPrivacyApproval => Some(Role::PrivacyOfficer),
            State::Extracting => Some(Role::Clearance),
            State::AwaitingDelivery => Some(Role::Delivery),
            State::Delivered
            | State::Expired
            | State::Rejected
            | State::Failed
            | State::Cancelled => None,
        }
    }

    /// Position in [`Role::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in the CSV.
    pub fn key(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::PrivacyOfficer => "privacy_officer",
            Role::Clearance => "clearance",
            Role::Delivery => "requester_slack",
        }
    }

    /// Name on the page.
    pub fn label(self) -> &'static str {
        match self {
            Role::Analyst => "Analyst",
            Role::PrivacyOfficer => "Privacy officer",
            Role::Clearance => "Clearance (extraction)",
            Role::Delivery => "Requester / Slack",
        }
    }

    /// What the stretch covers, for the table.
    pub fn covers(self) -> &'static str {
        match self {
            Role::Analyst => "new, in review, approved",
            Role::PrivacyOfficer => "awaiting privacy approval",
            Role::Clearance => "extracting",
            Role::Delivery => "awaiting delivery",
        }
    }
}

/// Median and 90th percentile of some durations, in hours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// How many durations.
    pub count: usize,
    /// Median (the mean of the two middle values for an even count).
    pub median: f64,
    /// 90th percentile, nearest rank.
    pub p90: f64,
}

impl Spread {
    /// The spread of `hours`; `None` when there are none.
    pub fn of(mut hours: Vec<f64>) -> Option<Self> {
        if hours.is_empty() {
            return None;
        }
        hours.sort_by(f64::total_cmp);
        let n = hours.len();
        let median = if n % 2 == 1 {
            hours[n / 2]
        } else {
            (hours[n / 2 - 1] + hours[n / 2]) / 2.0
        };
        // Nearest rank: the smallest value with at least 90 % of the values at or below it.
        let rank = (n * 9).div_ceil(10).max(1);
        Some(Self {
            count: n,
            median,
            p90: hours[rank - 1],
        })
    }
}

/// One week's bars.
#[derive(Clone, Debug, PartialEq)]
pub struct Week {
    /// Its Monday.
    pub monday: NaiveDate,
    /// Requests picked up that week, by [`Outcome::index`].
    pub outcomes: [u64; 6],
    /// Rows in files attached that week.
    pub rows: i64,
    /// Files attached that week.
    pub deliveries: u64,
}

impl Week {
    /// Requests picked up that week.
    pub fn requests(&self) -> u64 {
        self.outcomes.iter().sum()
    }
}

/// A lead time.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadTime {
    /// Name in the CSV.
    pub key: &'static str,
    /// Name on the page.
    pub label: &'static str,
    /// Over the requests that got there; `None` when none did.
    pub spread: Option<Spread>,
}

/// Time waiting on one role.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleWait {
    /// The role.
    pub role: Role,
    /// Per request, over the requests that were ever waiting on it.
    pub spread: Option<Spread>,
    /// Sum over those requests, in hours.
    pub total_hours: f64,
}

/// One personal-data category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PiiCount {
    /// Name in the CSV (`email`, `free_text`…).
    pub key: String,
    /// Name on the page.
    pub label: String,
    /// Requests whose scan flagged it.
    pub requests: u64,
    /// Columns flagged with it.
    pub columns: u64,
}

/// A file whose retention ends soon.
#[derive(Clone, Debug, PartialEq)]
pub struct Expiry {
    /// Issue key.
    pub issue_key: String,
    /// Issue summary (from Jira: escaped wherever it is shown).
    pub summary: String,
    /// The attached file.
    pub file_name: String,
    /// When the sweep removes it.
    pub expires_at: DateTime<Utc>,
}

/// Everything the page and the CSV show.
#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    /// The weeks covered.
    pub window: Window,
    /// One per week of the window, oldest first.
    pub weeks: Vec<Week>,
    /// To approval, to delivery.
    pub lead_times: Vec<LeadTime>,
    /// One per [`Role::ALL`].
    pub waiting: Vec<RoleWait>,
    /// Categories flagged, most requests first.
    pub pii: Vec<PiiCount>,
    /// Requests with a stored scan.
    pub scanned: u64,
    /// Files whose retention ends soon, soonest first.
    pub expiries: Vec<Expiry>,
}

impl Dashboard {
    /// Requests picked up in the window.
    pub fn requests(&self) -> u64 {
        self.weeks.iter().map(Week::requests).sum()
    }

    /// Requests in the window with this outcome.
    pub fn with_outcome(&self, o: Outcome) -> u64 {
        self.weeks.iter().map(|w| w.outcomes[o.index()]).sum()
    }

    /// Rows delivered in the window.
    pub fn rows(&self) -> i64 {
        self.weeks.iter().map(|w| w.rows).sum()
    }

    /// Files attached in the window.
    pub fn deliveries(&self) -> u64 {
        self.weeks.iter().map(|w| w.deliveries).sum()
    }
}

/// A duration in hours as people read it: `12 min`, `5.2 h`, `3.4 days`.
pub fn duration_text(hours: f64) -> String {
    if !hours.is_finite() || hours <= 0.0 {
        "0 min".into()
    } else if hours < 1.0 / 60.0 {
        "< 1 min".into()
    } else if hours < 1.0 {
        format!("{:.0} min", hours * 60.0)
    } else if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// A whole number with thousands separators: `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_nearest_rank_p90() {
        assert_eq!(Spread::of(vec![]), None);
        let one = Spread::of(vec![3.0]).unwrap();
        assert_eq!((one.count, one.median, one.p90), (1, 3.0, 3.0));
        let even = Spread::of(vec![4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((even.median, even.p90), (2.5, 4.0));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = Spread::of(ten).unwrap();
        assert_eq!((s.median, s.p90), (5.5, 9.0));
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(Spread::of(eleven).unwrap().p90, 10.0);
    }

    #[test]
    fn durations_and_numbers_read_well() {
        assert_eq!(duration_text(0.0), "0 min");
        assert_eq!(duration_text(0.001), "< 1 min");
        assert_eq!(duration_text(0.5), "30 min");
        assert_eq!(duration_text(5.5), "5.5 h");
        assert_eq!(duration_text(72.0), "3.0 days");
        assert_eq!(duration_text(f64::NAN), "0 min");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-4200), "-4,200");
    }
}
