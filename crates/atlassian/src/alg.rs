//! The one header check every host token gets first: `alg` must be exactly the algorithm the route expects, which
//! refuses `none` and algorithm confusion (an HS256 token "signed" with a public key) before any key is looked up.

use jsonwebtoken::{Algorithm, decode_header};

use crate::TokenError;

/// Require the header's `alg` to be exactly `expected` (this refuses `none` and algorithm confusion).
pub fn require_algorithm(
    token: &str,
    expected: Algorithm,
) -> Result<jsonwebtoken::Header, TokenError> {
    // `decode_header` cannot represent `none`; report such headers by their raw `alg`.
    let header = decode_header(token).map_err(|_| {
        let alg = raw_alg(token).unwrap_or_else(|| "unreadable".into());
        TokenError::Algorithm {
            found: alg,
            expected: alg_name(expected),
        }
    })?;
    if header.alg != expected {
        return Err(TokenError::Algorithm {
            found: format!("{:?}", header.alg),
            expected: alg_name(expected),
        });
    }
    Ok(header)
}

fn raw_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let head = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        _ => "other",
    }
}
