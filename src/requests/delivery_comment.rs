//! The issue comments about a delivery: what was attached (file, rows, columns and their masking, SHA-256,
//! encryption, removal date, who approved) and how to open it — never the secret, the data or personal data; then
//! that it waits for its secret to reach someone, and that it was removed.

use serde_json::Value;

use crate::jira::adf::{code, code_block, mention, paragraph, text};

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// The comment when the bundle is attached and its secret sent.
pub fn delivered(d: &Value) -> Vec<Value> {
    let file = s(d, "file");
    let columns: Vec<String> = d["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| match c["masking"].as_str() {
            Some("keep") | None => s(c, "name").to_owned(),
            Some(m) => format!("{} ({m})", s(c, "name")),
        })
        .collect();
    let mut approved = vec![text("Approved by ")];
    match d["approved_by"].as_str() {
        Some(id) if !id.is_empty() => approved.push(mention(id)),
        _ => approved.push(text("Clearance")),
    }
    approved.push(text(&format!(
        " (plan digest {}…). The file is removed from this issue on {}.",
        s(d, "digest").chars().take(12).collect::<String>(),
        s(d, "expires_on")
    )));
    let how = match s(d, "encryption") {
        "zip-aes" => vec![paragraph(vec![text(
            "To open it: download it, open it with 7-Zip or WinZip, and type the password (AES-256).",
        )])],
        "age-recipients" => vec![
            paragraph(vec![text(
                "To open it: download it and decrypt it with age (https://age-encryption.org) and your own age \
                 private key (the one whose public key you registered in Clearance), then unzip the result:",
            )]),
            code_block(&format!(
                "age -d -i key.txt -o {} {file}",
                file.trim_end_matches(".age")
            )),
        ],
        _ => vec![
            paragraph(vec![text(
                "To open it: download it and decrypt it with age (https://age-encryption.org), typing the password \
                 when asked, then unzip the result:",
            )]),
            code_block(&format!(
                "age -d -o {} {file}",
                file.trim_end_matches(".age")
            )),
        ],
    };
    let secret = match s(d, "secret_via") {
        "dm" => {
            "The password was sent by Slack direct message to the people it is for; it is not in Jira."
        }
        "none" => "No password: the file is encrypted to the recipients' own age keys.",
        _ => {
            "The password was sent by Slack to the people it is for, as a one-time link; it is never written in \
             Jira. The requester can also reveal it once from the Clearance panel."
        }
    };
    let mut out = vec![
        paragraph(vec![
            text("Clearance: the encrypted data file "),
            code(file),
            text(" is attached to this issue."),
        ]),
        paragraph(vec![text(&format!(
            "{} rows; columns: {}. SHA-256 of the file: {}.",
            d["rows"].as_u64().unwrap_or(0),
            columns.join(", "),
            s(d, "bundle_sha256")
        ))]),
        paragraph(approved),
    ];
    out.extend(how);
    out.push(paragraph(vec![text(secret)]));
    out
}

/// The comment when the bundle is attached but its secret could not be sent to everyone yet.
pub fn awaiting(d: &Value) -> Vec<Value> {
    vec![paragraph(vec![
        text("Clearance: the encrypted data file "),
        code(s(d, "file")),
        text(
            " is attached, but its password could not be sent to everyone yet (the Clearance panel says who and \
             why). It goes out as soon as they can be reached.",
        ),
    ])]
}

/// The comment when the bundle was removed.
pub fn expired(d: &Value) -> Vec<Value> {
    let why = match s(d, "why") {
        "issue closed" => "the issue was closed",
        "erasure" => "of an erasure request",
        _ => "its retention period ended",
    };
    vec![paragraph(vec![
        text("Clearance: the data file "),
        code(s(d, "file")),
        text(&format!(
            " was removed from this issue because {why}. Its SHA-256 was {}.",
            s(d, "bundle_sha256")
        )),
    ])]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jira::adf::{blocks, plain_text};

    #[test]
    fn delivered_says_what_and_how_but_never_the_secret() {
        let d = json!({"file": "DATA-7-20261202-ab12cd34.zip.age", "rows": 300, "bundle_sha256": "f00d",
            "columns": [{"name": "id", "masking": "keep"}, {"name": "email", "masking": "mask"}],
            "encryption": "age", "expires_on": "2026-12-09", "approved_by": "557058:pia", "digest": "abcdef0123456789",
            "secret_via": "link"});
        let doc = blocks(delivered(&d));
        let t = plain_text(&doc);
        assert!(t.contains("300 rows; columns: id, email (mask)"), "{t}");
        assert!(
            t.contains("age -d -o DATA-7-20261202-ab12cd34.zip DATA-7-20261202-ab12cd34.zip.age")
        );
        assert!(t.contains("removed from this issue on 2026-12-09"));
        assert!(
            doc.to_string().contains("\"id\":\"557058:pia\""),
            "the approver is mentioned"
        );
        let zip = blocks(delivered(
            &json!({"encryption": "zip-aes", "file": "X.zip"}),
        ));
        assert!(plain_text(&zip).contains("7-Zip or WinZip"));
        assert!(
            plain_text(&blocks(expired(&json!({"why": "erasure", "file": "X"}))))
                .contains("erasure")
        );
    }
}
