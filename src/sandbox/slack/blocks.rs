//! Block Kit validation as strict as Slack's for the blocks it knows: a message's `blocks` must be an array
//! (else `invalid_blocks_format`) of at most 50 objects, each a known block type with its required fields and
//! Slack's length limits (else `invalid_blocks`).

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

/// An object with a string `type`.
fn typed(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str).is_some()
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
                && obj.get("accessory").is_none_or(typed)
        }
        "header" => text_object(obj.get("text"), 150, true),
        "context" => array_of(obj.get("elements"), 10, |e| {
            match e.get("type").and_then(Value::as_str) {
                Some("image") => e.get("alt_text").and_then(Value::as_str).is_some(),
                _ => text_object(Some(e), 3000, false),
            }
        }),
        "actions" => array_of(obj.get("elements"), 25, typed),
        "image" => {
            let source = obj.get("image_url").or_else(|| obj.get("slack_file"));
            source.is_some() && obj.get("alt_text").and_then(Value::as_str).is_some()
        }
        "rich_text" => array_of(obj.get("elements"), usize::MAX, typed),
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
    }
}
