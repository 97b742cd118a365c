//! Snapshots of the bodies Clearance sends to Jira: the write-back comment (ADF) of every audit action that makes
//! one, with each delivery variant, and the `clearance-request` issue property. Fixed inputs, so any change to what
//! Jira receives shows up in review as a changed `.snap` file under `src/requests/snapshots/`.
//! After an intended change: `cargo insta review`, or `INSTA_UPDATE=always cargo test --lib snapshot_tests` and
//! read the diff.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::{machine::tests::row, state::State, writeback};
use crate::{jira::comment_body, model::AuditAction, store::AuditEvent};

fn event(action: AuditAction, detail: Value) -> AuditEvent {
    AuditEvent {
        id: "ev".into(),
        tenant_id: "t".into(),
        seq: 42,
        at: "2026-12-07T00:00:00.000000Z".into(),
        actor: "557058:ana".into(),
        action: action.as_str().into(),
        request_id: Some("r".into()),
        detail: detail.to_string(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The body of the comment about `action` with `detail`, as the write-back job posts it.
fn comment(action: AuditAction, detail: Value) -> Value {
    let doc = writeback::document(&event(action, detail)).expect("the action makes a comment");
    comment_body(doc)
}

fn delivered(encryption: &str, secret_via: &str, approved_by: &str) -> Value {
    let file = if encryption == "zip-aes" {
        "DATA-7-20261202-ab12cd34.zip"
    } else {
        "DATA-7-20261202-ab12cd34.zip.age"
    };
    comment(
        AuditAction::RequestDelivered,
        json!({"file": file, "rows": 300, "bundle_sha256": "f00dfeed", "encryption": encryption,
            "columns": [{"name": "id", "masking": "keep"}, {"name": "email", "masking": "mask"}, {"name": "region"}],
            "expires_on": "2026-12-09", "approved_by": approved_by, "digest": "abcdef0123456789",
            "secret_via": secret_via}),
    )
}

#[test]
fn plan_comments() {
    insta::assert_json_snapshot!(
        "comment_submitted",
        comment(AuditAction::RequestSubmitted, json!({}))
    );
    insta::assert_json_snapshot!(
        "comment_approved",
        comment(
            AuditAction::RequestApproved,
            json!({"digest": "abcdef0123456789"})
        )
    );
    insta::assert_json_snapshot!(
        "comment_rejected",
        comment(
            AuditAction::RequestRejected,
            json!({"reason": "Ask for the region only, not e-mail addresses."})
        )
    );
    insta::assert_json_snapshot!(
        "comment_rejected_no_reason",
        comment(AuditAction::RequestRejected, json!({}))
    );
    insta::assert_json_snapshot!(
        "comment_failed",
        comment(
            AuditAction::RequestFailed,
            json!({"reason": "The source refused the query: statement timeout."})
        )
    );
}

#[test]
fn delivery_comments() {
    insta::assert_json_snapshot!(
        "comment_delivered_age_link",
        delivered("age", "link", "557058:pia")
    );
    insta::assert_json_snapshot!(
        "comment_delivered_age_recipients",
        delivered("age-recipients", "none", "557058:pia")
    );
    insta::assert_json_snapshot!("comment_delivered_zip_dm", delivered("zip-aes", "dm", ""));
    insta::assert_json_snapshot!(
        "comment_awaiting_delivery",
        comment(
            AuditAction::RequestAwaitingDelivery,
            json!({"file": "DATA-7-20261202-ab12cd34.zip.age"})
        )
    );
    for (name, why) in [
        ("comment_expired_issue_closed", "issue closed"),
        ("comment_expired_erasure", "erasure"),
        ("comment_expired_retention", "retention"),
    ] {
        insta::assert_json_snapshot!(
            name,
            comment(
                AuditAction::RequestExpired,
                json!({"file": "DATA-7-20261202-ab12cd34.zip.age", "why": why, "bundle_sha256": "f00dfeed"})
            )
        );
    }
}

#[test]
fn issue_property() {
    let mut r = row(State::Approved);
    r.id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into();
    r.updated_at = Utc
        .with_ymd_and_hms(2026, 12, 2, 9, 30, 15)
        .single()
        .expect("a date");
    insta::assert_json_snapshot!("issue_property", writeback::property(&r).body());
}
