//! Invocation tokens: a good one is read whole; every forgery or mismatch is refused with the reason.

use std::{sync::OnceLock, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use serde_json::{Value, json};

use clearance_sandbox::jira::keys::SimKeys;

use super::*;
use crate::config::{ForgeConfig, HostPatterns};

const APP: &str = "ari:cloud:ecosystem::app/6f1b7b2c-6c1f-4b8e-9a4e-0d6f3c2b1a00";
const CLOUD: &str = "1c9a6a4e-9d6b-4f3e-8a41-2d5f0e7b3c11";
const INSTALLATION: &str = "ari:cloud:ecosystem::installation/0b2f5c1e-7d3a-4c59-b1e2-4a6d8f9e0c22";

/// Two keys: the one Forge signs with, and an attacker's.
fn keys() -> &'static (SimKeys, SimKeys) {
    static KEYS: OnceLock<(SimKeys, SimKeys)> = OnceLock::new();
    KEYS.get_or_init(|| (SimKeys::generate().unwrap(), SimKeys::generate().unwrap()))
}

fn cfg() -> ForgeConfig {
    ForgeConfig {
        app_id: APP.into(),
        jwks_url: "https://forge.example/jwks.json".parse().unwrap(),
        api_hosts: HostPatterns::parse(&["api.atlassian.com".into()]).unwrap(),
        environments: Vec::new(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims() -> Value {
    let iat = now();
    json!({
        "iss": ISSUER, "aud": APP, "iat": iat, "nbf": iat, "exp": iat + 25, "jti": "j-1",
        "app": {
            "id": APP, "installationId": INSTALLATION, "appVersion": "2.1.0",
            "apiBaseUrl": format!("https://api.atlassian.com/ex/jira/{CLOUD}"),
            "environment": {"type": "PRODUCTION", "id": "ari:cloud:ecosystem::environment/app/env-1"},
            "module": {"type": "jira:issuePanel", "key": "clearance-panel"},
            "installation": {"id": INSTALLATION, "contexts": [{"name": "jira", "cloudId": CLOUD,
                "apiBaseUrl": format!("https://api.atlassian.com/ex/jira/{CLOUD}")}]}
        },
        "context": {"cloudId": CLOUD, "siteUrl": "https://acme.atlassian.net", "extension": {"issue": {"id": "10001"}}},
        "principal": "557058:ana-analyst"
    })
}

fn sign_with(key: &SimKeys, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let enc = EncodingKey::from_rsa_pem(key.stored().private_pem.as_bytes()).unwrap();
    encode(&header, claims, &enc).unwrap()
}

fn sign(claims: &Value) -> String {
    let k = &keys().0;
    sign_with(k, Some(k.kid()), claims)
}

fn forge_key() -> DecodingKey {
    DecodingKey::from_rsa_pem(keys().0.stored().public_pem.as_bytes()).unwrap()
}

fn check(token: &str) -> Result<Invocation, AuthError> {
    key_id(token)?;
    verify(token, &forge_key(), &cfg(), Duration::from_secs(10))
}

fn refused(claims: &Value, why: &str) {
    let err = check(&sign(claims)).expect_err(why);
    assert!(
        matches!(err, AuthError::Invalid(_) | AuthError::BadSignature),
        "{why}: {err}"
    );
}

#[test]
fn a_good_token_is_read_whole() {
    let inv = check(&sign(&claims())).unwrap();
    assert_eq!(inv.installation_id, INSTALLATION);
    assert_eq!(inv.cloud_id, CLOUD);
    assert_eq!(
        inv.api_base_url.as_str(),
        format!("https://api.atlassian.com/ex/jira/{CLOUD}")
    );
    assert_eq!(
        inv.principal.as_ref().map(|p| p.as_ref()),
        Some("557058:ana-analyst")
    );
    assert_eq!(inv.module_type.as_deref(), Some("jira:issuePanel"));
    assert_eq!(inv.app_version.as_deref(), Some("2.1.0"));
}

#[test]
fn the_header_is_checked_before_any_key_is_looked_up() {
    // alg none, HS256 "signed" with the public key, no kid.
    let body = |alg: &str| {
        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "kid": "k"})),
            b64(&claims())
        )
    };
    assert!(matches!(
        key_id(&body("none")),
        Err(AuthError::Algorithm { .. })
    ));
    let public = keys().0.stored().public_pem.clone();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(keys().0.kid().into());
    let confused = encode(&h, &claims(), &EncodingKey::from_secret(public.as_bytes())).unwrap();
    assert!(matches!(
        key_id(&confused),
        Err(AuthError::Algorithm { .. })
    ));
    let no_kid = sign_with(&keys().0, None, &claims());
    assert!(matches!(key_id(&no_kid), Err(AuthError::Invalid(_))));
}

