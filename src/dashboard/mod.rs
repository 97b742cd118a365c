//! The dashboard for admins and privacy officers: one site's requests over a window of whole ISO weeks, computed from
//! stored rows only (requests, their audit events, deliveries) and shown as server-rendered SVG charts with the same
//! numbers in tables and as CSV.
//!
//! Definitions (the page repeats them as captions):
//!
//! - **Window**: the last `N` ISO weeks (Monday 00:00 UTC to Sunday), the current one included; `N` is 1 to 104,
//!   12 by default. A request belongs to the window when Clearance picked its issue up inside it
//!   (`requests.created_at`, the `request.created` event); lead times, waiting times and personal-data categories are
//!   about those requests.
//! - **Requests per week by outcome**: requests by the week they were picked up, by where they stand now: delivered
//!   (`delivered`), expired (delivered, then removed at the end of retention), rejected, cancelled, failed, and still
//!   open (new, in review, awaiting approval, approved, extracting, awaiting delivery).
//! - **Lead time**: from pick-up to the first approval (`request.approved`, by a privacy officer or directly for a plan
//!   without personal data) and to the first time the request was delivered (its secret reached everyone); median
//!   and 90th percentile (nearest rank) over the requests that got there, in hours.
//! - **Waiting on each role**: each request's state history from its audit events (every state change records `from`
//!   and `to`), each stretch attributed to whoever must act next: analyst (new, in review, approved: claim, plan,
//!   submit, extract), privacy officer (awaiting privacy approval), Clearance (extracting: build and upload), requester
//!   and Slack (awaiting delivery: the secret has not reached everyone). Stretches still running count up to now.
//!   Per role: median and 90th percentile of the time per request over the requests that were ever in one of its
//!   states, and the total.
//! - **Personal-data categories**: from the scan stored with each request's current plan (the dry run's findings):
//!   per category, how many requests and how many columns were flagged (long free text counts as a category).
//! - **Rows delivered**: the sum of `deliveries.row_count` by the week each file was attached to its issue (also
//!   files removed since), over the window.
//! - **Upcoming expiries**: files still on their issue whose retention ends within 14 days (or already ended and
//!   not yet removed by the sweep), soonest first.

pub mod csv;
pub mod model;
pub mod stats;
pub mod svg;
pub mod view;
pub mod window;

use chrono::Duration;

pub use self::{model::Dashboard, window::Window};
use crate::store::{Result, Store};

/// How far ahead upcoming expiries are listed.
pub const EXPIRY_HORIZON_DAYS: i64 = 14;

/// At most this many upcoming expiries are listed.
const MAX_EXPIRIES: i64 = 200;

/// Read the tenant's rows for `window` and compute the dashboard.
pub async fn load(store: &Store, tenant_id: &str, window: Window) -> Result<Dashboard> {
    let since = window.start();
    let requests = store.dashboard_requests(tenant_id, since).await?;
    let events = store.dashboard_events(tenant_id, since).await?;
    let deliveries = store.dashboard_deliveries(tenant_id, since).await?;
    let until = window.now() + Duration::days(EXPIRY_HORIZON_DAYS);
    let expiring = store
        .dashboard_expiring(tenant_id, until, MAX_EXPIRIES)
        .await?;
    Ok(stats::compute(
        window,
        &stats::Inputs {
            requests: &requests,
            events: &events,
            deliveries: &deliveries,
            expiring: &expiring,
        },
    ))
}
