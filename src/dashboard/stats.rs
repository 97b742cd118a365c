//! The dashboard's figures from stored rows (pure: no I/O, `now` comes with the window): weekly outcomes, lead
//! times, waiting per role from each request's state changes, personal-data categories, rows delivered, expiries.
//! The definitions are in the module documentation of [`crate::dashboard`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    model::{Dashboard, Expiry, LeadTime, Outcome, PiiCount, Role, RoleWait, Spread, Week},
    window::Window,
};
use crate::{
    extract::pii_names::Category,
    requests::{scan::PiiScan, state::State},
    store::{DashboardRequest, DeliveredRows, ExpiringDelivery, RequestEvent},
};

/// The stored rows the figures come from.
pub struct Inputs<'a> {
    /// Requests picked up in the window.
    pub requests: &'a [DashboardRequest],
    /// Their audit events, in chain order.
    pub events: &'a [RequestEvent],
    /// Files attached in the window.
    pub deliveries: &'a [DeliveredRows],
    /// Files whose retention ends soon.
    pub expiring: &'a [ExpiringDelivery],
}

/// Compute every figure for `window`.
pub fn compute(window: Window, input: &Inputs<'_>) -> Dashboard {
    let mut weeks: Vec<Week> = (0..window.len())
        .map(|i| Week {
            monday: window.monday(i),
            outcomes: [0; 6],
            rows: 0,
            deliveries: 0,
        })
        .collect();
    let history = state_changes(input.events);
    let (mut to_approval, mut to_delivery) = (Vec::new(), Vec::new());
    let mut waits: [Vec<f64>; 4] = Default::default();
    let mut pii = PiiTally::default();
    for r in input.requests {
        let state = r.state;
        let Some(week) = window.week_of(r.created_at) else {
            continue;
        };
        weeks[week].outcomes[Outcome::of(state).index()] += 1;
        let changes = history.get(r.id.as_str()).map_or(&[][..], Vec::as_slice);
        if let Some(at) = first_reaching(changes, State::Approved) {
            to_approval.push(hours(at - r.created_at));
        }
        if let Some(at) = first_reaching(changes, State::Delivered) {
            to_delivery.push(hours(at - r.created_at));
        }
        for (role, waited) in Role::ALL
            .iter()
            .zip(waiting(r.created_at, changes, window.now()))
        {
            if let Some(h) = waited {
                waits[role.index()].push(h);
            }
        }
        pii.add(r.pii_scan.as_deref());
    }
    for d in input.deliveries {
        if let Some(i) = window.week_of(d.uploaded_at) {
            weeks[i].rows += d.row_count.unwrap_or(0);
            weeks[i].deliveries += 1;
        }
    }
    let waiting = Role::ALL
        .iter()
        .zip(waits)
        .map(|(&role, hours)| RoleWait {
            role,
            total_hours: hours.iter().sum(),
            spread: Spread::of(hours),
        })
        .collect();
    Dashboard {
        window,
        weeks,
        lead_times: vec![
            LeadTime {
                key: "to_approval",
                label: "Picked up → approved",
                spread: Spread::of(to_approval),
            },
            LeadTime {
                key: "to_delivery",
                label: "Picked up → delivered",
                spread: Spread::of(to_delivery),
            },
        ],
        waiting,
        scanned: pii.scanned,
        pii: pii.counts(),
        expiries: input
            .expiring
            .iter()
            .map(|e| Expiry {
                issue_key: e.issue_key.clone(),
                summary: e.summary.clone(),
                file_name: e.file_name.clone(),
                expires_at: e.expires_at,
            })
            .collect(),
    }
}

fn hours(d: TimeDelta) -> f64 {
    (d.num_milliseconds().max(0) as f64) / 3_600_000.0
}

