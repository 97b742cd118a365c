//! Micro-benchmarks of the work every Jira request costs: canonical request + qsh, HS256 verification, opening the
//! tenant's sealed secret; and for Forge, the RS256 invocation-token check. Run: `cargo bench --bench auth`.

use std::{hint::black_box, time::Duration};

use clearance::{
    crypto::MasterKeys,
    host::connect::{
        jwt::{QshRule, RawRequest, check_qsh, verify_hs256},
        qsh::{canonical_request, query_string_hash},
    },
};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header, encode};
use secrecy::ExposeSecret;
use serde_json::json;

/// The iframe URL of Atlassian's "Search Request View" vector: many parameters, several encodings.
const PATH: &str = "/search-view";
const QUERY: &str = "link=http%3A%2F%2Fion%3A2990%2Fjira%2Fsecure%2FIssueNavigator.jspa%3Freset%3Dtrue%26jqlQuery%3Dissuetype%2B%253D%2BBug&startIssue=0&totalIssues=2&endIssue=2&issues=issues%3DTEST-2%2CTEST-1&tz=Australia%2FSydney&loc=en-US&user_id=admin&user_key=admin&xdm_e=http%3A%2F%2Fion.local%3A2990&xdm_c=channel-acmodule-1564427223927602208&xdm_p=1&cp=jira&lic=none";

fn benches(c: &mut Criterion) {
    c.bench_function("canonical_request (iframe URL, 15 params)", |b| {
        b.iter(|| canonical_request(black_box("GET"), black_box(PATH), black_box(QUERY), ""))
    });

    let secret = "s0m3-sh@r3d-s3cr37";
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "iss": "jira:1234", "sub": "557058:abc", "iat": now, "exp": now + 3600,
        "qsh": query_string_hash("GET", PATH, QUERY, ""), "context": {}
    });
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    c.bench_function("verify_hs256 + check_qsh (full inbound token check)", |b| {
        b.iter(|| {
            let claims = verify_hs256(
                black_box(&token),
                secret.as_bytes(),
                Duration::from_secs(30),
                true,
            )
            .unwrap();
            check_qsh(
                &claims,
                QshRule::Request,
                RawRequest {
                    method: "GET",
                    path: PATH,
                    query: QUERY,
                },
                "",
            )
            .unwrap();
        })
    });

    let keys = MasterKeys::parse(MasterKeys::generate().expose_secret(), &[]).unwrap();
    let sealed = keys.seal("tenant:jira:1234:shared_secret", secret);
    c.bench_function("open sealed shared secret (XChaCha20-Poly1305)", |b| {
        b.iter(|| {
            keys.open(
                black_box("tenant:jira:1234:shared_secret"),
                black_box(&sealed),
            )
            .unwrap()
        })
    });
}

/// A Forge invocation token's full check: header (RS256, kid), RS256 signature, claims, API base URL.
fn forge(c: &mut Criterion) {
    use clearance::{
        config::{ForgeConfig, HostPatterns},
        host::forge::fit,
    };
    use clearance_sandbox::jira::keys::SimKeys;
    let key = SimKeys::generate().unwrap();
    let app = "ari:cloud:ecosystem::app/6f1b7b2c-6c1f-4b8e-9a4e-0d6f3c2b1a00";
    let cloud = "1c9a6a4e-9d6b-4f3e-8a41-2d5f0e7b3c11";
    let iat = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "iss": fit::ISSUER, "aud": app, "iat": iat, "nbf": iat, "exp": iat + 3600, "jti": "j",
        "app": {"id": app, "installationId": "ari:cloud:ecosystem::installation/0b2f5c1e-7d3a-4c59-b1e2-4a6d8f9e0c22",
                "apiBaseUrl": format!("https://api.atlassian.com/ex/jira/{cloud}"),
                "environment": {"type": "PRODUCTION", "id": "e"}, "module": {"type": "jira:issueContext", "key": "p"}},
        "context": {"cloudId": cloud, "siteUrl": "https://acme.atlassian.net"},
        "principal": "557058:ana-analyst"
    });
    let token = key.sign(&claims).unwrap();
    let cfg = ForgeConfig {
        app_id: app.into(),
        jwks_url: "https://forge.example/jwks.json".parse().unwrap(),
        api_hosts: HostPatterns::parse(&["api.atlassian.com".into()]).unwrap(),
        environments: Vec::new(),
    };
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_pem(key.stored().public_pem.as_bytes()).unwrap();
    c.bench_function(
        "Forge invocation token: key_id + RS256 verify + claims",
        |b| {
            b.iter(|| {
                fit::key_id(black_box(&token)).unwrap();
                fit::verify(black_box(&token), &decoding, &cfg, Duration::from_secs(10)).unwrap()
            })
        },
    );
}

criterion_group!(auth, benches, forge);
criterion_main!(auth);
