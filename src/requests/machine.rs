//! The request state machine: states, the commands people give, and the guard of every transition (from which
//! state, by which role, never by the requester, with separation of duties). What the system observes is in
//! [`super::events`].
//!
//! Pure functions over the stored row: they return the changed row with the audit facts, or an error that says why
//! nothing changed. [`super::commands`] runs them under a row lock and stores the result with its audit event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use std::collections::BTreeMap;

use super::{
    plan::{Masking, Plan},
    scan,
    state::State,
};
use crate::{
    model::AuditAction,
    store::{RequestRow, RolePolicy},
};

pub use super::events::{SystemEvent, observe};

/// What a person may do, from their Jira groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Roles {
    /// Reviews requests, writes plans, runs extractions.
    pub analyst: bool,
    /// Approves plans that involve personal data.
    pub privacy: bool,
    /// Configures Clearance for the site.
    pub admin: bool,
}

/// A command from a person (the panel API). The acting account comes from the verified token, never from here.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
// Struct variants even without fields: serde ignores unknown fields next to the tag of a unit variant.
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Analyst takes the request (`new → in_review`, or takes it over from another analyst).
    Claim {},
    /// Analyst writes or changes the plan; a change after submission or approval voids the approval and returns
    /// the request to review.
    SavePlan {
        /// The new plan.
        plan: Box<Plan>,
    },
    /// Analyst submits: to the privacy officer if personal data is involved, else approved directly when the
    /// personal-data scan of this plan found nothing.
    Submit {
        /// Whether personal data is involved.
        personal_data: bool,
    },
    /// Privacy officer approves the plan whose digest they were shown, optionally with their own masking decisions
    /// (which replace the plan's masking; the plan is re-digested and that is what is approved).
    Approve {
        /// The digest the approver saw.
        digest: String,
        /// Masking per column as the privacy officer decided it (every column they decided; others are kept).
        #[serde(default)]
        masking: Option<BTreeMap<String, Masking>>,
    },
    /// Analyst (not feasible) or privacy officer (not allowed) rejects, with a reason.
    Reject {
        /// Why, in words the requester can act on.
        reason: String,
    },
    /// Analyst reopens a rejected or failed request for review.
    Reopen {},
    /// Analyst starts the approved extraction.
    Extract {},
}

impl Command {
    /// Name for messages and audit actions.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Claim {} => "claim",
            Command::SavePlan { .. } => "save_plan",
            Command::Submit { .. } => "submit",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::Reopen {} => "reopen",
            Command::Extract {} => "extract",
        }
    }
}

/// A transition that happened: the row to store and what to write into the audit chain.
#[derive(Clone, Debug)]
pub struct Change {
    /// The request after the change.
    pub row: RequestRow,
    /// Audit action.
    pub action: AuditAction,
    /// Audit facts (digests, reasons; never data).
    pub detail: Value,
}

/// Why a command changed nothing.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The actor may not do this (role, own request, separation of duties).
    #[error("{0}")]
    Forbidden(String),
    /// Not possible in the request's current state.
    #[error("{0}")]
    NotNow(String),
    /// The command's input is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The command refers to something that has changed since (the plan digest).
    #[error("{0}")]
    Stale(String),
}

const LONGEST_REASON: usize = 2000;

/// `approved_by` of a plan approved because its personal-data scan found nothing (no person approved it).
pub const SCAN_APPROVER: &str = "clearance";

