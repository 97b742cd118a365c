//! The state machine's guards, command by command and state by state.

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::{
    model::AuditAction,
    requests::plan::{Masking, tests::sample},
};

pub(crate) const REQUESTER: &str = "acc-requester";
pub(crate) const ANALYST: &str = "acc-analyst";
pub(crate) const OTHER_ANALYST: &str = "acc-analyst-2";
pub(crate) const PRIVACY: &str = "acc-privacy";

pub(crate) const ALL_ROLES: Roles = Roles {
    analyst: true,
    privacy: true,
    admin: true,
};
pub(crate) const ANALYST_ONLY: Roles = Roles {
    analyst: true,
    privacy: false,
    admin: false,
};
pub(crate) const PRIVACY_ONLY: Roles = Roles {
    analyst: false,
    privacy: true,
    admin: false,
};

pub(crate) fn policy(sod: bool) -> RolePolicy {
    RolePolicy {
        analyst_groups: vec![],
        privacy_groups: vec![],
        admin_groups: vec![],
        sod_author_not_approver: sod,
    }
}

pub(crate) fn row(state: State) -> RequestRow {
    let plan = sample();
    let digest = plan.digest();
    RequestRow {
        id: "r1".into(),
        tenant_id: "t1".into(),
        issue_id: "10001".into(),
        issue_key: "DATA-1".into(),
        project_key: "DATA".into(),
        summary: "s".into(),
        description: "d".into(),
        reporter: Some(REQUESTER.into()),
        labels: "[]".into(),
        attachments: "[]".into(),
        state,
        reason: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 3,
        reviewer: Some(ANALYST.into()),
        plan: Some(serde_json::to_string(&plan).unwrap()),
        plan_digest: Some(digest.clone()),
        plan_author: Some(ANALYST.into()),
        pii: None,
        pii_scan: Some(clean_scan(&digest)),
        approved_digest: matches!(
            state,
            State::Approved | State::Extracting | State::Delivered
        )
        .then(|| digest.clone()),
        approved_by: None,
        approved_at: None,
    }
}

/// A dry run of the plan with `digest` that found nothing.
pub(crate) fn clean_scan(digest: &str) -> String {
    json!({"digest": digest, "sampled": 20, "at": Utc::now(), "findings": []}).to_string()
}

pub(crate) fn finding(column: &str, category: &str, blocking: bool) -> serde_json::Value {
    json!({"column": column, "free_text": false, "blocking": blocking,
           "categories": [{"category": category, "confidence": 1.0, "hits": 20, "by_name": true}]})
}

pub(crate) fn changed_plan() -> Command {
    let mut p = sample();
    p.max_rows = 5;
    Command::SavePlan { plan: Box::new(p) }
}

pub(crate) fn commands(r: &RequestRow) -> Vec<Command> {
    vec![
        Command::Claim {},
        changed_plan(),
        Command::Submit {
            personal_data: true,
        },
        Command::Approve {
            digest: r.plan_digest.clone().unwrap_or_default(),
            masking: None,
        },
        Command::Reject {
            reason: "not feasible".into(),
        },
        Command::Reopen {},
        Command::Extract {},
    ]
}

pub(crate) fn run(
    r: &RequestRow,
    actor: &str,
    roles: Roles,
    cmd: &Command,
) -> Result<Option<Change>, CommandError> {
    decide(r, actor, roles, cmd, &policy(true), Utc::now())
}

#[test]
fn transition_table() {
    // (state, command) pairs that succeed for a third person holding every role; all others are refused as NotNow.
    let allowed: &[(State, &str, State)] = &[
        (State::New, "claim", State::InReview),
        (State::InReview, "claim", State::InReview),
        (State::InReview, "save_plan", State::InReview),
        (State::InReview, "submit", State::AwaitingPrivacyApproval),
        (State::InReview, "reject", State::Rejected),
        (State::AwaitingPrivacyApproval, "save_plan", State::InReview),
        (State::AwaitingPrivacyApproval, "approve", State::Approved),
        (State::AwaitingPrivacyApproval, "reject", State::Rejected),
        (State::Approved, "save_plan", State::InReview),
        (State::Approved, "extract", State::Extracting),
        (State::Rejected, "reopen", State::InReview),
        (State::Failed, "reopen", State::InReview),
    ];
    for state in State::ALL {
        let r = row(state);
        for cmd in commands(&r) {
            let got = run(&r, OTHER_ANALYST, ALL_ROLES, &cmd);
            match allowed
                .iter()
                .find(|(s, c, _)| *s == state && *c == cmd.name())
            {
                Some((_, _, to)) => {
                    let change = got
                        .unwrap_or_else(|e| panic!("{} from {}: {e}", cmd.name(), state.as_str()))
                        .expect("a change");
                    assert_eq!(
                        change.row.state,
                        *to,
                        "{} from {}",
                        cmd.name(),
                        state.as_str()
                    );
                }
                None => match got {
                    Err(CommandError::NotNow(msg)) => {
                        assert!(msg.contains(state.as_str()), "{msg}");
                    }
                    other => panic!(
                        "{} from {} should be refused, got {other:?}",
                        cmd.name(),
                        state.as_str()
                    ),
                },
            }
        }
    }
}

