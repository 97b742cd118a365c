//! Stored names live in their enums (issue 18): no request state, delivery state or audit action name appears as a
//! string literal in `src/` outside the enum's own file, so code compares and writes them only through `State`,
//! `DeliveryState` and `AuditAction`; and a stored request state Clearance does not know is refused, by name, when
//! its row is read.

use std::path::{Path, PathBuf};

use clearance::{
    audit::AuditAction,
    delivery::state::DeliveryState,
    requests::state::State,
    store::{IssueSnapshot, Store},
};

use crate::{
    audit_exact::{tenant, update},
    helpers::{Backend, TestApp},
    on_each_backend,
};

on_each_backend!(an_unknown_stored_request_state_is_refused_by_name);

/// The files that own the names.
const ENUM_FILES: [&str; 3] = [
    "src/model/state.rs",
    "src/model/delivery_state.rs",
    "src/model/audit_action.rs",
];

/// The same words in another vocabulary, each with the reason: `(file, literal, why)`.
const OTHER_VOCABULARIES: [(&str, &str, &str); 11] = [
    (
        "src/dashboard/model.rs",
        "delivered",
        "an outcome's name in the dashboard CSV",
    ),
    (
        "src/dashboard/model.rs",
        "expired",
        "an outcome's name in the dashboard CSV",
    ),
    (
        "src/dashboard/model.rs",
        "failed",
        "an outcome's name in the dashboard CSV",
    ),
    (
        "src/dashboard/model.rs",
        "rejected",
        "an outcome's name in the dashboard CSV",
    ),
    (
        "src/dashboard/model.rs",
        "cancelled",
        "an outcome's name in the dashboard CSV",
    ),
    (
        "src/dashboard/model.rs",
        "extracting",
        "the text of a waiting-time row",
    ),
    ("src/dashboard/view.rs", "delivered", "a tile's label"),
    (
        "src/web/webhooks.rs",
        "rejected",
        "the webhook metric's outcome label",
    ),
    (
        "src/slack/notify.rs",
        "failed",
        "a Slack delivery error's code",
    ),
    (
        "src/host/forge/fit_tests.rs",
        "expired",
        "a token refusal's reason",
    ),
    (
        "src/host/connect/tenants.rs",
        "new",
        "a cached secret in a test",
    ),
];

/// Every stored name with what it names.
fn stored_names() -> Vec<(&'static str, &'static str)> {
    let mut names: Vec<(&str, &str)> = State::ALL
        .iter()
        .map(|s| (s.as_str(), "request state"))
        .collect();
    names.extend(
        DeliveryState::ALL
            .iter()
            .map(|s| (s.as_str(), "delivery state")),
    );
    names.extend(
        AuditAction::ALL
            .iter()
            .map(|a| (a.as_str(), "audit action")),
    );
    names
}

