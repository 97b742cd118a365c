//! Snapshots of every `chat.postMessage` body Clearance sends (Block Kit): the DMs that carry a bundle's secret (or
//! say none is needed), the expiry reminder, and each team notice. Fixed inputs, so any change to what Slack
//! receives shows up in review as a changed `.snap` file under `src/slack/snapshots/`.
//! After an intended change: `cargo insta review`, or `INSTA_UPDATE=always cargo test --lib snapshot_tests` and
//! read the diff.

use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use super::{
    ChannelId, UserGroupId,
    client::post_message_body,
    messages::{
        IssueRef, Message, expiry_reminder_dm, passphrase_dm, recipient_dm, reveal_link_dm,
    },
    notices::{Notice, notice},
};

fn issue() -> IssueRef {
    let site = Url::parse("https://acme.atlassian.net/").expect("a URL");
    IssueRef::new(&site, "DATA-7", "Churn by region <Q4> & renewals")
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, 14, 0, 0)
        .single()
        .expect("a date")
}

/// The body sent for `message` to `channel`, as [`super::SlackClient::post_message`] builds it.
fn body(channel: &str, message: Message) -> Value {
    let channel = ChannelId::parse(channel).expect("a channel id");
    post_message_body(&channel, &message.text, Some(message.blocks))
}

fn dm(message: Message) -> Value {
    body("D0123456789", message)
}

fn team(n: &Notice, privacy_group: Option<&UserGroupId>) -> Value {
    body("C0123456789", notice(n, privacy_group))
}

#[test]
fn secret_dms() {
    let file = "DATA-7-20261202-ab12cd34.zip.age";
    let reveal = Url::parse("https://clearance.example.com/reveal/one-time-token").expect("a URL");
    insta::assert_json_snapshot!(
        "dm_reveal_link",
        dm(reveal_link_dm(&issue(), file, &reveal, at(4)))
    );
    let passphrase = SecretString::from("correct-horse-battery-staple");
    insta::assert_json_snapshot!(
        "dm_passphrase",
        dm(passphrase_dm(&issue(), file, &passphrase))
    );
    insta::assert_json_snapshot!(
        "dm_passphrase_zip",
        dm(passphrase_dm(
            &issue(),
            "DATA-7-20261202-ab12cd34.zip",
            &passphrase
        ))
    );
    insta::assert_json_snapshot!("dm_recipient", dm(recipient_dm(&issue(), file)));
}

#[test]
fn reminder_dm() {
    insta::assert_json_snapshot!(
        "dm_expiry_reminder",
        dm(expiry_reminder_dm(
            &issue(),
            "DATA-7-20261202-ab12cd34.zip.age",
            at(9)
        ))
    );
}

#[test]
fn team_notices() {
    let group = UserGroupId::parse("S0123456789").expect("a user group id");
    insta::assert_json_snapshot!(
        "notice_new_request",
        team(&Notice::NewRequest(issue()), None)
    );
    insta::assert_json_snapshot!(
        "notice_awaiting_privacy_approval",
        team(&Notice::AwaitingPrivacyApproval(issue()), None)
    );
    insta::assert_json_snapshot!(
        "notice_awaiting_privacy_approval_mention",
        team(&Notice::AwaitingPrivacyApproval(issue()), Some(&group))
    );
    insta::assert_json_snapshot!("notice_approved", team(&Notice::Approved(issue()), None));
    let delivered = Notice::Delivered {
        issue: issue(),
        expires_at: at(9),
    };
    insta::assert_json_snapshot!("notice_delivered", team(&delivered, None));
    let failed = Notice::Failed {
        issue: issue(),
        reason: "the source refused the query: permission denied for table <orders>".into(),
    };
    insta::assert_json_snapshot!("notice_failed", team(&failed, None));
    let expiring = Notice::ExpiringSoon {
        issue: issue(),
        expires_at: at(9),
    };
    insta::assert_json_snapshot!("notice_expiring_soon", team(&expiring, None));
    insta::assert_json_snapshot!("notice_test", team(&Notice::Test, Some(&group)));
}