#[test]
fn the_requester_can_do_nothing_to_their_own_request() {
    for state in State::ALL {
        let r = row(state);
        for cmd in commands(&r) {
            match run(&r, REQUESTER, ALL_ROLES, &cmd) {
                Err(CommandError::Forbidden(msg)) => {
                    assert!(msg.contains("you asked for this data"), "{msg}")
                }
                other => panic!(
                    "requester {} from {}: {other:?}",
                    cmd.name(),
                    state.as_str()
                ),
            }
        }
    }
}

#[test]
fn each_command_needs_its_role() {
    let no_roles = Roles::default();
    let cases = [
        (State::New, Command::Claim {}),
        (State::InReview, changed_plan()),
        (
            State::InReview,
            Command::Submit {
                personal_data: true,
            },
        ),
        (State::InReview, Command::Reject { reason: "x".into() }),
        (State::Rejected, Command::Reopen {}),
        (State::Approved, Command::Extract {}),
    ];
    for (state, cmd) in &cases {
        let r = row(*state);
        for roles in [no_roles, PRIVACY_ONLY] {
            assert!(
                matches!(run(&r, OTHER_ANALYST, roles, cmd), Err(CommandError::Forbidden(m)) if m.contains("only analysts")),
                "{} without the analyst role",
                cmd.name()
            );
        }
    }
    let r = row(State::AwaitingPrivacyApproval);
    let approve = Command::Approve {
        digest: r.plan_digest.clone().unwrap(),
        masking: None,
    };
    let reject = Command::Reject { reason: "x".into() };
    for cmd in [&approve, &reject] {
        assert!(
            matches!(run(&r, OTHER_ANALYST, ANALYST_ONLY, cmd), Err(CommandError::Forbidden(m)) if m.contains("only privacy officers")),
            "{} by an analyst",
            cmd.name()
        );
        assert!(run(&r, PRIVACY, PRIVACY_ONLY, cmd).is_ok());
    }
}

