//! Clearance's Jira calls against Atlassian's OpenAPI document of the Jira platform REST API (kept in
//! `tests/fixtures/jira-platform-openapi-v3.json`): every entry of the scope table is the document's operation with
//! its scopes, every call's query parameters, body fields and the response fields it reads exist, and no code
//! outside the table and the simulator writes a REST path of its own.

use std::{path::Path, sync::LazyLock};

use clearance::jira::{Body, JiraOp, operations::OPERATIONS, scopes::HttpMethod};
use serde_json::Value;

/// The document, parsed once for all the tests of this binary.
static DOC: LazyLock<Value> = LazyLock::new(|| {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jira-platform-openapi-v3.json"
    );
    serde_json::from_slice(&std::fs::read(path).expect("the OpenAPI document")).expect("JSON")
});

/// The document's operation for `method` on the path template `path`.
fn operation(method: HttpMethod, path: &str) -> Option<&'static Value> {
    DOC["paths"]
        .get(path)?
        .get(method.as_str().to_ascii_lowercase())
}

/// `#/components/schemas/X` resolved, and `allOf` of one schema seen through.
fn resolve(mut schema: &'static Value) -> &'static Value {
    loop {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            schema = &DOC["components"]["schemas"][name];
        } else if let Some([one]) = schema["allOf"].as_array().map(Vec::as_slice) {
            schema = one;
        } else {
            return schema;
        }
    }
}

/// Whether the dot path `field` (`a[].b`, `[].name`) exists in `schema`. A free-form object (no `properties`, or
/// an object `additionalProperties`) holds any field.
fn has_field(schema: &'static Value, field: &str) -> bool {
    let mut at = resolve(schema);
    for segment in field.split('.') {
        let (name, items) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        if !name.is_empty() {
            if at["type"].as_str().is_some_and(|t| t != "object") {
                return false; // an array or a scalar has no fields
            }
            let Some(properties) = at["properties"].as_object() else {
                return at["additionalProperties"] != false;
            };
            match properties.get(name) {
                Some(p) => at = resolve(p),
                None if at["additionalProperties"].is_object() => return true,
                None => return false,
            }
        }
        if items {
            if at["type"] != "array" {
                return false;
            }
            at = resolve(&at["items"]);
        }
    }
    true
}

/// A JSON array of strings.
fn strings(v: &'static Value) -> Vec<&'static str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The operation's `x-atlassian-oauth2-scopes`, each alternative's scopes joined by spaces as the table keeps them.
fn alternatives(op: &'static Value) -> Vec<String> {
    op["x-atlassian-oauth2-scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|alt| {
            assert_eq!(alt["scheme"], "OAuth2", "{alt}");
            strings(&alt["scopes"]).join(" ")
        })
        .collect()
}

/// The entry as it should read, for a failure message.
fn entry(op: &'static Value, method: &str, path: &str) -> String {
    format!(
        "Operation {{ id: {}, method: {method}, path: {path:?}, connect: {}, oauth: &{:?} }}",
        op["operationId"],
        op["x-atlassian-connect-scope"],
        alternatives(op)
    )
}

#[test]
fn the_scope_table_is_the_documents() {
    for entry_ in OPERATIONS {
        let op = operation(entry_.method, entry_.path).unwrap_or_else(|| {
            panic!(
                "{} {}: no such operation in the document",
                entry_.method, entry_.path
            )
        });
        let expected = entry(op, entry_.method.as_str(), entry_.path);
        assert_eq!(op["operationId"], entry_.id, "{expected}");
        assert_eq!(
            op["x-atlassian-connect-scope"],
            entry_.connect.as_str(),
            "{expected}"
        );
        let alternatives = alternatives(op);
        assert!(!alternatives.is_empty(), "{expected}");
        assert_eq!(alternatives, entry_.oauth, "{expected}");
        // `security` names the classic alternative only; the extension is the complete list the table keeps.
        for requirement in op["security"].as_array().into_iter().flatten() {
            if requirement["OAuth2"].is_array() {
                let scopes = strings(&requirement["OAuth2"]);
                assert!(
                    alternatives.contains(&scopes.join(" ")),
                    "{expected}: security {requirement}"
                );
            }
        }
    }
}

