//! Connect JWTs: where they travel, their claims, and HS256 verification with a tenant's shared secret.

use std::time::Duration;

use http::{HeaderMap, header::AUTHORIZATION};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::TokenError;
use crate::qsh::{self, CONTEXT_QSH};

/// Claims Jira puts in the tokens it sends (and Clearance in the ones it sends to Jira).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Tenant clientKey (inbound) or app key (outbound).
    pub iss: String,
    /// Acting Atlassian account id, if a user is logged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Query string hash, or `context-qsh` for context tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qsh: Option<String>,
    /// Issued at (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Expiry (seconds); required.
    pub exp: u64,
    /// Host context object, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
}

/// The token of a request: `Authorization: JWT <token>` (scheme case-insensitive), else the `jwt` query parameter.
pub fn token_from_request(headers: &HeaderMap, raw_query: Option<&str>) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if value.len() > 4 && value[..4].eq_ignore_ascii_case("jwt ") {
            return Some(value[4..].trim().to_owned());
        }
    }
    form_urlencoded::parse(raw_query?.as_bytes())
        .find(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
}

/// Read `iss` without verifying anything, to find which tenant's secret to verify with.
pub fn unverified_issuer(token: &str) -> Result<String, TokenError> {
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    let claims: Iss = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| TokenError::Malformed(e.to_string()))?;
    claims
        .iss
        .filter(|s| !s.is_empty())
        .ok_or_else(|| TokenError::Invalid("no iss claim".into()))
}

pub use crate::alg::require_algorithm;

/// Verify an HS256 token with a tenant's shared secret: signature, `exp` (with `leeway`), issuer.
/// `check_exp = false` is only for fixed test vectors.
pub fn verify_hs256(
    token: &str,
    secret: &[u8],
    leeway: Duration,
    check_exp: bool,
) -> Result<Claims, TokenError> {
    require_algorithm(token, Algorithm::HS256)?;
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = leeway.as_secs();
    v.validate_aud = false;
    v.validate_exp = check_exp;
    v.set_required_spec_claims(&["exp", "iss"]);
    let data = decode::<Claims>(token, &DecodingKey::from_secret(secret), &v).map_err(describe)?;
    Ok(data.claims)
}

/// Turn a jsonwebtoken error into a log-friendly reason.
pub fn describe(e: jsonwebtoken::errors::Error) -> TokenError {
    let reason = match e.kind() {
        ErrorKind::InvalidSignature => return TokenError::BadSignature,
        ErrorKind::ExpiredSignature => "expired".to_owned(),
        ErrorKind::InvalidAudience => "wrong audience (aud)".to_owned(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing claim {c}"),
        other => format!("{other:?}"),
    };
    TokenError::Invalid(reason)
}

/// How a route binds tokens to requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QshRule {
    /// Descriptor routes (iframes, webhooks, lifecycle): qsh must be the hash of this request.
    Request,
    /// Panel API routes: only context tokens (`qsh = context-qsh`).
    Context,
}

/// The request a token claims to be for: method, raw path and raw query exactly as received.
#[derive(Clone, Copy, Debug)]
pub struct RawRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as on the wire (still percent-encoded).
    pub path: &'a str,
    /// Query string as on the wire, without `?`.
    pub query: &'a str,
}

/// Check a verified token's `qsh` against the route's rule.
pub fn check_qsh(
    claims: &Claims,
    rule: QshRule,
    req: RawRequest<'_>,
    base_path: &str,
) -> Result<(), TokenError> {
    let claimed = claims.qsh.as_deref().ok_or(TokenError::MissingQsh)?;
    match rule {
        QshRule::Context if claimed == CONTEXT_QSH => Ok(()),
        QshRule::Context => Err(TokenError::ContextTokenRequired),
        QshRule::Request if claimed == CONTEXT_QSH => Err(TokenError::ContextTokenNotAllowed),
        QshRule::Request => {
            let canonical = qsh::canonical_request(req.method, req.path, req.query, base_path);
            if constant_time_eq(
                qsh::hash_canonical(&canonical).as_bytes(),
                claimed.as_bytes(),
            ) {
                Ok(())
            } else {
                Err(TokenError::QshMismatch { canonical })
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn token_locations() {
        let mut h = HeaderMap::new();
        assert_eq!(
            token_from_request(&h, Some("a=1&jwt=abc")),
            Some("abc".into())
        );
        h.insert(AUTHORIZATION, HeaderValue::from_static("jwt xyz"));
        assert_eq!(token_from_request(&h, Some("jwt=abc")), Some("xyz".into()));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(token_from_request(&h, None), None);
    }

    #[test]
    fn alg_none_is_refused_by_name() {
        // {"alg":"none","typ":"JWT"}.{"iss":"x","exp":9999999999}.
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.";
        match require_algorithm(token, Algorithm::HS256) {
            Err(TokenError::Algorithm { found, .. }) => assert_eq!(found, "none"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