/// Each request's state changes `(when, new state)` in chain order, from the events that record one (`to`).
fn state_changes(events: &[RequestEvent]) -> HashMap<&str, Vec<(DateTime<Utc>, State)>> {
    let mut out: HashMap<&str, Vec<(DateTime<Utc>, State)>> = HashMap::new();
    for e in events {
        let Ok(at) = DateTime::parse_from_rfc3339(&e.at) else {
            continue;
        };
        let to = serde_json::from_str::<serde_json::Value>(&e.detail)
            .ok()
            .and_then(|d| d.get("to").and_then(|t| t.as_str()).and_then(State::parse));
        if let Some(to) = to {
            out.entry(e.request_id.as_str())
                .or_default()
                .push((at.with_timezone(&Utc), to));
        }
    }
    out
}

fn first_reaching(changes: &[(DateTime<Utc>, State)], state: State) -> Option<DateTime<Utc>> {
    changes.iter().find(|(_, s)| *s == state).map(|(at, _)| *at)
}

/// Hours the request waited on each role (by [`Role::index`]); `None` for a role it never waited on. The stretch in
/// the current state runs until `now`.
fn waiting(
    created: DateTime<Utc>,
    changes: &[(DateTime<Utc>, State)],
    now: DateTime<Utc>,
) -> [Option<f64>; 4] {
    let mut acc = [None; 4];
    let mut add = |state: State, from: DateTime<Utc>, to: DateTime<Utc>| {
        if let Some(role) = Role::waited_on_in(state) {
            *acc[role.index()].get_or_insert(0.0) += hours(to - from);
        }
    };
    let (mut since, mut state) = (created, State::New);
    for &(at, to) in changes {
        let at = at.max(since);
        add(state, since, at);
        (since, state) = (at, to);
    }
    add(state, since, now.max(since));
    acc
}

/// Personal-data categories over the requests' stored scans.
#[derive(Default)]
struct PiiTally {
    scanned: u64,
    /// key → (label, requests, columns)
    by_key: BTreeMap<String, (&'static str, u64, u64)>,
}

impl PiiTally {
    fn add(&mut self, stored: Option<&str>) {
        let Some(scan) = stored.and_then(|s| serde_json::from_str::<PiiScan>(s).ok()) else {
            return;
        };
        self.scanned += 1;
        let mut seen = BTreeSet::new();
        for f in &scan.findings {
            let mut kinds: BTreeSet<(String, &'static str)> = f
                .categories
                .iter()
                .map(|c| (category_key(c.category), category_label(c.category)))
                .collect();
            if f.free_text {
                kinds.insert(("free_text".into(), "Free text"));
            }
            for (key, label) in kinds {
                self.by_key.entry(key.clone()).or_insert((label, 0, 0)).2 += 1;
                seen.insert(key);
            }
        }
        for key in seen {
            if let Some(entry) = self.by_key.get_mut(&key) {
                entry.1 += 1;
            }
        }
    }

    fn counts(&self) -> Vec<PiiCount> {
        let mut v: Vec<PiiCount> = self
            .by_key
            .iter()
            .map(|(key, (label, requests, columns))| PiiCount {
                key: key.clone(),
                label: (*label).to_owned(),
                requests: *requests,
                columns: *columns,
            })
            .collect();
        v.sort_by(|a, b| {
            (b.requests, b.columns)
                .cmp(&(a.requests, a.columns))
                .then_with(|| a.label.cmp(&b.label))
        });
        v
    }
}

/// The category's stored name (`date_of_birth`).
fn category_key(c: Category) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{c:?}").to_lowercase())
}

fn category_label(c: Category) -> &'static str {
    match c {
        Category::Email => "E-mail address",
        Category::Phone => "Phone number",
        Category::Name => "Name",
        Category::Address => "Street address",
        Category::PostalCode => "Postal code",
        Category::DateOfBirth => "Date of birth",
        Category::CardNumber => "Payment card",
        Category::Iban => "Bank account (IBAN)",
        Category::NationalId => "National ID",
        Category::IpAddress => "IP address",
        Category::Special => "Special category",
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
