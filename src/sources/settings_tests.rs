use secrecy::ExposeSecret;
use serde_json::json;

use super::*;

fn input(v: Value) -> Result<SourceInput, SourcesError> {
    SourceInput::from_json(v.to_string().as_bytes())
}

fn message(r: Result<impl std::fmt::Debug, SourcesError>) -> String {
    match r {
        Err(SourcesError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn full() -> Value {
    json!({"kind": "postgres", "url": "postgres://reader:pw@db:5432/wh", "environment": "production",
           "allowedProjects": ["DATA", "FIN_2", "DATA"], "maxRows": 1000, "maxBytes": 5000, "statementTimeoutSecs": 30})
}

#[test]
fn a_full_body_becomes_a_source() {
    let s = input(full()).unwrap().into_source("wh", None).unwrap();
    assert_eq!(s.dialect, Dialect::Postgres);
    assert_eq!(s.environment, Environment::Production);
    assert_eq!(s.allowed_projects, ["DATA", "FIN_2"]);
    assert_eq!((s.max_rows, s.max_bytes), (1000, 5000));
    assert_eq!(s.statement_timeout, Duration::from_secs(30));
    assert_eq!(s.url.expose_secret(), "postgres://reader:pw@db:5432/wh");
}

#[test]
fn a_new_source_needs_kind_url_and_environment_and_gets_default_caps() {
    for field in ["kind", "url", "environment"] {
        let mut body = full();
        body.as_object_mut().unwrap().remove(field);
        let m = message(input(body).unwrap().into_source("wh", None));
        assert!(m.starts_with(&format!("{field}: required")), "{m}");
    }
    let s = input(json!({"kind": "sqlite", "url": "sqlite:///tmp/x.db", "environment": "staging"}))
        .unwrap()
        .into_source("wh", None)
        .unwrap();
    assert_eq!(
        (s.max_rows, s.max_bytes, s.statement_timeout.as_secs()),
        (DEFAULT_MAX_ROWS, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_SECS)
    );
    assert!(s.allowed_projects.is_empty());
}

#[test]
fn an_update_keeps_what_it_leaves_out() {
    let stored = input(full()).unwrap().into_source("wh", None).unwrap();
    let s = input(json!({"maxRows": 7}))
        .unwrap()
        .into_source("wh", Some(stored.clone()))
        .unwrap();
    assert_eq!(s.max_rows, 7);
    assert_eq!(s.url.expose_secret(), stored.url.expose_secret());
    assert_eq!(s.allowed_projects, stored.allowed_projects);
    assert_eq!(s.statement_timeout, stored.statement_timeout);
    // Changing the kind needs a URL of that kind.
    let m = message(
        input(json!({"kind": "mysql"}))
            .unwrap()
            .into_source("wh", Some(stored)),
    );
    assert!(
        m.starts_with("url: the URL is for postgres, but kind is mysql"),
        "{m}"
    );
}

#[test]
fn each_bad_field_is_named() {
    let cases = [
        (json!({"kind": "oracle"}), "kind:"),
        (json!({"kind": 3}), "kind: must be a string"),
        (json!({"environment": "prod"}), "environment:"),
        (
            json!({"url": "ftp://x/y"}),
            "url: bad data source URL: use postgres://",
        ),
        (
            json!({"url": "postgres:///wh"}),
            "url: name the server's host",
        ),
        (json!({"url": "sqlite://"}), "url: name the SQLite file"),
        (
            json!({"url": "postgres://reader:***@db/wh"}),
            "url: this is the redacted URL",
        ),
        (
            json!({"url": "postgres://r@db/wh?password=***"}),
            "url: this is the redacted URL",
        ),
        (
            json!({"maxRows": 0}),
            "maxRows: must be a whole number from 1 to 100000000",
        ),
        (json!({"maxRows": 100_000_001}), "maxRows:"),
        (json!({"maxRows": -1}), "maxRows:"),
        (json!({"maxRows": 1.5}), "maxRows:"),
        (json!({"maxRows": "10"}), "maxRows:"),
        (json!({"maxBytes": 0}), "maxBytes:"),
        (
            json!({"statementTimeoutSecs": 0}),
            "statementTimeoutSecs: must be a whole number from 1 to 3600",
        ),
        (
            json!({"statementTimeoutSecs": 3601}),
            "statementTimeoutSecs:",
        ),
        (
            json!({"allowedProjects": "DATA"}),
            "allowedProjects: must be a list",
        ),
        (
            json!({"allowedProjects": ["data"]}),
            "allowedProjects: \"data\" is not a Jira project key",
        ),
        (
            json!({"allowedProjects": ["D"]}),
            "allowedProjects: \"D\" is not",
        ),
        (json!({"allowedProjects": ["1AB"]}), "allowedProjects:"),
        (json!({"allowedProjects": ["AB-1"]}), "allowedProjects:"),
        (json!({"allowedProjects": [7]}), "allowedProjects: 7 is not"),
        (json!({"maxrows": 5}), "maxrows: unknown field"),
    ];
    for (body, expected) in cases {
        let m = message(input(body.clone()));
        assert!(m.starts_with(expected), "{body}: {m}");
    }
    assert!(message(SourceInput::from_json(b"[1]")).starts_with("body:"));
    assert!(message(SourceInput::from_json(b"{")).starts_with("body: not valid JSON"));
}

#[test]
fn refusals_never_echo_the_password() {
    for url in [
        "postgres://u:hunter2@[::1/wh",
        "postgres://u:hunter2@db:99999/wh",
        "mysql://u:hunter2@db:notaport/wh",
    ] {
        let m = message(input(json!({ "url": url })));
        assert!(m.starts_with("url:"), "{m}");
        assert!(!m.contains("hunter2"), "{m}");
    }
}

#[test]
fn names() {
    for ok in ["wh", "warehouse-eu_2", &"a".repeat(64)] {
        validate_name(ok).unwrap();
    }
    for bad in ["", "a b", "wh/1", "ü", &"a".repeat(65), "test"] {
        assert!(message(validate_name(bad)).starts_with("name:"), "{bad}");
    }
}

#[test]
fn null_counts_as_left_out() {
    let stored = input(full()).unwrap().into_source("wh", None).unwrap();
    let s = input(json!({"url": null, "maxRows": null}))
        .unwrap()
        .into_source("wh", Some(stored.clone()))
        .unwrap();
    assert_eq!(s.url.expose_secret(), stored.url.expose_secret());
    assert_eq!(s.max_rows, stored.max_rows);
}