/// Apply a person's command. `Ok(None)` means it was already so (saving an unchanged plan).
pub fn decide(
    row: &RequestRow,
    actor: &str,
    roles: Roles,
    cmd: &Command,
    policy: &RolePolicy,
    now: DateTime<Utc>,
) -> Result<Option<Change>, CommandError> {
    let state = row.state;
    if row.reporter.as_deref() == Some(actor) {
        return Err(CommandError::Forbidden(format!(
            "you asked for this data, so you cannot {} this request; another analyst or privacy officer must",
            cmd.name().replace('_', " ")
        )));
    }
    let need = |ok: bool, role: &str| {
        if ok {
            Ok(())
        } else {
            Err(CommandError::Forbidden(format!(
                "only {role} can {} a request; ask an admin to add you to one of the groups mapped to that role",
                cmd.name().replace('_', " ")
            )))
        }
    };
    let from = |allowed: &[State]| {
        if allowed.contains(&state) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            Err(CommandError::NotNow(format!(
                "cannot {} a request that is {}; possible when it is {}",
                cmd.name().replace('_', " "),
                state.as_str(),
                names.join(" or ")
            )))
        }
    };
    let mut next = row.clone();
    let (action, detail) = match cmd {
        Command::Claim {} => {
            need(roles.analyst, "analysts")?;
            from(&[State::New, State::InReview])?;
            if row.reviewer.as_deref() == Some(actor) && state == State::InReview {
                return Ok(None);
            }
            next.state = State::InReview;
            next.reviewer = Some(actor.into());
            (
                AuditAction::RequestClaimed,
                json!({"previous_reviewer": row.reviewer}),
            )
        }
        Command::SavePlan { plan } => {
            need(roles.analyst, "analysts")?;
            from(&[
                State::InReview,
                State::AwaitingPrivacyApproval,
                State::Approved,
            ])?;
            plan.validate().map_err(CommandError::Invalid)?;
            let plan = (**plan).clone().normalized();
            let digest = plan.digest();
            if row.plan_digest.as_deref() == Some(digest.as_str()) {
                return Ok(None);
            }
            let voided = state != State::InReview;
            next.plan = Some(
                serde_json::to_string(&plan).map_err(|e| CommandError::Invalid(e.to_string()))?,
            );
            next.plan_digest = Some(digest.clone());
            next.plan_author = Some(actor.into());
            next.pii_scan = None;
            next.state = State::InReview;
            clear_approval(&mut next);
            if voided {
                next.reason = Some(
                    "the plan changed after it was submitted; review and submit it again".into(),
                );
            }
            (
                AuditAction::RequestPlanSaved,
                json!({"digest": digest, "previous_digest": row.plan_digest, "approval_voided": voided,
                       "previous_state": state.as_str()}),
            )
        }
        Command::Submit { personal_data } => {
            need(roles.analyst, "analysts")?;
            from(&[State::InReview])?;
            let digest = row.plan_digest.clone().ok_or_else(|| {
                CommandError::Invalid("write the extraction plan before submitting".into())
            })?;
            scan::check_submit(row, &digest, *personal_data)?;
            if !*personal_data {
                scan::check_direct_recipients(row)?;
            }
            next.pii = Some(*personal_data);
            next.reason = None;
            if *personal_data {
                next.state = State::AwaitingPrivacyApproval;
                (
                    AuditAction::RequestSubmitted,
                    json!({"digest": digest, "personal_data": true}),
                )
            } else {
                // Nobody approved it: the scan found nothing. The whole result is scanned again before upload.
                next.state = State::Approved;
                next.approved_digest = Some(digest.clone());
                next.approved_by = Some(SCAN_APPROVER.into());
                next.approved_at = Some(now);
                (
                    AuditAction::RequestApproved,
                    json!({"digest": digest, "personal_data": false, "approved_by": "personal-data scan",
                           "submitted_by": actor}),
                )
            }
        }
        Command::Approve { digest, masking } => {
            need(roles.privacy, "privacy officers")?;
            from(&[State::AwaitingPrivacyApproval])?;
            if policy.sod_author_not_approver && row.plan_author.as_deref() == Some(actor) {
                return Err(CommandError::Forbidden(
                    "you wrote this extraction plan, so another privacy officer must approve it (separation of duties)"
                        .into(),
                ));
            }
            if row.plan_digest.as_deref() != Some(digest.as_str()) {
                return Err(CommandError::Stale(
                    "the plan changed since you opened it; review the current plan and approve again".into(),
                ));
            }
            let reviewed = digest.clone();
            let mut changed = None;
            let digest = match masking {
                Some(m) => match remask(row, m)? {
                    Some((plan, json, new_digest)) => {
                        next.plan = Some(json);
                        next.plan_digest = Some(new_digest.clone());
                        // Same query, same sample: the dry run's scan holds for the re-masked plan.
                        if let Some(mut scan) = scan::current(row, &reviewed) {
                            scan.digest = new_digest.clone();
                            next.pii_scan = serde_json::to_string(&scan).ok();
                        }
                        changed = Some(plan.masking);
                        new_digest
                    }
                    None => reviewed.clone(),
                },
                None => reviewed.clone(),
            };
            scan::check_approval(&next, &digest)?;
            next.state = State::Approved;
            next.approved_digest = Some(digest.clone());
            next.approved_by = Some(actor.into());
            next.approved_at = Some(now);
            next.reason = None;
            let mut detail = json!({"digest": digest, "personal_data": true});
            if let Some(m) = changed {
                detail["reviewed_digest"] = json!(reviewed);
                detail["masking"] = json!(m);
            }
            (AuditAction::RequestApproved, detail)
        }
        Command::Reject { reason } => {
            match state {
                State::InReview => need(roles.analyst, "analysts")?,
                State::AwaitingPrivacyApproval => need(roles.privacy, "privacy officers")?,
                _ => from(&[State::InReview, State::AwaitingPrivacyApproval])?,
            }
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > LONGEST_REASON {
                return Err(CommandError::Invalid(format!(
                    "give a reason the requester can act on (1 to {LONGEST_REASON} characters)"
                )));
            }
            next.state = State::Rejected;
            next.reason = Some(reason.into());
            clear_approval(&mut next);
            (
                AuditAction::RequestRejected,
                json!({"reason": reason, "digest": row.plan_digest}),
            )
        }
        Command::Reopen {} => {
            need(roles.analyst, "analysts")?;
            from(&[State::Rejected, State::Failed])?;
            next.state = State::InReview;
            next.reason = None;
            next.reviewer = Some(actor.into());
            clear_approval(&mut next);
            (
                AuditAction::RequestReopened,
                json!({"previous_state": state.as_str(), "previous_reason": row.reason}),
            )
        }
        Command::Extract {} => {
            need(roles.analyst, "analysts")?;
            from(&[State::Approved])?;
            if row.approved_digest.is_none() || row.approved_digest != row.plan_digest {
                return Err(CommandError::Stale(
                    "the plan no longer matches what was approved; submit it for approval again"
                        .into(),
                ));
            }
            next.state = State::Extracting;
            (
                AuditAction::RequestExtractionStarted,
                json!({"digest": row.approved_digest}),
            )
        }
    };
    Ok(Some(Change {
        row: next,
        action,
        detail,
    }))
}

