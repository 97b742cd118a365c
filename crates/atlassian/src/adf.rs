//! Atlassian Document Format: plain text out of an ADF document (descriptions and comments), and simple documents
//! of paragraphs for the comments Clearance writes — valid against Atlassian's ADF JSON schema whatever the text
//! (checked by `src/requests/adf_schema_tests.rs`).

use serde_json::{Value, json};

/// A document of plain-text paragraphs (ADF text nodes are never interpreted as markup).
pub fn doc(paragraphs: &[&str]) -> Value {
    let content: Vec<Value> = paragraphs
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| json!({"type": "paragraph", "content": [{"type": "text", "text": p}]}))
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// A document of the given block nodes.
pub fn blocks(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

/// A paragraph of inline nodes. Text nodes with empty text are left out: ADF requires every text node to hold at
/// least one character (Jira refuses the whole document otherwise).
pub fn paragraph(inline: Vec<Value>) -> Value {
    let inline: Vec<Value> = inline.into_iter().filter(|n| !is_empty_text(n)).collect();
    json!({"type": "paragraph", "content": inline})
}

fn is_empty_text(node: &Value) -> bool {
    node["type"] == "text" && node["text"].as_str().is_none_or(str::is_empty)
}

/// A text node (never interpreted as markup).
pub fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

/// A text node in code style.
pub fn code(t: &str) -> Value {
    json!({"type": "text", "text": t, "marks": [{"type": "code"}]})
}

/// A mention of a Jira account (Jira shows the person's current name).
pub fn mention(account_id: &str) -> Value {
    json!({"type": "mention", "attrs": {"id": account_id}})
}

/// A code block (empty when `t` is: no empty text node).
pub fn code_block(t: &str) -> Value {
    let content: Vec<Value> = (!t.is_empty())
        .then(|| json!({"type": "text", "text": t}))
        .into_iter()
        .collect();
    json!({"type": "codeBlock", "content": content})
}

/// The text of an ADF document: text nodes in order, block nodes separated by blank lines, hard breaks as newlines,
/// mentions as their display text. Anything that is not ADF yields an empty string (or the string itself).
pub fn plain_text(doc: &Value) -> String {
    fn walk(v: &Value, out: &mut String, depth: usize) {
        if depth > 64 {
            return;
        }
        match v["type"].as_str() {
            Some("text") => out.push_str(v["text"].as_str().unwrap_or_default()),
            Some("hardBreak") => out.push('\n'),
            Some("mention") => out.push_str(v["attrs"]["text"].as_str().unwrap_or_default()),
            _ => {}
        }
        if let Some(children) = v["content"].as_array() {
            for c in children {
                walk(c, out, depth + 1);
            }
            if matches!(
                v["type"].as_str(),
                Some("paragraph" | "heading" | "listItem" | "codeBlock" | "blockquote")
            ) {
                out.push_str("\n\n");
            }
        }
    }
    if let Some(s) = doc.as_str() {
        return s.to_owned();
    }
    let mut out = String::new();
    walk(doc, &mut out, 0);
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn paragraphs_breaks_and_mentions() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Hello "}, {"type": "mention", "attrs": {"text": "@Ana"}}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b"}]}
        ]});
        assert_eq!(super::plain_text(&doc), "Hello @Ana\n\na\nb");
        assert_eq!(super::plain_text(&json!(null)), "");
        assert_eq!(super::plain_text(&json!("plain")), "plain");
    }
}
