//! Every message Clearance sends to Slack, built from hostile inputs (1000-character summaries of characters Slack
//! escapes, keys and file names of `mrkdwn` control characters, unicode, very long reasons and URLs), stays within
//! Slack's Block Kit limits (the simulator's validation, as strict as Slack's) and never lets Jira text act as markup
//! in the notification text.

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use url::Url;

use super::*;
use crate::slack::{
    UserGroupId,
    block_kit::MESSAGE_TEXT_CHARS,
    notices::{Notice, notice},
};

fn summaries() -> Vec<String> {
    vec![
        "x".repeat(1000),
        "&".repeat(1000),
        "<".repeat(1000),
        "<!channel> *bold* _it_ ~st~ `code` <https://evil|x> &amp; > <@U0123456789>".repeat(20),
        "👩‍👩‍👧 Zoë \u{202E}rtl e\u{301} 漢字".repeat(60),
        String::new(),
    ]
}

fn keys() -> Vec<String> {
    vec![
        "DATA-7".into(),
        "<".repeat(300),
        "<!channel>".into(),
        format!("{}-1", "K&".repeat(150)),
        "漢字-12".into(),
    ]
}

fn files() -> Vec<String> {
    vec![
        "DATA-7-20261202-ab12cd34.zip.age".into(),
        "DATA-7.zip".into(),
        format!("{}.zip.age", "<&>`*_~".repeat(60)),
    ]
}

/// Every DM and notice for one issue and file.
fn messages(issue: &IssueRef, file: &str, reveal: &Url) -> Vec<Message> {
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap();
    let group = UserGroupId::parse("S0614TZR7").unwrap();
    let mut out = vec![
        reveal_link_dm(issue, file, reveal, at),
        passphrase_dm(issue, file, &SecretString::from("k7qm-abcd")),
        recipient_dm(issue, file),
        expiry_reminder_dm(issue, file, at),
    ];
    let notices = [
        Notice::NewRequest(issue.clone()),
        Notice::AwaitingPrivacyApproval(issue.clone()),
        Notice::Approved(issue.clone()),
        Notice::Delivered {
            issue: issue.clone(),
            expires_at: at,
        },
        Notice::Failed {
            issue: issue.clone(),
            reason: "&<>".repeat(3000),
        },
        Notice::ExpiringSoon {
            issue: issue.clone(),
            expires_at: at,
        },
        Notice::Test,
    ];
    for n in &notices {
        out.push(notice(n, Some(&group)));
        out.push(notice(n, None));
    }
    out
}

#[test]
fn hostile_inputs_stay_within_slack_limits() {
    let site = Url::parse(&format!("https://acme.atlassian.net/{}/", "p".repeat(500))).unwrap();
    let reveals = [
        Url::parse("https://clearance.example/reveal/abc?t=1").unwrap(),
        Url::parse(&format!(
            "https://clearance.example/reveal/{}",
            "r".repeat(3100)
        ))
        .unwrap(),
    ];
    let mut checked = 0;
    for summary in summaries() {
        for key in keys() {
            let issue = IssueRef::new(&site, &key, &summary);
            for file in files() {
                for reveal in &reveals {
                    for m in messages(&issue, &file, reveal) {
                        let blocks = clearance_sandbox::slack::validate_blocks(m.blocks.clone());
                        assert!(
                            matches!(blocks, Ok(Some(_))),
                            "{blocks:?} (key {key:?}, summary {summary:?}): {}",
                            m.blocks
                        );
                        let n = m.text.chars().count();
                        assert!((1..=MESSAGE_TEXT_CHARS).contains(&n), "{n}: {}", m.text);
                        for raw in ["<!", "<@", "<#", "<http"] {
                            assert!(!m.text.contains(raw), "{raw} in {}", m.text);
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 5 * 3 * 2 * 18);
}

#[test]
fn a_reveal_url_slack_would_refuse_leaves_the_panel() {
    let issue = IssueRef::new(
        &Url::parse("https://acme.atlassian.net/").unwrap(),
        "DATA-7",
        "Churn",
    );
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap();
    let long = Url::parse(&format!(
        "https://clearance.example/reveal/{}",
        "r".repeat(3100)
    ))
    .unwrap();
    let m = reveal_link_dm(&issue, "DATA-7.zip", &long, at);
    let blocks = m.blocks.to_string();
    assert!(
        !blocks.contains("rrrr") && blocks.contains("Clearance panel"),
        "{blocks}"
    );
}