/// Whether the text of a string literal names `name`: the whole literal, or, inside a longer one (SQL, JSON), the
/// name quoted, or a name no prose would hold (`in_review`, `request.approved`) standing as a word of its own.
fn holds(literal: &str, name: &str) -> bool {
    if literal == name
        || literal.contains(&format!("'{name}'"))
        || literal.contains(&format!("\"{name}\""))
    {
        return true;
    }
    if !name.contains(['_', '.']) {
        return false;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    literal.match_indices(name).any(|(at, _)| {
        !literal[..at].chars().next_back().is_some_and(word)
            && !literal[at + name.len()..].chars().next().is_some_and(word)
    })
}

/// The string literals of Rust source text (plain, raw, byte and C strings) with the line each starts on; comments,
/// character literals and lifetimes are skipped. Escapes are kept as written.
fn string_literals(src: &str) -> Vec<(usize, String)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let take = |from: usize, to: usize| c[from..to].iter().collect::<String>();
    while i < c.len() {
        let next = c.get(i + 1).copied();
        match c[i] {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if next == Some('/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(c[i] == '\n');
                        i += 1;
                    }
                }
            }
            '"' => {
                let start = i + 1;
                let mut j = start;
                while j < c.len() && c[j] != '"' {
                    j += if c[j] == '\\' { 2 } else { 1 };
                }
                let text = take(start, j.min(c.len()));
                out.push((line, text.clone()));
                line += text.matches('\n').count();
                i = j + 1;
            }
            '\'' => {
                i += if next == Some('\\') {
                    let mut j = i + 3;
                    while j < c.len() && c[j] != '\'' {
                        j += 1;
                    }
                    j + 1 - i
                } else if c.get(i + 2) == Some(&'\'') {
                    3 // a character
                } else {
                    1 // a lifetime or label
                };
            }
            ch if ch.is_alphabetic() || ch == '_' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                let ident = take(start, i);
                if matches!(ident.as_str(), "r" | "br" | "cr") {
                    let hashes = c[i..].iter().take_while(|&&h| h == '#').count();
                    if c.get(i + hashes) == Some(&'"') {
                        let start = i + hashes + 1;
                        let close: String = std::iter::once('"')
                            .chain(std::iter::repeat_n('#', hashes))
                            .collect();
                        let rest = take(start, c.len());
                        let len = rest.find(&close).unwrap_or(rest.len());
                        let text: String = rest[..len].to_owned();
                        out.push((line, text.clone()));
                        line += text.matches('\n').count();
                        i = start + text.chars().count() + 1 + hashes;
                    }
                }
                // `b"…"`, `c"…"` and `b'…'`: the next round reads the string or the character.
            }
            _ => i += 1,
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every literal in `src/` that names a stored name outside its enum's file, as `file:line: …`.
fn stray_names() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let names = stored_names();
    let mut found = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if ENUM_FILES.contains(&rel.as_str()) {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        for (line, literal) in string_literals(&src) {
            for &(name, what) in &names {
                let excused = OTHER_VOCABULARIES
                    .iter()
                    .any(|&(f, l, _)| f == rel && l == literal);
                if holds(&literal, name) && !excused {
                    found.push(format!(
                        "{rel}:{line}: {literal:?} holds the {what} {name:?}"
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn no_stored_name_is_written_outside_its_enum() {
    let found = stray_names();
    assert!(
        found.is_empty(),
        "use State, DeliveryState or AuditAction (their as_str() where text is needed, a bound parameter in \
         SQL) instead of these literals:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_exception_is_still_needed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, literal, why) in OTHER_VOCABULARIES {
        let src = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            string_literals(&src).iter().any(|(_, l)| l == literal),
            "{file} no longer holds {literal:?} ({why}): remove the exception"
        );
    }
}

#[test]
fn the_scanner_reads_literals_and_skips_comments() {
    let src = r####"
// "approved" in a comment
/* "expired" /* nested */ "rejected" */
/// A doc comment naming `in_review`.
fn f<'a>(x: &'a str) -> char {
    let _ = "it's fine";
    let _ = 'x';
    let _ = '\'';
    let _ = b'"';
    let _ = "SELECT id FROM requests WHERE state = 'new'";
    let _ = r#"{"action":"request.approved"}"#;
    let _ = "a \"quoted\" word";
    let _ = br"raw bytes";
    'y'
}
"####;
    let literals: Vec<String> = string_literals(src).into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        literals,
        [
            "it's fine",
            "SELECT id FROM requests WHERE state = 'new'",
            r#"{"action":"request.approved"}"#,
            r#"a \"quoted\" word"#,
            "raw bytes",
        ]
    );
    assert_eq!(
        string_literals("\n\nlet _ = \"x\";\nlet _ = \"y\";")
            .into_iter()
            .map(|(line, _)| line)
            .collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(holds(&literals[1], "new"));
    assert!(holds(&literals[2], "request.approved"));
    assert!(holds("approved", "approved"));
    assert!(holds(
        "cannot claim a request that is in_review",
        "in_review"
    ));
    assert!(!holds("the plan was approved", "approved"));
    assert!(!holds("request.created_at", "request.created"));
    assert!(!holds("awaiting_delivery_reason", "awaiting_delivery"));
}

async fn an_unknown_stored_request_state_is_refused_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "names").await;
    let store: &Store = &app.state.store;
    let mut tx = store.begin().await.unwrap();
    let up = tx
        .upsert_request(
            &t,
            &IssueSnapshot {
                issue_id: "10001".into(),
                issue_key: "DATA-1".into(),
                project_key: "DATA".into(),
                summary: "Order counts".into(),
                description: String::new(),
                reporter: None,
                labels: vec!["data-request".into()],
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(up.row.state, State::New);
    let read = store.request(&t, &up.row.id).await.unwrap().unwrap();
    assert_eq!(read.state, State::New);

    update(
        store,
        "UPDATE requests SET state = $1 WHERE id = $2",
        &[Some("reviewing"), Some(&up.row.id)],
    )
    .await;
    let refused = store.request(&t, &up.row.id).await.unwrap_err().to_string();
    assert!(
        refused.contains(r#"column "state": unknown request state "reviewing""#),
        "{refused}"
    );
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    let refused = store
        .dashboard_requests(&t, since)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(r#"unknown request state "reviewing""#),
        "{refused}"
    );
}
