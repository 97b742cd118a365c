//! Delivery: an approved request's extraction run into an encrypted bundle, attached to its Jira issue, its secret
//! sent to the people it is for through Slack (never Jira), and the attachment removed when retention ends.
//!
//! The `extract` job (queued by the analyst's `extract` command) builds and uploads, recording each stage on the
//! delivery row so a retry resumes where the last try stopped: a crash after Jira accepted the upload finds the
//! attachment by its unique file name and size instead of uploading a second copy. The `deliver_secret` job then
//! makes one-time reveal links and sends the direct messages; the request becomes `delivered`, or waits in
//! `awaiting_delivery` with the reason when someone cannot be reached.

pub mod age_keys;
pub mod build;
pub mod erase;
pub mod erasure_key;
pub mod extract_job;
pub mod notify;
pub mod reminder;
pub mod retention;
pub mod retention_rules;
pub mod secrets;
pub use crate::model::delivery_state as state;
pub mod upload;
pub mod view;

use std::time::Duration;

use crate::jobs::kinds::{DeliverSecret, ExpireDelivery, Extract, RemindExpiry};
use crate::{jobs::Runner, requests::Context};

/// Register the delivery jobs with a runner.
pub fn register(runner: &mut Runner<Context>) {
    runner.register_job::<Extract>();
    runner.register_job::<DeliverSecret>();
    runner.register_job::<ExpireDelivery>();
    runner.register_job::<RemindExpiry>();
}

/// How a stage of a delivery failed, and what that means for the request.
#[derive(Debug)]
pub enum Failure {
    /// Something passing (storage, disk, Jira or Slack hiccup): try again with backoff.
    Retry(String),
    /// Jira asked us to slow down.
    RateLimited(Option<Duration>),
    /// The data source failed (unreachable, timed out): try again a few times, then fail the request.
    Source(String),
    /// The plan cannot run as approved (refused SQL, caps, changed ID file): fail the request now.
    Plan(String),
    /// The bundle cannot be delivered (too large for the site, issue gone): fail the request now.
    Delivery(String),
    /// The built bundle is gone from the work folder: build it again.
    Rebuild(String),
    /// The whole result holds personal data the approval did not cover: the bundle was destroyed unsent, and the
    /// request goes to a privacy officer with the findings.
    Stopped(Box<Stopped>),
}

/// A delivery stopped by the whole-result scan.
#[derive(Debug)]
pub struct Stopped {
    /// What was found, for people.
    pub reason: String,
    /// Audit facts: findings (never values), rows scanned, the destroyed data file's hash.
    pub detail: serde_json::Value,
    /// The whole-result scan, stored on the request in place of the dry run's.
    pub scan: String,
}
