//! The message builders: what each says, that Jira's text is escaped, that secrets stay out of notification text
//! and `Debug`, and that every message passes the simulator's Block Kit validation (as strict as Slack's).

use chrono::TimeZone;
use serde_json::Value;

use super::*;
use crate::slack::{
    UserGroupId,
    notices::{Notice, notice},
};

fn issue(summary: &str) -> IssueRef {
    let site = Url::parse("https://acme.atlassian.net/").unwrap();
    IssueRef::new(&site, "DATA-7", summary)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap()
}

/// All mrkdwn and plain text of the blocks, joined.
fn all_text(m: &Message) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(&m.blocks, &mut out);
    out
}

fn valid(m: &Message) {
    let checked = clearance_sandbox::slack::validate_blocks(m.blocks.clone());
    assert!(matches!(checked, Ok(Some(_))), "{checked:?}: {}", m.blocks);
    assert!(!m.text.trim().is_empty());
}

#[test]
fn reveal_link_dm_says_once_until_when_which_file_and_issue() {
    let url = Url::parse("https://clearance.example/reveal/abc?t=1").unwrap();
    let m = reveal_link_dm(&issue("Churn by region"), "DATA-7.zip.age", &url, at());
    valid(&m);
    let text = all_text(&m);
    assert!(text.contains("Reveal the password"));
    assert!(text.contains("https://clearance.example/reveal/abc?t=1"));
    assert!(text.contains("*once*"));
    assert!(text.contains("<!date^1796306400^"), "{text}");
    assert!(text.contains("2026-12-03 14:00 UTC"));
    assert!(text.contains("`DATA-7.zip.age`"));
    assert!(text.contains("<https://acme.atlassian.net/browse/DATA-7|DATA-7> Churn by region"));
    assert!(text.contains("age -d -o DATA-7.zip DATA-7.zip.age"));
    assert!(
        !m.text.contains("reveal/abc"),
        "the link stays out of notifications"
    );
}

#[test]
fn passphrase_dm_is_monospace_and_never_in_the_notification_or_debug() {
    let secret = SecretString::from("k7qm-abcd-efgh-ijkm-npqr-stuv-wxyz");
    let m = passphrase_dm(&issue("Churn"), "DATA-7.zip", &secret);
    valid(&m);
    assert!(all_text(&m).contains("`k7qm-abcd-efgh-ijkm-npqr-stuv-wxyz`"));
    assert!(all_text(&m).contains("7-Zip"));
    assert!(!m.text.contains("k7qm"));
    let debug = format!("{m:?}");
    assert!(
        !debug.contains("k7qm") && debug.starts_with("Message("),
        "{debug}"
    );
}

#[test]
fn recipient_dm_explains_decrypting_with_your_key() {
    let m = recipient_dm(&issue("Churn"), "DATA-7.zip.age");
    valid(&m);
    let text = all_text(&m);
    assert!(
        text.contains("`age -d -i key.txt -o DATA-7.zip DATA-7.zip.age`"),
        "{text}"
    );
    assert!(text.contains("no password"));
}

#[test]
fn jira_text_is_escaped_everywhere() {
    let evil = issue("Hi <!channel> see <https://evil|x> & <@U0123456789>");
    assert_eq!(
        evil.summary,
        "Hi <!channel> see <https://evil|x> & <@U0123456789>"
    );
    let url = Url::parse("https://clearance.example/r/1").unwrap();
    let group = UserGroupId::parse("S0614TZR7").unwrap();
    let mut messages = vec![
        reveal_link_dm(&evil, "a<b>.zip.age", &url, at()),
        passphrase_dm(&evil, "f.zip", &SecretString::from("x")),
        recipient_dm(&evil, "f.zip.age"),
    ];
    for n in [
        Notice::NewRequest(evil.clone()),
        Notice::AwaitingPrivacyApproval(evil.clone()),
        Notice::Approved(evil.clone()),
        Notice::Delivered {
            issue: evil.clone(),
            expires_at: at(),
        },
        Notice::Failed {
            issue: evil.clone(),
            reason: "<!here> broke & died".into(),
        },
        Notice::ExpiringSoon {
            issue: evil.clone(),
            expires_at: at(),
        },
    ] {
        messages.push(notice(&n, Some(&group)));
    }
    for m in &messages {
        valid(m);
        let text = all_text(m);
        assert!(
            !text.contains("<!channel>") && !text.contains("<https://evil"),
            "{text}"
        );
        assert!(
            !text.contains("<!here>") && !text.contains("<@U0123456789>"),
            "{text}"
        );
        assert!(
            text.contains("&lt;!channel&gt;") && text.contains("&amp;"),
            "{text}"
        );
        assert!(!text.contains("a<b>"), "{text}");
    }
}

#[test]
fn notices_name_the_issue_and_mention_the_privacy_group() {
    let i = issue("Churn by region");
    let link = "<https://acme.atlassian.net/browse/DATA-7|DATA-7> Churn by region";
    let group = UserGroupId::parse("S0614TZR7").unwrap();
    let cases = [
        (Notice::NewRequest(i.clone()), "New data request"),
        (
            Notice::AwaitingPrivacyApproval(i.clone()),
            "Awaiting privacy approval",
        ),
        (Notice::Approved(i.clone()), "Approved"),
        (
            Notice::Delivered {
                issue: i.clone(),
                expires_at: at(),
            },
            "Delivered",
        ),
        (
            Notice::Failed {
                issue: i.clone(),
                reason: "source unreachable".into(),
            },
            "Failed",
        ),
        (
            Notice::ExpiringSoon {
                issue: i.clone(),
                expires_at: at(),
            },
            "Expiring soon",
        ),
    ];
    for (n, what) in cases {
        let m = notice(&n, Some(&group));
        valid(&m);
        assert_eq!(m.text, format!("{what}: DATA-7"));
        let text = all_text(&m);
        assert!(text.contains(link) && text.contains(what), "{text}");
        let mentions = text.contains("<!subteam^S0614TZR7>");
        assert_eq!(mentions, what == "Awaiting privacy approval", "{text}");
    }
    let failed = notice(
        &Notice::Failed {
            issue: i.clone(),
            reason: "source unreachable".into(),
        },
        None,
    );
    assert!(all_text(&failed).contains("Reason: source unreachable"));
    let plain = notice(&Notice::AwaitingPrivacyApproval(i), None);
    assert!(all_text(&plain).contains("the privacy officer"));
    valid(&notice(&Notice::Test, None));
}

#[test]
fn long_summaries_are_shortened_and_keys_stay_in_the_path() {
    let long = "x".repeat(300);
    let i = issue(&long);
    assert_eq!(i.summary.chars().count(), SUMMARY_CHARS);
    assert!(i.summary.ends_with('…'));
    let site = Url::parse("https://jira.acme.test/jira/").unwrap();
    let odd = IssueRef::new(&site, "A|B>C", "s");
    assert_eq!(odd.url, "https://jira.acme.test/jira/browse/A%7CB%3EC");
}