/// The commands `actor` could give now: those whose role, state and duty guards pass (their input may still be
/// refused, e.g. a direct approval without a clean scan), and `dry_run` when they may run the plan on a sample. For
/// showing the right buttons; the server checks again.
pub fn permitted(
    row: &RequestRow,
    actor: &str,
    roles: Roles,
    policy: &RolePolicy,
) -> Vec<&'static str> {
    let probe_plan = Plan {
        source: "probe".into(),
        sql: "SELECT 1".into(),
        id_list: None,
        masking: Default::default(),
        max_rows: 1,
        max_bytes: 1,
        format: super::plan::Format::Csv,
        encryption: super::plan::Encryption::Age,
        recipients: Vec::new(),
        neutralise_formulas: true,
    };
    let probes = [
        Command::Claim {},
        Command::SavePlan {
            plan: Box::new(probe_plan),
        },
        Command::Submit {
            personal_data: true,
        },
        Command::Approve {
            digest: row.plan_digest.clone().unwrap_or_default(),
            masking: None,
        },
        Command::Reject {
            reason: "probe".into(),
        },
        Command::Reopen {},
        Command::Extract {},
    ];
    let mut allowed: Vec<&'static str> = probes
        .iter()
        .filter(|cmd| {
            matches!(
                decide(row, actor, roles, cmd, policy, Utc::now()),
                Ok(_) | Err(CommandError::Invalid(_) | CommandError::Stale(_))
            )
        })
        .map(Command::name)
        .collect();
    if scan::may_dry_run(row, actor, roles).is_ok() {
        allowed.push("dry_run");
    }
    allowed
}

/// The stored plan with `masking` instead of its own: `None` when that is no change, else the plan, its JSON and its
/// digest.
fn remask(
    row: &RequestRow,
    masking: &BTreeMap<String, Masking>,
) -> Result<Option<(Plan, String, String)>, CommandError> {
    let plan: Plan = row
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| CommandError::Invalid("the stored plan cannot be read".into()))?;
    if &plan.masking == masking {
        return Ok(None);
    }
    let mut plan = plan;
    plan.masking = masking.clone();
    plan.validate().map_err(CommandError::Invalid)?;
    let plan = plan.normalized();
    let json = serde_json::to_string(&plan).map_err(|e| CommandError::Invalid(e.to_string()))?;
    let digest = plan.digest();
    Ok(Some((plan, json, digest)))
}

pub(super) fn expect(state: State, wanted: State, what: &str) -> Result<(), CommandError> {
    expect_one_of(state, &[wanted], what)
}

pub(super) fn expect_one_of(
    state: State,
    wanted: &[State],
    what: &str,
) -> Result<(), CommandError> {
    if wanted.contains(&state) {
        Ok(())
    } else {
        let names: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
        Err(CommandError::NotNow(format!(
            "cannot {what} a request that is {}; expected {}",
            state.as_str(),
            names.join(" or ")
        )))
    }
}

pub(super) fn clear_approval(r: &mut RequestRow) {
    r.approved_digest = None;
    r.approved_by = None;
    r.approved_at = None;
}

#[cfg(test)]
#[path = "machine_tests.rs"]
pub(crate) mod tests;
