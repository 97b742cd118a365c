//! Block Kit messages, built by pure functions: the DMs that carry (or replace) a bundle's secret. Team notices are in
//! [`super::notices`].
//!
//! Everything that comes from Jira (summaries, keys) or from a file name is escaped (`&`, `<`, `>`), so a summary
//! like `<!channel>` cannot ping anyone or forge a link. Secrets appear only in blocks, never in the fallback `text`
//! Slack shows in push notifications, and a [`Message`]'s `Debug` shows neither.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use super::block_kit::{context, fallback_text, header, link_button, section, shorten};

/// A message for `chat.postMessage`: the fallback/notification `text` and the Block Kit `blocks`.
#[derive(Clone, PartialEq)]
pub struct Message {
    /// Notification and fallback text (never a secret).
    pub text: String,
    /// The blocks (a JSON array).
    pub blocks: Value,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks = self.blocks.as_array().map_or(0, Vec::len);
        write!(
            f,
            "Message({} characters, {blocks} blocks)",
            self.text.chars().count()
        )
    }
}

/// A Jira issue as messages show it: its key, summary (shortened) and link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueRef {
    /// `DATA-7`.
    pub key: String,
    /// The issue's summary, at most [`SUMMARY_CHARS`] characters.
    pub summary: String,
    /// `{display URL}/browse/{key}`.
    pub url: String,
}

/// What is percent-encoded in an issue key placed in a URL path (keys are `PROJ-123`: nothing, normally).
const KEY_IN_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// Longest summary shown (Jira allows 255 characters; a notice stays readable).
pub const SUMMARY_CHARS: usize = 150;

impl IssueRef {
    /// The issue `key` on the site whose links start with `display_url` (the tenant's display URL).
    pub fn new(display_url: &Url, key: &str, summary: &str) -> Self {
        let encoded = percent_encoding::utf8_percent_encode(key, KEY_IN_PATH);
        let base = display_url.as_str().trim_end_matches('/');
        Self {
            key: key.to_owned(),
            summary: shorten(summary.trim(), SUMMARY_CHARS),
            url: format!("{base}/browse/{encoded}"),
        }
    }

    /// `<url|KEY>`: the key, linked to the issue.
    pub fn link(&self) -> String {
        format!("<{}|{}>", link_target(&self.url), escape(&self.key))
    }

    /// The key as notification text shows it (escaped: `text` is `mrkdwn` too).
    pub fn key_text(&self) -> String {
        escape(&self.key)
    }

    /// `<url|KEY> summary`, for the first line of a message.
    pub fn title(&self) -> String {
        format!("{} {}", self.link(), escape(&self.summary))
    }
}

/// Escape the three characters Slack's `mrkdwn` reads as control characters: `&`, `<`, `>`.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A URL as the target of `<…|…>`: Slack's three characters escaped, and `|` (which would end it) encoded.
pub(super) fn link_target(url: &str) -> String {
    escape(url).replace('|', "%7C")
}

/// Inline code: escaped, without backticks (which would end it).
pub(super) fn code(s: &str) -> String {
    format!("`{}`", escape(s).replace('`', "'"))
}

/// A time Slack shows in the reader's own time zone, with a UTC fallback.
pub(super) fn slack_date(at: DateTime<Utc>) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{}>",
        at.timestamp(),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// How to open the bundle once the password is known: age for `.age`, 7-Zip/WinZip for an AES zip.
fn opening_hint(file_name: &str) -> String {
    match file_name.strip_suffix(".age") {
        Some(plain) => format!(
            "Decrypt it with age: {} and type the password when asked.",
            code(&format!("age -d -o {plain} {file_name}"))
        ),
        None => "Open it with 7-Zip or WinZip and type the password when asked.".into(),
    }
}

/// A "your data is ready" DM: a header, which file on which issue, then `rest`.
fn ready_dm(text: String, issue: &IssueRef, file_name: &str, rest: Vec<Value>) -> Message {
    let intro = format!(
        "Your data for {} is attached to the issue as {}.",
        issue.title(),
        code(file_name)
    );
    let mut blocks = vec![header("Your data is ready"), section(intro)];
    blocks.extend(rest);
    Message {
        text: fallback_text(text),
        blocks: Value::Array(blocks),
    }
}

/// (a) The secret behind a one-time link: a "Reveal the password" button, when the link stops working, the file and
/// the issue. The link is in the button only (not in the notification text).
pub fn reveal_link_dm(
    issue: &IssueRef,
    file_name: &str,
    reveal_url: &Url,
    link_expires_at: DateTime<Utc>,
) -> Message {
    // A URL Slack would refuse in a button (over 3000 characters) leaves the panel's own reveal.
    let button = link_button(
        "Reveal the password",
        "reveal_password",
        reveal_url.as_str(),
    )
    .unwrap_or_else(|| {
        section("Reveal the password once from the Clearance panel on the issue.".into())
    });
    let text = format!(
        "Your data for {} is ready: reveal its password",
        issue.key_text()
    );
    let once = format!(
        "The button shows the password *once*, until {}. Keep it somewhere safe; after that the link no longer \
         works.",
        slack_date(link_expires_at)
    );
    let rest = vec![section(once), button, context(opening_hint(file_name))];
    ready_dm(text, issue, file_name, rest)
}

/// (b) The secret itself, in monospace (the tenant chose `secretInDm`). The notification text does not carry it.
pub fn passphrase_dm(issue: &IssueRef, file_name: &str, passphrase: &SecretString) -> Message {
    let text = format!(
        "Your data for {} is ready: its password is in this message",
        issue.key_text()
    );
    let rest = vec![
        section(format!("Password: {}", code(passphrase.expose_secret()))),
        context(format!(
            "{} Delete this message once you have opened the file.",
            opening_hint(file_name)
        )),
    ];
    ready_dm(text, issue, file_name, rest)
}

/// (c) No secret needed: the bundle was encrypted to the requester's age public key.
pub fn recipient_dm(issue: &IssueRef, file_name: &str) -> Message {
    let plain = match file_name.strip_suffix(".age") {
        Some(plain) => plain.to_owned(),
        None => format!("{file_name}.zip"),
    };
    let text = format!(
        "Your data for {} is ready; no password needed",
        issue.key_text()
    );
    let how = format!(
        "It is encrypted to your age public key, so there is no password. Decrypt it with your private key: {}",
        code(&format!("age -d -i key.txt -o {plain} {file_name}"))
    );
    ready_dm(text, issue, file_name, vec![section(how)])
}

/// (d) A reminder to the requester: the file is removed from the issue soon, so download it before then.
pub fn expiry_reminder_dm(issue: &IssueRef, file_name: &str, expires_at: DateTime<Utc>) -> Message {
    let text = format!("Your data file on {} is removed soon", issue.key_text());
    let body = format!(
        "The data file {} on {} is removed from the issue on {}. Download it before then if you still need it; \
         Clearance keeps no copy.",
        code(file_name),
        issue.title(),
        slack_date(expires_at)
    );
    Message {
        text: fallback_text(text),
        blocks: Value::Array(vec![
            header("Your data file is removed soon"),
            section(body),
        ]),
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "messages_hostile_tests.rs"]
mod hostile_tests;