#[test]
fn another_key_is_a_bad_signature() {
    let attacker = &keys().1;
    let forged = sign_with(attacker, Some(keys().0.kid()), &claims());
    assert!(matches!(check(&forged), Err(AuthError::BadSignature)));
}

#[test]
fn each_claim_that_does_not_fit_is_refused() {
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims();
        f(&mut c);
        c
    };
    refused(
        &with(&|c| {
            c["aud"] = json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000")
        }),
        "other app",
    );
    refused(
        &with(&|c| c["aud"] = json!("6f1b7b2c-6c1f-4b8e-9a4e-0d6f3c2b1a00")),
        "bare uuid audience",
    );
    refused(&with(&|c| c["iss"] = json!("someone-else")), "issuer");
    refused(&with(&|c| c["exp"] = json!(now() - 60)), "expired");
    refused(&with(&|c| c["nbf"] = json!(now() + 600)), "not yet valid");
    refused(
        &with(&|c| c["app"]["id"] = json!("ari:cloud:ecosystem::app/other")),
        "app.id",
    );
    refused(
        &with(&|c| c["app"]["installationId"] = json!("0b2f5c1e-7d3a-4c59-b1e2-4a6d8f9e0c22")),
        "bare installation",
    );
    refused(
        &with(&|c| c["app"]["apiBaseUrl"] = json!(format!("https://evil.example/ex/jira/{CLOUD}"))),
        "api host",
    );
    refused(
        &with(&|c| {
            c["app"]["apiBaseUrl"] = json!(format!("http://api.atlassian.com/ex/jira/{CLOUD}"))
        }),
        "http",
    );
    refused(
        &with(&|c| c["app"]["apiBaseUrl"] = json!("https://api.atlassian.com/ex/confluence/x")),
        "product",
    );
    refused(
        &with(&|c| {
            c["app"]["apiBaseUrl"] = json!(format!("https://api.atlassian.com/ex/jira/{CLOUD}/x"))
        }),
        "path",
    );
    refused(
        &with(&|c| c["context"]["cloudId"] = json!("5e0c0f0e-0000-4000-8000-000000000000")),
        "context cloud",
    );
    refused(
        &with(&|c| c["principal"] = json!("bad id with spaces")),
        "principal",
    );
    refused(
        &with(&|c| {
            c["app"].as_object_mut().unwrap().remove("installationId");
        }),
        "no installation",
    );
    refused(
        &with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        }),
        "no exp",
    );
}

#[test]
fn only_configured_environments_are_served() {
    let mut cfg = cfg();
    cfg.environments = vec!["ari:cloud:ecosystem::environment/app/env-2".into()];
    let err = verify(
        &sign(&claims()),
        &forge_key(),
        &cfg,
        Duration::from_secs(10),
    )
    .unwrap_err();
    assert!(err.to_string().contains("environment"), "{err}");
    cfg.environments
        .push("ari:cloud:ecosystem::environment/app/env-1".into());
    assert!(
        verify(
            &sign(&claims()),
            &forge_key(),
            &cfg,
            Duration::from_secs(10)
        )
        .is_ok()
    );
}
