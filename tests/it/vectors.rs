//! Atlassian's 79 JWT/QSH interoperability vectors: every canonical request and qsh reproduces, every signed URL's
//! token verifies with the shared secret (expiry ignored: the vectors are from 2014), and its qsh matches the request.

use std::time::Duration;

use clearance::host::connect::{
    jwt::{QshRule, RawRequest, check_qsh, verify_hs256},
    qsh::{canonical_request, hash_canonical},
};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct Vectors {
    pub secret: String,
    pub tests: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Case {
    pub name: String,
    pub canonical_url: String,
    pub signed_url: String,
    #[serde(default)]
    pub addon_base_url: Option<String>,
}

/// Split a signed URL into (raw path, raw query without `jwt`, token) without re-encoding anything.
pub(crate) fn split(url: &str) -> (String, String, String) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = &after_scheme[after_scheme.find('/').unwrap_or(after_scheme.len())..];
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut token = String::new();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("jwt=") {
            Some(t) => token = t.to_owned(),
            None => kept.push(pair),
        }
    }
    (path.to_owned(), kept.join("&"), token)
}

pub(crate) fn load() -> Vectors {
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/connect-jwt-vectors.json"
    ))
    .expect("vectors fixture");
    serde_json::from_str(&raw).expect("vectors parse")
}

#[test]
fn all_79_vectors_reproduce_and_verify() {
    let v = load();
    assert_eq!(v.tests.len(), 79, "the official file has 79 cases");
    let mut failures = Vec::new();
    for case in &v.tests {
        let base_path = case.addon_base_url.as_deref().unwrap_or("");
        let (path, query, token) = split(&case.signed_url);
        assert!(!token.is_empty(), "{}: no jwt in signed URL", case.name);

        let canonical = canonical_request("GET", &path, &query, base_path);
        if canonical != case.canonical_url {
            failures.push(format!(
                "{}: canonical {canonical:?} != {:?}",
                case.name, case.canonical_url
            ));
            continue;
        }
        let claims = match verify_hs256(&token, v.secret.as_bytes(), Duration::ZERO, false) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{}: signature: {e}", case.name));
                continue;
            }
        };
        if claims.qsh.as_deref() != Some(hash_canonical(&case.canonical_url).as_str()) {
            failures.push(format!(
                "{}: token qsh differs from hash of canonical",
                case.name
            ));
        }
        let raw = RawRequest {
            method: "GET",
            path: &path,
            query: &query,
        };
        if let Err(e) = check_qsh(&claims, QshRule::Request, raw, base_path) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 79 vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_tampered_vector_fails() {
    let v = load();
    let case = &v.tests[0];
    let (path, query, token) = split(&case.signed_url);
    // Wrong secret: signature must fail.
    assert!(verify_hs256(&token, b"not-the-secret", Duration::ZERO, false).is_err());
    // Same token, different query: qsh must fail.
    let claims = verify_hs256(&token, v.secret.as_bytes(), Duration::ZERO, false).unwrap();
    let other = format!("{query}&extra=1");
    assert!(
        check_qsh(
            &claims,
            QshRule::Request,
            RawRequest {
                method: "GET",
                path: &path,
                query: &other
            },
            ""
        )
        .is_err()
    );
    // Same token, other method: qsh must fail.
    assert!(
        check_qsh(
            &claims,
            QshRule::Request,
            RawRequest {
                method: "POST",
                path: &path,
                query: &query
            },
            ""
        )
        .is_err()
    );
    // The vectors expired in 2014: with expiry checked they are refused.
    assert!(verify_hs256(&token, v.secret.as_bytes(), Duration::from_secs(30), true).is_err());
}
