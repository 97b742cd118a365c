//! The `insta` settings the API snapshots share: maps sorted, and what changes from run to run (ids, timestamps,
//! digests, file names, sizes that depend on random salts, loopback ports) replaced by a label. A redacted value
//! keeps its `null`: the snapshot still shows whether a field is set.

use insta::{Settings, internals::Content};

/// Keys whose values differ between runs, at any depth, with the label that replaces them.
const REDACTED: &[(&str, &str)] = &[
    // Timestamps.
    ("at", "[time]"),
    ("since", "[time]"),
    ("nextTry", "[time]"),
    ("createdAt", "[time]"),
    ("updatedAt", "[time]"),
    ("approvedAt", "[time]"),
    ("builtAt", "[time]"),
    ("uploadedAt", "[time]"),
    ("expiresAt", "[time]"),
    ("expiredAt", "[time]"),
    ("notifiedAt", "[time]"),
    ("revealedAt", "[time]"),
    ("linkExpiresAt", "[time]"),
    ("runAt", "[time]"),
    ("waitingSince", "[time]"),
    ("expires_on", "[date]"),
    ("seconds", "[seconds]"),
    // Ids.
    ("id", "[id]"),
    ("issueId", "[issue id]"),
    ("request_id", "[id]"),
    ("delivery_id", "[id]"),
    ("job_id", "[id]"),
    ("eventId", "[id]"),
    ("ts", "[slack ts]"),
    ("botUserId", "[slack id]"),
    ("channel", "[slack id]"),
    ("slackUserId", "[slack id]"),
    // Digests and keys.
    ("digest", "[digest]"),
    ("planDigest", "[digest]"),
    ("approvedDigest", "[digest]"),
    ("plan_digest", "[digest]"),
    ("hash", "[hash]"),
    ("sha256", "[sha256]"),
    ("bundleSha256", "[sha256]"),
    ("bundle_sha256", "[sha256]"),
    ("publicKey", "[age key]"),
    ("public_key", "[age key]"),
    // Names with a date and a hash in them, paths under a temporary folder.
    ("file", "[file name]"),
    ("fileName", "[file name]"),
    ("url", "[url]"),
    ("expires_at", "[time]"),
];

/// Values at these paths differ between runs too; other values under the same keys do not.
const REDACTED_AT: &[(&str, &str)] = &[
    (".audit[].detail.delivery", "[id]"),
    (".request.attachments[].created", "[time]"),
    (".request.attachments[].filename", "[file name]"),
];

/// `text` with the port of a loopback URL replaced (`http://127.0.0.1:[port]/`).
fn without_port(text: &str) -> String {
    let host = "127.0.0.1:";
    match text.find(host) {
        Some(at) => {
            let (head, rest) = text.split_at(at + host.len());
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{head}[port]{}", without_port(rest))
        }
        None => text.to_owned(),
    }
}

/// The settings for API snapshots, to bind around the assertions.
pub(crate) fn settings() -> Settings {
    let mut s = Settings::clone_current();
    s.set_sort_maps(true);
    s.set_prepend_module_to_snapshot(false);
    let selectors = REDACTED
        .iter()
        .map(|(key, label)| (format!(".**.{key}"), *label))
        .chain(
            REDACTED_AT
                .iter()
                .map(|(at, label)| ((*at).to_owned(), *label)),
        );
    for (selector, label) in selectors {
        s.add_dynamic_redaction(
            &selector,
            move |v: Content, _| {
                if v.is_nil() { v } else { Content::from(label) }
            },
        );
    }
    s.add_dynamic_redaction(".site", |v: Content, _| match v.as_str() {
        Some(url) => Content::from(without_port(url)),
        None => v,
    });
    s
}
