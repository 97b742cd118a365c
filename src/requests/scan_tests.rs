//! Tests of the rules that depend on the personal-data scan: submitting, approving, dry runs, what an approval covers, on the state machine's test rows and helpers.

use serde_json::json;

use super::*;
use crate::requests::{
    machine::{Command, CommandError, SCAN_APPROVER, permitted, tests::*},
    plan::{Masking, tests::sample},
    state::State,
};

#[test]
fn direct_approval_needs_a_clean_scan_of_this_plan() {
    let submit = Command::Submit {
        personal_data: false,
    };
    let mut r = row(State::InReview);
    r.pii_scan = None;
    let no_scan = run(&r, ANALYST, ANALYST_ONLY, &submit);
    assert!(matches!(no_scan, Err(CommandError::Invalid(m)) if m.contains("has not run")));
    let digest = r.plan_digest.clone().unwrap();
    r.pii_scan = Some(clean_scan(&"0".repeat(64)));
    assert!(
        matches!(run(&r, ANALYST, ANALYST_ONLY, &submit), Err(CommandError::Invalid(m)) if m.contains("has not run"))
    );
    let mut found: serde_json::Value = serde_json::from_str(&clean_scan(&digest)).unwrap();
    found["findings"] = json!([
        finding("email", "email", false),
        finding("dob", "date_of_birth", false)
    ]);
    r.pii_scan = Some(found.to_string());
    assert!(
        matches!(run(&r, ANALYST, ANALYST_ONLY, &submit), Err(CommandError::Invalid(m)) if m.contains("email (email), dob (date of birth)"))
    );
    r.pii_scan = Some(clean_scan(&digest));
    // The sample plan names extra recipients: only a privacy officer can approve sending it to them.
    assert!(
        matches!(run(&r, ANALYST, ANALYST_ONLY, &submit), Err(CommandError::Invalid(m)) if m.contains("besides the requester"))
    );
    let mut plan = sample();
    plan.recipients.clear();
    r.plan = Some(serde_json::to_string(&plan).unwrap());
    let ok = run(&r, ANALYST, ANALYST_ONLY, &submit).unwrap().unwrap();
    assert_eq!(ok.row.state, State::Approved);
    assert_eq!(ok.row.approved_digest.as_deref(), Some(digest.as_str()));
    // Nobody approved it: the scan did, and the analyst is only the one who submitted it.
    assert_eq!(ok.row.approved_by.as_deref(), Some(SCAN_APPROVER));
    assert_eq!(ok.detail["submitted_by"], ANALYST);
    assert_eq!(ok.row.pii, Some(false));
}

#[test]
fn submitting_for_privacy_approval_needs_the_dry_run_too() {
    let submit = Command::Submit {
        personal_data: true,
    };
    let mut r = row(State::InReview);
    r.pii_scan = None;
    assert!(matches!(
        run(&r, ANALYST, ANALYST_ONLY, &submit),
        Err(CommandError::Invalid(m)) if m.contains("run a dry run first")
    ));
    let digest = r.plan_digest.clone().unwrap();
    let mut found: serde_json::Value = serde_json::from_str(&clean_scan(&digest)).unwrap();
    found["findings"] = json!([finding("email", "email", false)]);
    r.pii_scan = Some(found.to_string());
    let ok = run(&r, ANALYST, ANALYST_ONLY, &submit).unwrap().unwrap();
    assert_eq!(ok.row.state, State::AwaitingPrivacyApproval);
}

