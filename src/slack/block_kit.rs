//! Block Kit builders that cannot exceed Slack's documented limits: every text is cut to its block's maximum (a
//! `mrkdwn` text never in the middle of a `<…>` link or an `&…;` escape), so a message built from any issue summary,
//! key, file name or reason is one Slack accepts.
//!
//! The limits, from Slack's Block Kit reference (<https://docs.slack.dev/reference/block-kit/blocks>, its block and
//! element pages) and the same numbers in `@slack/types` (`block-kit/blocks.d.ts`, `block-kit/block-elements.d.ts`):

use serde_json::{Value, json};

/// "You can include up to 50 blocks in each message" (Block Kit reference; `chat.postMessage` `blocks`).
pub const MAX_BLOCKS: usize = 50;
/// Section block `text`: "Maximum length for the text in this field is 3000 characters."
pub const SECTION_TEXT_CHARS: usize = 3000;
/// Header block `text`: a `plain_text` object, "Maximum length for the text in this field is 150 characters."
pub const HEADER_TEXT_CHARS: usize = 150;
/// Context block `elements`: "Maximum number of items is 10"; each a text object (at most 3000 characters, the
/// text object's own limit) or an image.
pub const CONTEXT_ELEMENTS: usize = 10;
/// A text object's `text`: at most 3000 characters (composition objects reference).
pub const TEXT_OBJECT_CHARS: usize = 3000;
/// Button `text` (`plain_text` only): "Maximum length for the text in this field is 75 characters."
pub const BUTTON_TEXT_CHARS: usize = 75;
/// Button `action_id`: "Maximum length for this field is 255 characters."
pub const ACTION_ID_CHARS: usize = 255;
/// Button `url`: "Maximum length for this field is 3000 characters."
pub const BUTTON_URL_CHARS: usize = 3000;
/// `chat.postMessage` `text`: Slack truncates messages longer than 40,000 characters (changelog "Truncating really
/// long messages", 2018-04) and documents `msg_too_long`; Clearance's notification texts stay far below.
pub const MESSAGE_TEXT_CHARS: usize = 40_000;

/// At most `max` characters, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `mrkdwn` text of at most `max` characters, with `…` when cut — never inside a `<…>` (a link, mention or date,
/// which would then show raw) or an `&…;` escape (which would show half of it).
pub fn shorten_mrkdwn(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut kept: String = s.chars().take(max.saturating_sub(1)).collect();
    let open_link = kept.rfind('<').filter(|&i| !kept[i..].contains('>'));
    let open_escape = kept.rfind('&').filter(|&i| !kept[i..].contains(';'));
    if let Some(cut) = open_link.into_iter().chain(open_escape).min() {
        kept.truncate(cut);
    }
    kept.push('…');
    kept
}

/// A section of `mrkdwn` text.
pub fn section(mrkdwn: String) -> Value {
    let text = shorten_mrkdwn(&mrkdwn, SECTION_TEXT_CHARS);
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

/// A context block of one `mrkdwn` element.
pub fn context(mrkdwn: String) -> Value {
    let text = shorten_mrkdwn(&mrkdwn, TEXT_OBJECT_CHARS);
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
}

/// A header (plain text).
pub fn header(text: &str) -> Value {
    let text = shorten(text, HEADER_TEXT_CHARS);
    json!({"type": "header", "text": {"type": "plain_text", "text": text}})
}

/// A primary link button in an actions block; `None` when Slack would refuse its URL (longer than
/// [`BUTTON_URL_CHARS`]).
pub fn link_button(text: &str, action_id: &str, url: &str) -> Option<Value> {
    if url.chars().count() > BUTTON_URL_CHARS {
        return None;
    }
    let button = json!({
        "type": "button", "action_id": shorten(action_id, ACTION_ID_CHARS), "style": "primary",
        "text": {"type": "plain_text", "text": shorten(text, BUTTON_TEXT_CHARS)}, "url": url,
    });
    Some(json!({"type": "actions", "elements": [button]}))
}

/// A message's notification/fallback text, kept within [`MESSAGE_TEXT_CHARS`].
pub fn fallback_text(mrkdwn: String) -> String {
    shorten_mrkdwn(&mrkdwn, MESSAGE_TEXT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_is_never_cut_inside_a_link_or_an_escape() {
        assert_eq!(shorten_mrkdwn("short", 10), "short");
        let link = format!("ab <https://x.test/{}|x> tail", "p".repeat(50));
        assert_eq!(shorten_mrkdwn(&link, 20), "ab …");
        assert_eq!(shorten_mrkdwn("abc &amp; def", 7), "abc …");
        assert_eq!(shorten_mrkdwn("abc &amp; def", 11), "abc &amp; …");
        let long = "é".repeat(5000);
        assert_eq!(shorten_mrkdwn(&long, 3000).chars().count(), 3000);
        assert_eq!(shorten(&long, 150).chars().count(), 150);
    }
}
