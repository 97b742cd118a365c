//! The personal-data scan as the workflow sees it: the findings of a dry run, stored on the request for the plan
//! digest they were made on, and the rules that depend on them — a plan is submitted only after its dry run, goes
//! straight to approval only when the scan found nothing, and a column that looks like a special category (health,
//! religion…) is approved only when the plan says explicitly what happens to it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    machine::{CommandError, Roles},
    plan::Plan,
    state::State,
};
use crate::{extract::pii_values::Finding, store::RequestRow};

/// The scan of one dry run (never values: categories, confidence and hit counts per column).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PiiScan {
    /// The plan digest the dry run ran for.
    pub digest: String,
    /// Rows the scan looked at.
    pub sampled: u64,
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Columns that look personal.
    pub findings: Vec<Finding>,
}

impl PiiScan {
    /// A short description of the findings, for messages: `email (email), notes (free text)`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .findings
            .iter()
            .map(|f| {
                let mut what: Vec<String> = f
                    .categories
                    .iter()
                    .map(|c| {
                        serde_json::to_value(c.category)
                            .ok()
                            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                            .unwrap_or_default()
                    })
                    .collect();
                if f.free_text {
                    what.push("free text".into());
                }
                format!("{} ({})", f.column, what.join(", "))
            })
            .collect();
        parts.join(", ")
    }
}

/// The stored scan, if it was made on the plan with `digest`.
pub fn current(row: &RequestRow, digest: &str) -> Option<PiiScan> {
    row.pii_scan
        .as_deref()
        .and_then(|s| serde_json::from_str::<PiiScan>(s).ok())
        .filter(|s| s.digest == digest)
}

/// Submitting needs a dry run of exactly this plan; going straight to approval (`personal_data: false`) needs one
/// that found nothing.
pub fn check_submit(
    row: &RequestRow,
    digest: &str,
    personal_data: bool,
) -> Result<(), CommandError> {
    let scan = current(row, digest).ok_or_else(|| {
        CommandError::Invalid(
            "the personal-data scan has not run on this plan yet; run a dry run first, so that its findings go with \
             the plan"
                .into(),
        )
    })?;
    if !personal_data && !scan.findings.is_empty() {
        return Err(CommandError::Invalid(format!(
            "the personal-data scan found {}; submit for privacy approval instead",
            scan.summary()
        )));
    }
    Ok(())
}

/// Approval is refused while a column that looks like a special category has no explicit decision in the plan.
pub fn check_approval(row: &RequestRow, digest: &str) -> Result<(), CommandError> {
    let Some(scan) = current(row, digest) else {
        return Ok(());
    };
    let plan: Option<Plan> = row
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let decided = |column: &str| {
        plan.as_ref()
            .is_some_and(|p| p.masking.keys().any(|k| k.eq_ignore_ascii_case(column)))
    };
    let open: Vec<&str> = scan
        .findings
        .iter()
        .filter(|f| f.blocking && !decided(&f.column))
        .map(|f| f.column.as_str())
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Invalid(format!(
            "{} may hold special-category data (health, religion, ethnicity…); the plan must say explicitly what \
             happens to {} (keep, drop, mask or pseudonymise) before it can be approved",
            open.join(", "),
            if open.len() == 1 { "it" } else { "them" }
        )))
    }
}

/// Who may dry-run the plan: analysts and privacy officers other than the requester (the sample is real data),
/// while the plan is being reviewed or approved.
pub fn may_dry_run(row: &RequestRow, actor: &str, roles: Roles) -> Result<(), CommandError> {
    if row.reporter.as_deref() == Some(actor) {
        return Err(CommandError::Forbidden(
            "you asked for this data, so you cannot see it before it is approved and delivered"
                .into(),
        ));
    }
    if !(roles.analyst || roles.privacy) {
        return Err(CommandError::Forbidden(
            "only analysts and privacy officers can dry-run an extraction plan; ask an admin to add you to one of \
             the groups mapped to those roles"
                .into(),
        ));
    }
    let allowed = [
        State::InReview,
        State::AwaitingPrivacyApproval,
        State::Approved,
    ];
    if !allowed.contains(&row.state) {
        return Err(CommandError::NotNow(format!(
            "cannot dry-run the plan of a request that is {}; possible while it is reviewed or approved",
            row.state
        )));
    }
    if row.plan_digest.is_none() {
        return Err(CommandError::Invalid(
            "save an extraction plan before running it".into(),
        ));
    }
    Ok(())
}

/// A direct approval (no personal data) delivers to the requester only: anyone else the plan names, its author above
/// all, needs a privacy officer's approval.
pub fn check_direct_recipients(row: &RequestRow) -> Result<(), CommandError> {
    let plan: Option<Plan> = row
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let extra = |p: &Plan| {
        p.recipients
            .iter()
            .any(|r| row.reporter.as_deref() != Some(r.as_str()))
    };
    match plan {
        Some(p) if extra(&p) => Err(CommandError::Invalid(
            "the plan sends the file to people besides the requester; only a privacy officer can approve that, so \
             submit it for privacy approval (or remove the extra recipients)"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// The findings of a whole-result scan that the approval of `row` does not cover. A privacy officer's approval
/// covers what the scan they approved showed (column and category, or free text) and every column they decided to
/// drop, mask or pseudonymise; a direct approval covers nothing.
pub fn uncovered(row: &RequestRow, plan: &Plan, findings: &[Finding]) -> Vec<Finding> {
    let by_officer = row.pii == Some(true)
        && row
            .approved_by
            .as_deref()
            .is_some_and(|a| a != super::machine::SCAN_APPROVER);
    let approved = row
        .approved_digest
        .as_deref()
        .and_then(|d| current(row, d))
        .filter(|_| by_officer);
    let transformed = |column: &str| {
        by_officer
            && plan
                .masking
                .iter()
                .any(|(c, m)| c.eq_ignore_ascii_case(column) && *m != super::plan::Masking::Keep)
    };
    findings
        .iter()
        .filter(|f| !transformed(&f.column))
        .filter_map(|f| {
            let seen = approved.as_ref().and_then(|s| {
                s.findings
                    .iter()
                    .find(|a| a.column.eq_ignore_ascii_case(&f.column))
            });
            let categories: Vec<_> = f
                .categories
                .iter()
                .filter(|c| {
                    !seen.is_some_and(|s| s.categories.iter().any(|a| a.category == c.category))
                })
                .cloned()
                .collect();
            let free_text = f.free_text && !seen.is_some_and(|s| s.free_text);
            (!categories.is_empty() || free_text).then(|| Finding {
                column: f.column.clone(),
                blocking: categories.iter().any(|c| c.category.blocking()),
                categories,
                free_text,
            })
        })
        .collect()
}

/// Findings as audit facts: column, categories, free text, blocking (never values or counts of them).
pub fn finding_facts(findings: &[Finding]) -> serde_json::Value {
    findings
        .iter()
        .map(|f| {
            let categories: Vec<_> = f.categories.iter().map(|c| c.category).collect();
            serde_json::json!({"column": f.column, "categories": categories, "free_text": f.free_text,
                               "blocking": f.blocking})
        })
        .collect()
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