#[test]
fn the_plan_author_cannot_approve_unless_the_tenant_allows_it() {
    let r = row(State::AwaitingPrivacyApproval);
    let approve = Command::Approve {
        digest: r.plan_digest.clone().unwrap(),
        masking: None,
    };
    let refused = decide(&r, ANALYST, ALL_ROLES, &approve, &policy(true), Utc::now());
    assert!(
        matches!(refused, Err(CommandError::Forbidden(m)) if m.contains("separation of duties"))
    );
    let allowed = decide(&r, ANALYST, ALL_ROLES, &approve, &policy(false), Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(allowed.row.approved_by.as_deref(), Some(ANALYST));
}

#[test]
fn approval_binds_to_the_digest_shown() {
    let r = row(State::AwaitingPrivacyApproval);
    let stale = Command::Approve {
        digest: "0".repeat(64),
        masking: None,
    };
    assert!(matches!(
        run(&r, PRIVACY, PRIVACY_ONLY, &stale),
        Err(CommandError::Stale(_))
    ));
    let ok = run(
        &r,
        PRIVACY,
        PRIVACY_ONLY,
        &Command::Approve {
            digest: r.plan_digest.clone().unwrap(),
            masking: None,
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!(ok.row.approved_digest, r.plan_digest);
    assert_eq!(ok.action, AuditAction::RequestApproved);
}

#[test]
fn a_plan_change_voids_the_approval() {
    let r = row(State::Approved);
    let change = run(&r, OTHER_ANALYST, ANALYST_ONLY, &changed_plan())
        .unwrap()
        .unwrap();
    assert_eq!(change.row.state, State::InReview);
    assert_eq!(change.row.approved_digest, None);
    assert_ne!(change.row.plan_digest, r.plan_digest);
    assert_eq!(change.row.plan_author.as_deref(), Some(OTHER_ANALYST));
    assert_eq!(change.detail["approval_voided"], json!(true));
    assert!(
        change
            .row
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("plan changed")
    );
    // Saving the same plan again changes nothing.
    let same = Command::SavePlan {
        plan: Box::new(sample()),
    };
    assert!(
        run(&row(State::InReview), ANALYST, ANALYST_ONLY, &same)
            .unwrap()
            .is_none()
    );
    // An approved row whose plan no longer matches cannot be extracted.
    let mut tampered = row(State::Approved);
    tampered.plan_digest = Some("f".repeat(64));
    assert!(matches!(
        run(&tampered, ANALYST, ANALYST_ONLY, &Command::Extract {}),
        Err(CommandError::Stale(_))
    ));
}

#[test]
fn submit_needs_a_plan_and_reject_a_reason() {
    let mut r = row(State::InReview);
    r.plan = None;
    r.plan_digest = None;
    let submit = Command::Submit {
        personal_data: true,
    };
    assert!(matches!(
        run(&r, ANALYST, ANALYST_ONLY, &submit),
        Err(CommandError::Invalid(_))
    ));
    for reason in ["", "   ", &"x".repeat(2001)] {
        let cmd = Command::Reject {
            reason: reason.into(),
        };
        assert!(matches!(
            run(&r, ANALYST, ANALYST_ONLY, &cmd),
            Err(CommandError::Invalid(_))
        ));
    }
}

#[test]
fn permitted_lists_what_the_guards_allow() {
    let r = row(State::AwaitingPrivacyApproval);
    assert_eq!(
        permitted(&r, PRIVACY, PRIVACY_ONLY, &policy(true)),
        vec!["approve", "reject", "dry_run"]
    );
    assert_eq!(
        permitted(&r, ANALYST, ALL_ROLES, &policy(true)),
        vec!["save_plan", "reject", "dry_run"]
    );
    assert!(permitted(&r, REQUESTER, ALL_ROLES, &policy(true)).is_empty());
    assert_eq!(
        permitted(&row(State::New), OTHER_ANALYST, ANALYST_ONLY, &policy(true)),
        vec!["claim"]
    );
}

#[test]
fn commands_parse_strictly() {
    let ok: Command =
        serde_json::from_value(json!({"command": "approve", "digest": "ab"})).unwrap();
    assert_eq!(
        ok,
        Command::Approve {
            digest: "ab".into(),
            masking: None
        }
    );
    for bad in [
        json!({"command": "approve"}),
        json!({"command": "approve", "digest": "ab", "actor": "someone-else"}),
        json!({"command": "claim", "actor": "someone-else"}),
        json!({"command": "extract", "as": "someone-else"}),
        json!({"command": "cancel", "reason": "x"}),
        json!({"command": "expire"}),
        json!({"digest": "ab"}),
    ] {
        assert!(
            serde_json::from_value::<Command>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn the_privacy_officer_decides_masking_when_approving() {
    let mut r = row(State::AwaitingPrivacyApproval);
    let reviewed = r.plan_digest.clone().unwrap();
    let mut found: serde_json::Value = serde_json::from_str(&clean_scan(&reviewed)).unwrap();
    found["findings"] = json!([finding("diagnosis", "special", true)]);
    r.pii_scan = Some(found.to_string());
    let mut masking = sample().masking;
    masking.insert("diagnosis".into(), Masking::Drop);
    let approve = Command::Approve {
        digest: reviewed.clone(),
        masking: Some(masking.clone()),
    };
    let ok = run(&r, PRIVACY, PRIVACY_ONLY, &approve).unwrap().unwrap();
    let plan: Plan = serde_json::from_str(ok.row.plan.as_deref().unwrap()).unwrap();
    assert_eq!(
        plan.masking, masking,
        "the officer's decisions are the plan's now"
    );
    let approved = ok.row.approved_digest.clone().unwrap();
    assert_eq!(
        approved,
        plan.digest(),
        "the re-masked plan is what is approved"
    );
    assert_ne!(approved, reviewed);
    assert_eq!(ok.row.plan_digest.as_deref(), Some(approved.as_str()));
    assert_eq!(
        ok.row.plan_author, r.plan_author,
        "still the analyst's plan"
    );
    assert!(
        ok.row.pii_scan.as_deref().unwrap().contains(&approved),
        "the dry run's scan carries over"
    );
    assert_eq!(ok.detail["reviewed_digest"], reviewed.as_str());
    assert_eq!(ok.detail["masking"]["diagnosis"], "drop");

    // The same masking as the plan's changes nothing; a stale digest is refused even with masking.
    let same = Command::Approve {
        digest: reviewed.clone(),
        masking: Some(sample().masking),
    };
    let plain = run(&r, PRIVACY, PRIVACY_ONLY, &same);
    assert!(
        matches!(&plain, Err(CommandError::Invalid(m)) if m.contains("special-category")),
        "diagnosis still undecided: {plain:?}"
    );
    let stale = Command::Approve {
        digest: "0".repeat(64),
        masking: Some(masking),
    };
    assert!(matches!(
        run(&r, PRIVACY, PRIVACY_ONLY, &stale),
        Err(CommandError::Stale(_))
    ));
}
