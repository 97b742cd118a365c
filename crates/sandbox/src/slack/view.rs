//! What the inbox page shows of a message: sender, place and time, and its text or Block Kit blocks turned into
//! display spans (`section`, `header`, `context`, `divider`, `actions`, `image`, `rich_text`, `markdown`).

use std::collections::HashMap;

use serde_json::Value;

use super::{
    model::{Message, MessageSource},
    mrkdwn::{Span, mrkdwn, plain},
};

/// A message as shown.
pub(super) struct MessageView {
    pub sender: String,
    pub initial: String,
    pub badge: &'static str,
    pub place: String,
    pub time: String,
    pub ts: String,
    pub in_thread: bool,
    /// The message text, shown when there are no blocks.
    pub text: Vec<Span>,
    pub blocks: Vec<BlockView>,
}

/// A block as shown: `kind` picks the layout, the other fields hold what that layout uses.
#[derive(Default)]
pub(super) struct BlockView {
    pub kind: &'static str,
    pub text: Vec<Span>,
    /// Section fields, context elements, action elements.
    pub items: Vec<Vec<Span>>,
}

/// A message as the inbox shows it; `names` and `places` map ids to user/channel names and conversation labels.
pub(super) fn message_view(
    m: &Message,
    names: &HashMap<String, String>,
    places: &HashMap<String, String>,
) -> MessageView {
    let blocks = match &m.blocks {
        Some(Value::Array(list)) => list.iter().map(|b| block_view(b, names)).collect(),
        _ => Vec::new(),
    };
    MessageView {
        initial: m
            .sender_name
            .chars()
            .next()
            .unwrap_or('?')
            .to_uppercase()
            .collect(),
        sender: m.sender_name.clone(),
        badge: match m.source {
            MessageSource::WebApi => "APP",
            MessageSource::Webhook => "WEBHOOK",
        },
        place: places.get(&m.channel).cloned().unwrap_or_default(),
        time: m.posted_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ts: m.ts.clone(),
        in_thread: m.thread_ts.is_some(),
        text: mrkdwn(&m.text, names),
        blocks,
    }
}

/// A Block Kit text object: `mrkdwn` rendered, `plain_text` as is.
fn text_obj(value: Option<&Value>, names: &HashMap<String, String>) -> Vec<Span> {
    let Some(value) = value else {
        return Vec::new();
    };
    let text = value.get("text").and_then(Value::as_str).unwrap_or("");
    match value.get("type").and_then(Value::as_str) {
        Some("mrkdwn") => mrkdwn(text, names),
        _ => plain(text),
    }
}

/// An interactive or image element as one readable piece: a button (a link when it has a `url`), or a label.
fn element(value: &Value, names: &HashMap<String, String>) -> Vec<Span> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("element");
    match kind {
        "mrkdwn" | "plain_text" => text_obj(Some(value), names),
        "button" => {
            let mut spans = text_obj(value.get("text"), names);
            let url = value.get("url").and_then(Value::as_str);
            for span in &mut spans {
                span.class = "button".into();
                if let Some(url) =
                    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                {
                    span.kind = "link";
                    span.href = url.to_owned();
                }
            }
            spans
        }
        "image" => {
            let alt = value.get("alt_text").and_then(Value::as_str).unwrap_or("");
            plain(&format!("[image: {alt}]"))
        }
        other => plain(&format!("[{other}]")),
    }
}

/// Text of a `rich_text` block, flattened.
fn rich_text(block: &Value, names: &HashMap<String, String>) -> Vec<Span> {
    let mut spans = Vec::new();
    let sections = block
        .get("elements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for section in sections {
        let parts = section
            .get("elements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for part in parts {
            let field = |k: &str| part.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            match part.get("type").and_then(Value::as_str) {
                Some("text") => spans.extend(plain(&field("text"))),
                Some("link") => {
                    let label = Some(field("text")).filter(|t| !t.is_empty());
                    let src = format!("<{}|{}>", field("url"), label.unwrap_or(field("url")));
                    spans.extend(mrkdwn(&src, names));
                }
                Some("user") => spans.extend(mrkdwn(&format!("<@{}>", field("user_id")), names)),
                Some("channel") => {
                    spans.extend(mrkdwn(&format!("<#{}>", field("channel_id")), names))
                }
                Some("emoji") => spans.extend(plain(&format!(":{}:", field("name")))),
                _ => {}
            }
        }
    }
    spans
}

fn block_view(block: &Value, names: &HashMap<String, String>) -> BlockView {
    let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
    let list = |key: &str| {
        block
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    match kind {
        "section" => {
            let mut items: Vec<Vec<Span>> = list("fields")
                .iter()
                .map(|f| text_obj(Some(f), names))
                .collect();
            if let Some(accessory) = block.get("accessory") {
                items.push(element(accessory, names));
            }
            BlockView {
                kind: "section",
                text: text_obj(block.get("text"), names),
                items,
            }
        }
        "header" => BlockView {
            kind: "header",
            text: text_obj(block.get("text"), names),
            ..Default::default()
        },
        "context" | "actions" => BlockView {
            kind: if kind == "context" {
                "context"
            } else {
                "actions"
            },
            items: list("elements").iter().map(|e| element(e, names)).collect(),
            ..Default::default()
        },
        "divider" => BlockView {
            kind: "divider",
            ..Default::default()
        },
        "image" => BlockView {
            kind: "context",
            items: vec![element(block, names)],
            ..Default::default()
        },
        "rich_text" => BlockView {
            kind: "section",
            text: rich_text(block, names),
            ..Default::default()
        },
        "markdown" => {
            let text = block.get("text").and_then(Value::as_str).unwrap_or("");
            BlockView {
                kind: "section",
                text: mrkdwn(text, names),
                ..Default::default()
            }
        }
        other => BlockView {
            kind: "other",
            text: plain(&format!("[{other} block]")),
            ..Default::default()
        },
    }
}
