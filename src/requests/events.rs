//! What the system observes about a request (Jira sync, the delivery jobs), and the transition each one makes: pure,
//! like the commands in [`super::machine`], whose helpers it shares.

use serde_json::{Value, json};

use super::{
    machine::{Change, CommandError, clear_approval, expect, expect_one_of},
    state::State,
};
use crate::{model::AuditAction, store::RequestRow};

/// Something the system observed (Jira sync, jobs); not available to people through the API.
#[derive(Clone, Debug, PartialEq)]
pub enum SystemEvent {
    /// The trigger label was removed, or the issue deleted.
    Cancel {
        /// Why.
        reason: String,
        /// The issue is gone (a delivered attachment went with it).
        issue_deleted: bool,
    },
    /// The trigger label came back on a request cancelled for its removal.
    Restore,
    /// The bundle is attached and its secret reached everyone it is for (or it needs none).
    Delivered {
        /// Rows, file name and hash, attachment id.
        detail: Value,
    },
    /// The bundle is attached, but its secret could not be sent to someone yet.
    AwaitDelivery {
        /// Who could not be reached, and what would fix it.
        reason: String,
        /// Rows, file name and hash, attachment id.
        detail: Value,
    },
    /// The extraction or delivery failed.
    Fail {
        /// What to do about it.
        reason: String,
    },
    /// The whole-result scan found personal data the approval did not cover: the bundle was destroyed unsent and
    /// the request goes to a privacy officer.
    ScanStopped {
        /// What was found, for people.
        reason: String,
        /// Findings (never values), rows scanned, the destroyed file's hash.
        detail: Value,
        /// The stored scan that replaces the dry run's (serialized `PiiScan` of the whole result).
        scan: String,
    },
    /// Retention ended (or the issue was closed); the bundle was removed.
    Expire {
        /// File name and hash of what was removed.
        detail: Value,
    },
}

/// Apply something the system observed. `Ok(None)` when it does not apply in the current state (a label removed
/// from a delivered request, a restore of a request that was not cancelled for its label).
pub fn observe(row: &RequestRow, ev: &SystemEvent) -> Result<Option<Change>, CommandError> {
    let state = row.state;
    let mut next = row.clone();
    let (action, detail) = match ev {
        SystemEvent::Cancel {
            reason,
            issue_deleted,
        } => {
            let delivered = state.has_attachment();
            if !(state.is_open() || (delivered && *issue_deleted)) {
                return Ok(None);
            }
            next.state = State::Cancelled;
            next.reason = Some(reason.clone());
            clear_approval(&mut next);
            (
                AuditAction::RequestCancelled,
                json!({"reason": reason, "previous_state": state.as_str(), "attachment_gone": delivered}),
            )
        }
        SystemEvent::Restore => {
            if state != State::Cancelled {
                return Ok(None);
            }
            next.state = State::New;
            next.reason = None;
            next.reviewer = None;
            (AuditAction::RequestRestored, json!({}))
        }
        SystemEvent::Delivered { detail } => {
            expect_one_of(
                state,
                &[State::Extracting, State::AwaitingDelivery],
                "deliver",
            )?;
            next.state = State::Delivered;
            next.reason = None;
            (AuditAction::RequestDelivered, detail.clone())
        }
        SystemEvent::AwaitDelivery { reason, detail } => {
            expect_one_of(state, &[State::Extracting, State::AwaitingDelivery], "hold")?;
            if state == State::AwaitingDelivery && row.reason.as_deref() == Some(reason.as_str()) {
                return Ok(None);
            }
            next.state = State::AwaitingDelivery;
            next.reason = Some(reason.clone());
            let mut detail = detail.clone();
            detail["reason"] = json!(reason);
            (AuditAction::RequestAwaitingDelivery, detail)
        }
        SystemEvent::Fail { reason } => {
            expect(state, State::Extracting, "fail")?;
            next.state = State::Failed;
            next.reason = Some(reason.clone());
            (AuditAction::RequestFailed, json!({"reason": reason}))
        }
        SystemEvent::ScanStopped {
            reason,
            detail,
            scan,
        } => {
            expect(state, State::Extracting, "stop")?;
            next.state = State::AwaitingPrivacyApproval;
            next.reason = Some(reason.clone());
            next.pii = Some(true);
            next.pii_scan = Some(scan.clone());
            clear_approval(&mut next);
            let mut detail = detail.clone();
            detail["reason"] = json!(reason);
            (AuditAction::RequestDeliveryStopped, detail)
        }
        SystemEvent::Expire { detail } => {
            expect_one_of(
                state,
                &[State::Delivered, State::AwaitingDelivery],
                "expire",
            )?;
            next.state = State::Expired;
            next.reason = None;
            (AuditAction::RequestExpired, detail.clone())
        }
    };
    Ok(Some(Change {
        row: next,
        action,
        detail,
    }))
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