#[test]
fn every_call_is_the_documents() {
    for call in JiraOp::ALL {
        let entry_ = call.operation();
        let op = operation(entry_.method, entry_.path).expect("checked above");
        let shape = call.shape();
        let params: Vec<&Value> = DOC["paths"][entry_.path]["parameters"]
            .as_array()
            .into_iter()
            .chain(op["parameters"].as_array())
            .flatten()
            .collect();
        let named = |place: &str| -> Vec<&str> {
            params
                .iter()
                .filter(|p| p["in"] == place)
                .filter_map(|p| p["name"].as_str())
                .collect()
        };
        for q in shape.query {
            assert!(
                named("query").contains(q),
                "{call:?}: no query parameter {q}"
            );
        }
        let placeholders: Vec<&str> = entry_
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(named("path"), placeholders, "{call:?}: path parameters");
        let body = &op["requestBody"];
        match shape.body {
            Body::None => assert!(
                body["required"] != true,
                "{call:?}: the operation needs a body"
            ),
            Body::Json(fields) => {
                let schema = &body["content"]["application/json"]["schema"];
                assert!(schema.is_object(), "{call:?}: no JSON body");
                for f in fields {
                    assert!(has_field(schema, f), "{call:?}: no body field {f}");
                }
            }
            Body::Multipart(part) => {
                assert!(
                    body["content"]["multipart/form-data"].is_object(),
                    "{call:?}: not multipart"
                );
                let says = format!("must be `{part}`");
                assert!(
                    op["description"].as_str().unwrap().contains(&says),
                    "{call:?}: part {part}"
                );
            }
        }
        if !shape.reads.is_empty() {
            let schema = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .find_map(|(_, r)| {
                    r["content"]["application/json"]["schema"]
                        .as_object()
                        .map(|_| &r["content"]["application/json"]["schema"])
                })
                .unwrap_or_else(|| panic!("{call:?}: no JSON answer to read"));
            for f in shape.reads {
                assert!(has_field(schema, f), "{call:?}: no response field {f}");
            }
        }
    }
}

/// The checks above catch what they should: a field, a parameter and an operation the document lacks.
#[test]
fn the_checks_see_what_the_document_lacks() {
    let user = operation(HttpMethod::Get, "/rest/api/3/user").unwrap();
    let schema = &user["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(has_field(schema, "displayName"));
    assert!(!has_field(schema, "email"));
    let groups = operation(HttpMethod::Get, "/rest/api/3/user/groups").unwrap();
    let list = &groups["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(
        has_field(list, "[].name") && !has_field(list, "[].members") && !has_field(list, "name")
    );
    assert!(operation(HttpMethod::Post, "/rest/api/3/user/email").is_none());
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every Jira call goes through [`JiraOp`]: no code of the service or the extraction engine (before its unit tests)
/// holds a `/rest/` string. The table itself (`crates/atlassian`) and the simulator (`crates/sandbox`, which serves
/// and links to Jira's API) may.
#[test]
fn no_call_bypasses_the_operation_list() {
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates/extract/src"), &mut files);
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("/rest/") {
                offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "REST paths outside the operation list:\n{}",
        offenders.join("\n")
    );
}

/// Clearance calls Jira only through the client's typed methods: no code outside `src/jira/` (before its unit tests)
/// names a call ([`JiraOp`], `JiraRequest`) or sends one raw (`get_json`, `post_json`, `put_json`).
#[test]
fn only_the_jira_client_names_its_calls() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(src.join("jira"))) {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or_default();
            let names = ["JiraOp", "JiraRequest", "get_json", "post_json", "put_json"];
            if names.iter().any(|name| code.contains(name)) {
                offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "Jira calls outside the Jira client:\n{}",
        offenders.join("\n")
    );
}

/// The simulator's REST routes are operations of the table (it answers 500 to a call of one that is not).
#[test]
fn the_simulators_routes_are_in_the_table() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/sandbox/src/jira"),
        &mut files,
    );
    let mut routes = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, _) in text.match_indices("\"/rest/api/") {
            let rest = &text[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let route = &rest[..end];
            if !text[..i].trim_end().ends_with(".route(") {
                continue; // a link in an answer, not a route
            }
            routes += 1;
            let same_shape = |template: &str| {
                template.split('/').count() == route.split('/').count()
                    && template
                        .split('/')
                        .zip(route.split('/'))
                        .all(|(t, r)| t == r || (t.starts_with('{') && r.starts_with('{')))
            };
            assert!(
                OPERATIONS.iter().any(|op| same_shape(op.path)),
                "{}: {route} is in no entry",
                file.display()
            );
        }
    }
    assert!(routes > 10, "found only {routes} routes");
}
