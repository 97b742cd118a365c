//! Block Kit validation as strict as Slack's for the blocks it knows: a message's `blocks` must be an array
//! (else `invalid_blocks_format`) of at most 50 objects, each a known block type with its required fields, the
//! element types that block takes, and Slack's length limits (else `invalid_blocks`). The limits are Slack's Block
//! Kit reference's, as `crate::slack::block_kit` cites them.

use serde_json::Value;

/// Most blocks Slack accepts in one message.
const MAX_BLOCKS: usize = 50;

/// Block types Slack accepts in messages.
const KNOWN_TYPES: &[&str] = &[
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
];

/// Select menus, in single and multi form (Block Kit reference, select menu elements).
const SELECTS: &[&str] = &[
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
];

/// Other interactive elements an actions block takes (Block Kit reference, actions block `elements`).
const ACTIONS_ELEMENTS: &[&str] = &[
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
];

/// Other elements a section's `accessory` may be (Block Kit reference, section block `accessory`).
const ACCESSORIES: &[&str] = &[
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
];

/// Check a message's `blocks` value. `Ok(None)` for an empty array (no blocks), `Ok(Some(blocks))` when valid.
pub fn validate(blocks: Value) -> Result<Option<Value>, &'static str> {
    let Value::Array(list) = &blocks else {
        return Err("invalid_blocks_format");
    };
    if list.is_empty() {
        return Ok(None);
    }
    if list.len() > MAX_BLOCKS || !list.iter().all(valid_block) {
        return Err("invalid_blocks");
    }
    Ok(Some(blocks))
}

/// A text object (`plain_text` or `mrkdwn`, or only `plain_text` when `plain_only`) with 1 to `max` characters.
fn text_object(value: Option<&Value>, max: usize, plain_only: bool) -> bool {
    let Some(obj) = value.and_then(Value::as_object) else {
        return false;
    };
    let kind_ok = match obj.get("type").and_then(Value::as_str) {
        Some("plain_text") => true,
        Some("mrkdwn") => !plain_only,
        _ => false,
    };
    let len = obj
        .get("text")
        .and_then(Value::as_str)
        .map(|t| t.chars().count());
    kind_ok && matches!(len, Some(n) if (1..=max).contains(&n))
}

/// A non-empty array of at most `max` elements, each passing `each`.
fn array_of(value: Option<&Value>, max: usize, each: impl Fn(&Value) -> bool) -> bool {
    match value.and_then(Value::as_array) {
        Some(items) => !items.is_empty() && items.len() <= max && items.iter().all(each),
        None => false,
    }
}

/// An optional string field of at most `max` characters.
fn optional_str(obj: &Value, field: &str, max: usize) -> bool {
    match obj.get(field) {
        None => true,
        Some(Value::String(s)) => s.chars().count() <= max,
        Some(_) => false,
    }
}

/// An element of one of `allowed` types (or a select menu); a button must keep a button's limits: `plain_text` of
/// at most 75 characters, `action_id` at most 255, `url` at most 3000, `value` at most 2000, `style` primary or
/// danger (button element reference).
fn element(value: &Value, allowed: &[&str]) -> bool {
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return false;
    };
    if !allowed.contains(&kind) && !SELECTS.contains(&kind) {
        return false;
    }
    if kind != "button" {
        return true;
    }
    text_object(value.get("text"), 75, true)
        && optional_str(value, "action_id", 255)
        && optional_str(value, "url", 3000)
        && optional_str(value, "value", 2000)
        && value
            .get("style")
            .is_none_or(|s| matches!(s.as_str(), Some("primary" | "danger")))
}

fn valid_block(block: &Value) -> bool {
    let Some(obj) = block.as_object() else {
        return false;
    };
    let Some(kind) = obj.get("type").and_then(Value::as_str) else {
        return false;
    };
    if !KNOWN_TYPES.contains(&kind) {
        return false;
    }
    match obj.get("block_id") {
        None => {}
        Some(Value::String(id)) if (1..=255).contains(&id.chars().count()) => {}
        Some(_) => return false,
    }
    match kind {
        "section" => {
            let text = obj.get("text");
            let fields = obj.get("fields");
            (text.is_some() || fields.is_some())
                && (text.is_none() || text_object(text, 3000, false))
                && (fields.is_none() || array_of(fields, 10, |f| text_object(Some(f), 2000, false)))
                && obj.get("accessory").is_none_or(|a| element(a, ACCESSORIES))
        }
        "header" => text_object(obj.get("text"), 150, true),
        "context" => array_of(obj.get("elements"), 10, |e| {
            match e.get("type").and_then(Value::as_str) {
                Some("image") => e.get("alt_text").and_then(Value::as_str).is_some(),
                _ => text_object(Some(e), 3000, false),
            }
        }),
        "actions" => array_of(obj.get("elements"), 25, |e| element(e, ACTIONS_ELEMENTS)),
        "image" => {
            let source = obj.get("image_url").or_else(|| obj.get("slack_file"));
            source.is_some() && obj.get("alt_text").and_then(Value::as_str).is_some()
        }
        "rich_text" => array_of(obj.get("elements"), usize::MAX, |e| {
            e.get("type").and_then(Value::as_str).is_some()
        }),
        "markdown" => obj.get("text").and_then(Value::as_str).is_some(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_common_blocks() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "Hi"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*x*"}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "y"}]}
        ]);
        assert!(matches!(validate(blocks), Ok(Some(_))));
        assert!(matches!(validate(json!([])), Ok(None)));
    }

    #[test]
    fn rejects_bad_blocks() {
        assert_eq!(
            validate(json!({"type": "divider"})),
            Err("invalid_blocks_format")
        );
        assert_eq!(validate(json!([{"text": "x"}])), Err("invalid_blocks"));
        assert_eq!(validate(json!(["divider"])), Err("invalid_blocks"));
        assert_eq!(validate(json!([{"type": "nope"}])), Err("invalid_blocks"));
        let header = json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]);
        assert_eq!(validate(header), Err("invalid_blocks"));
        let long = "x".repeat(3001);
        let section = json!([{"type": "section", "text": {"type": "mrkdwn", "text": long}}]);
        assert_eq!(validate(section), Err("invalid_blocks"));
        let button = |text: &str, url: &str| {
            json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                "text": {"type": "plain_text", "text": text}, "url": url}]}])
        };
        assert!(matches!(
            validate(button("Open", "https://x.test")),
            Ok(Some(_))
        ));
        let long_url = format!("https://x.test/{}", "p".repeat(3000));
        for (what, blocks) in [
            (
                "76-character button",
                button(&"b".repeat(76), "https://x.test"),
            ),
            ("3001-character URL", button("Open", &long_url)),
            (
                "a header in actions",
                json!([{"type": "actions", "elements": [{"type": "header"}]}]),
            ),
            (
                "a section as accessory",
                json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x"},
                "accessory": {"type": "section"}}]),
            ),
            (
                "a button in context",
                json!([{"type": "context", "elements": [{"type": "button",
                "text": {"type": "plain_text", "text": "x"}}]}]),
            ),
            (
                "11 context elements",
                json!([{"type": "context",
                "elements": vec![json!({"type": "mrkdwn", "text": "x"}); 11]}]),
            ),
            (
                "151-character header",
                json!([{"type": "header", "text": {"type": "plain_text",
                "text": "h".repeat(151)}}]),
            ),
            ("51 blocks", json!(vec![json!({"type": "divider"}); 51])),
        ] {
            assert_eq!(validate(blocks), Err("invalid_blocks"), "{what}");
        }
    }
}
