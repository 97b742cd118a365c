//! The structural rules of Atlassian Document Format that the simulated Jira enforces on a comment body, as Jira
//! does (400): a `doc` of version 1 whose `content` is an array of block nodes, every node a known type in a place
//! it may appear, text nodes with non-empty text, known marks, mentions with an id. Hand-written and small: the full
//! JSON schema (`@atlaskit/adf-schema`) is not in the binary; the tests check that this agrees with it
//! (`src/requests/adf_schema_tests.rs`).

use serde_json::{Map, Value};

/// Node types that may be children of `doc` (the schema's `doc_node.content`).
const TOP_LEVEL: &[&str] = &[
    "blockCard",
    "blockquote",
    "bodiedExtension",
    "bodiedSyncBlock",
    "bulletList",
    "codeBlock",
    "decisionList",
    "embedCard",
    "expand",
    "extension",
    "heading",
    "layoutSection",
    "mediaGroup",
    "mediaSingle",
    "orderedList",
    "panel",
    "paragraph",
    "rule",
    "syncBlock",
    "table",
    "taskList",
];

/// Inline node types (the schema's `inline_node`): children of paragraphs and headings, never of `doc`.
const INLINE: &[&str] = &[
    "date",
    "emoji",
    "hardBreak",
    "inlineCard",
    "inlineExtension",
    "mediaInline",
    "mention",
    "placeholder",
    "status",
    "text",
];

/// Node types that only appear inside other blocks (list items, table parts, layout columns, …).
const NESTED: &[&str] = &[
    "blockTaskItem",
    "caption",
    "decisionItem",
    "layoutColumn",
    "listItem",
    "media",
    "nestedExpand",
    "tableCell",
    "tableHeader",
    "tableRow",
    "taskItem",
];

/// Node types whose content is inline nodes (every other container holds blocks).
const HOLDS_INLINE: &[&str] = &[
    "caption",
    "codeBlock",
    "decisionItem",
    "heading",
    "paragraph",
    "taskItem",
];

/// Mark types the schema knows.
const MARKS: &[&str] = &[
    "alignment",
    "annotation",
    "backgroundColor",
    "border",
    "breakout",
    "code",
    "dataConsumer",
    "em",
    "fontSize",
    "fragment",
    "indentation",
    "link",
    "strike",
    "strong",
    "subsup",
    "textColor",
    "underline",
];

/// Deepest nesting accepted (Jira's documents are shallow; this bounds the walk).
const MAX_DEPTH: usize = 64;

/// Why a document is not valid ADF (for the simulator's log; Jira's answer does not say).
pub type Problem = String;

/// Check an ADF document.
pub fn check(doc: &Value) -> Result<(), Problem> {
    let obj = doc.as_object().ok_or("the body is not an object")?;
    if obj.get("type").and_then(Value::as_str) != Some("doc") {
        return Err("type is not \"doc\"".into());
    }
    if obj.get("version").and_then(Value::as_u64) != Some(1) {
        return Err("version is not 1".into());
    }
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "version" | "content"))
    {
        return Err(format!("unknown field {key:?} on doc"));
    }
    let content = obj
        .get("content")
        .and_then(Value::as_array)
        .ok_or("doc has no content array")?;
    for node in content {
        let kind = node_type(node)?;
        if !TOP_LEVEL.contains(&kind) {
            return Err(format!("{kind:?} cannot be a child of doc"));
        }
        check_node(node, 1)?;
    }
    Ok(())
}

fn node_type(node: &Value) -> Result<&str, Problem> {
    let kind = node
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a node without a type")?;
    if TOP_LEVEL.contains(&kind) || INLINE.contains(&kind) || NESTED.contains(&kind) {
        Ok(kind)
    } else {
        Err(format!("unknown node type {kind:?}"))
    }
}

fn check_node(node: &Value, depth: usize) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let obj = node.as_object().ok_or("a node that is not an object")?;
    let kind = node_type(node)?;
    match kind {
        "text" => check_text(obj)?,
        "mention" => {
            let id = obj.get("attrs").and_then(|a| a.get("id"));
            if !id.is_some_and(Value::is_string) {
                return Err("a mention without attrs.id".into());
            }
        }
        _ => {}
    }
    if let Some(marks) = obj.get("marks") {
        check_marks(marks)?;
    }
    let Some(content) = obj.get("content") else {
        return Ok(());
    };
    let children = content
        .as_array()
        .ok_or_else(|| format!("{kind} content is not an array"))?;
    let holds_inline = HOLDS_INLINE.contains(&kind);
    for child in children {
        let child_kind = node_type(child)?;
        if holds_inline != INLINE.contains(&child_kind) {
            return Err(format!("{child_kind:?} cannot be a child of {kind}"));
        }
        if kind == "codeBlock"
            && (child_kind != "text" || child.get("marks").is_some_and(has_items))
        {
            return Err("a code block holds unmarked text only".into());
        }
        check_node(child, depth + 1)?;
    }
    Ok(())
}

fn check_text(obj: &Map<String, Value>) -> Result<(), Problem> {
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "text" | "marks"))
    {
        return Err(format!("unknown field {key:?} on a text node"));
    }
    match obj.get("text").and_then(Value::as_str) {
        Some("") => Err("a text node with empty text".into()),
        Some(_) => Ok(()),
        None => Err("a text node without text".into()),
    }
}

fn check_marks(marks: &Value) -> Result<(), Problem> {
    let marks = marks.as_array().ok_or("marks is not an array")?;
    for mark in marks {
        let kind = mark.get("type").and_then(Value::as_str).unwrap_or_default();
        if !MARKS.contains(&kind) {
            return Err(format!("unknown mark {kind:?}"));
        }
        if kind == "link" && !mark.pointer("/attrs/href").is_some_and(Value::is_string) {
            return Err("a link mark without attrs.href".into());
        }
    }
    Ok(())
}

fn has_items(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}