#[test]
fn special_categories_need_an_explicit_decision_before_approval() {
    let mut r = row(State::AwaitingPrivacyApproval);
    let digest = r.plan_digest.clone().unwrap();
    let mut found: serde_json::Value = serde_json::from_str(&clean_scan(&digest)).unwrap();
    found["findings"] = json!([
        finding("email", "email", false),
        finding("diagnosis", "special", true)
    ]);
    r.pii_scan = Some(found.to_string());
    let approve = Command::Approve {
        digest: digest.clone(),
        masking: None,
    };
    let refused = run(&r, PRIVACY, PRIVACY_ONLY, &approve);
    assert!(
        matches!(&refused, Err(CommandError::Invalid(m)) if m.starts_with("diagnosis may hold special-category data")),
        "{refused:?}"
    );
    // The plan names the column (any decision, even keep, written by the analyst): approval goes through.
    let mut plan = sample();
    plan.masking.insert("Diagnosis".into(), Masking::Keep);
    let new_digest = plan.digest();
    r.plan = Some(serde_json::to_string(&plan).unwrap());
    r.plan_digest = Some(new_digest.clone());
    let mut found: serde_json::Value = serde_json::from_str(&clean_scan(&new_digest)).unwrap();
    found["findings"] = json!([finding("diagnosis", "special", true)]);
    r.pii_scan = Some(found.to_string());
    let ok = run(
        &r,
        PRIVACY,
        PRIVACY_ONLY,
        &Command::Approve {
            digest: new_digest,
            masking: None,
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!(ok.row.state, State::Approved);
}

#[test]
fn who_may_dry_run() {
    use crate::requests::scan::may_dry_run;
    let r = row(State::InReview);
    assert!(may_dry_run(&r, ANALYST, ANALYST_ONLY).is_ok());
    assert!(may_dry_run(&r, PRIVACY, PRIVACY_ONLY).is_ok());
    assert!(matches!(
        may_dry_run(&r, REQUESTER, ALL_ROLES),
        Err(CommandError::Forbidden(_))
    ));
    assert!(matches!(
        may_dry_run(&r, "viewer", Roles::default()),
        Err(CommandError::Forbidden(_))
    ));
    for state in [
        State::New,
        State::Extracting,
        State::Delivered,
        State::Rejected,
        State::Cancelled,
    ] {
        assert!(
            matches!(
                may_dry_run(&row(state), ANALYST, ANALYST_ONLY),
                Err(CommandError::NotNow(_))
            ),
            "{state:?}"
        );
    }
    let mut no_plan = row(State::InReview);
    no_plan.plan_digest = None;
    assert!(matches!(
        may_dry_run(&no_plan, ANALYST, ANALYST_ONLY),
        Err(CommandError::Invalid(_))
    ));
    assert!(permitted(&r, ANALYST, ANALYST_ONLY, &policy(true)).contains(&"dry_run"));
    assert!(!permitted(&r, REQUESTER, ALL_ROLES, &policy(true)).contains(&"dry_run"));
}

#[test]
fn an_approval_covers_what_its_officer_saw_and_decided_and_a_direct_one_nothing() {
    use crate::extract::pii_values::Finding;
    let found = |column: &str, category: &str| -> Finding {
        serde_json::from_value(finding(column, category, false)).unwrap()
    };
    let mut r = row(State::Extracting);
    let digest = r.plan_digest.clone().unwrap();
    let mut seen: serde_json::Value = serde_json::from_str(&clean_scan(&digest)).unwrap();
    seen["findings"] = json!([finding("email", "email", false)]);
    r.pii_scan = Some(seen.to_string());
    let plan = sample(); // masks `email`
    let whole = [
        found("email", "email"),
        found("notes", "phone"),
        found("ref", "email"),
    ];

    // Approved directly: nothing is covered, not even the masked column.
    r.pii = Some(false);
    r.approved_by = Some(SCAN_APPROVER.into());
    let open: Vec<String> = uncovered(&r, &plan, &whole)
        .into_iter()
        .map(|f| f.column)
        .collect();
    assert_eq!(open, ["email", "notes", "ref"]);

    // Approved by a privacy officer: what their scan showed and what they masked is covered, the rest is not.
    r.pii = Some(true);
    r.approved_by = Some(PRIVACY.into());
    let mut keep_all = plan.clone();
    keep_all.masking.clear();
    let open: Vec<String> = uncovered(&r, &keep_all, &whole)
        .into_iter()
        .map(|f| f.column)
        .collect();
    assert_eq!(open, ["notes", "ref"], "email was in the approved scan");
    let mut masked_ref = keep_all.clone();
    masked_ref
        .masking
        .insert("ref".into(), Masking::Pseudonymise);
    let open: Vec<String> = uncovered(&r, &masked_ref, &whole)
        .into_iter()
        .map(|f| f.column)
        .collect();
    assert_eq!(
        open,
        ["notes"],
        "ref is pseudonymised by the officer's decision"
    );
    // A new category in a column the officer saw is not covered by what they saw.
    let more = [found("email", "phone")];
    assert_eq!(uncovered(&r, &keep_all, &more).len(), 1);
}
