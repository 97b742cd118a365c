//! Team notices for the tenant's channel: a request arrived, awaits privacy approval (mentioning the privacy group
//! when one is configured), was approved, delivered, failed, or its file expires soon. Each names the issue (key,
//! summary, link) and nothing about people or data; text from Jira is escaped.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    UserGroupId,
    block_kit::{context, fallback_text, section, shorten},
    messages::{IssueRef, Message, escape, slack_date},
};

/// Longest failure reason shown.
pub const REASON_CHARS: usize = 500;

/// Something the team should know about a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A ticket became a data request.
    NewRequest(IssueRef),
    /// The plan was submitted and waits for the privacy officer.
    AwaitingPrivacyApproval(IssueRef),
    /// The extraction is approved.
    Approved(IssueRef),
    /// The encrypted file was attached; it is removed at `expires_at`.
    Delivered {
        /// The issue.
        issue: IssueRef,
        /// When the attachment is removed.
        expires_at: DateTime<Utc>,
    },
    /// The extraction or delivery failed.
    Failed {
        /// The issue.
        issue: IssueRef,
        /// Why (Clearance's words, never data); shortened to [`REASON_CHARS`].
        reason: String,
    },
    /// The delivered file will be removed soon.
    ExpiringSoon {
        /// The issue.
        issue: IssueRef,
        /// When the attachment is removed.
        expires_at: DateTime<Utc>,
    },
    /// The admin's "send a test notice" (no issue).
    Test,
}

/// The notice as a message; `privacy_group` is mentioned on [`Notice::AwaitingPrivacyApproval`].
pub fn notice(n: &Notice, privacy_group: Option<&UserGroupId>) -> Message {
    let (emoji, what, issue, detail): (&str, &str, &IssueRef, Option<String>) = match n {
        Notice::NewRequest(i) => (":inbox_tray:", "New data request", i, None),
        Notice::AwaitingPrivacyApproval(i) => {
            let who = privacy_group.map_or_else(
                || "the privacy officer".to_owned(),
                |g| format!("<!subteam^{g}>"),
            );
            let detail = format!("Waiting for {who} to review the plan and approve it.");
            (":lock:", "Awaiting privacy approval", i, Some(detail))
        }
        Notice::Approved(i) => (":white_check_mark:", "Approved", i, None),
        Notice::Delivered { issue, expires_at } => {
            let detail = format!(
                "The encrypted file is attached to the issue until {}.",
                slack_date(*expires_at)
            );
            (":package:", "Delivered", issue, Some(detail))
        }
        Notice::Failed { issue, reason } => {
            let detail = format!("Reason: {}", escape(&shorten(reason.trim(), REASON_CHARS)));
            (":x:", "Failed", issue, Some(detail))
        }
        Notice::ExpiringSoon { issue, expires_at } => {
            let detail = format!(
                "The delivered file is removed from the issue on {}.",
                slack_date(*expires_at)
            );
            (":hourglass:", "Expiring soon", issue, Some(detail))
        }
        Notice::Test => return test_notice(),
    };
    let mut blocks = vec![section(format!("{emoji} *{what}*: {}", issue.title()))];
    blocks.extend(detail.map(context));
    Message {
        text: fallback_text(format!("{what}: {}", issue.key_text())),
        blocks: json!(blocks),
    }
}

fn test_notice() -> Message {
    Message {
        text: "Clearance can post in this channel".into(),
        blocks: json!([section(
            ":wave: *Clearance can post in this channel.* Data requests will be announced here: new, awaiting \
             privacy approval, approved, delivered, failed and expiring soon."
                .into()
        )]),
    }
}
