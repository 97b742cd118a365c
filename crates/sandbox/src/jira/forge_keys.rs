//! Forge's token-signing keys: RSA pairs made like the install key (`SimKeys`), made on first use, published as a
//! JWKS at `GET /forge/.well-known/jwks.json` with `Cache-Control: max-age`, and rotated on demand (the old key kept
//! in the JWKS for a while, or dropped at once) so an app's "unknown kid → fetch the JWKS again" path can be tested.

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header,
    jwk::{AlgorithmParameters, Jwk},
};
use serde_json::{Value, json};

use super::{JiraSim, SimKeys};

/// Where the JWKS is served (`https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json` in reality).
pub const JWKS_PATH: &str = "/forge/.well-known/jwks.json";

/// One signing key.
struct ForgeKey {
    keys: SimKeys,
    encoding: EncodingKey,
    /// Base64url (no padding) modulus and exponent.
    n: String,
    e: String,
    /// Whether the JWKS lists it.
    published: bool,
}

/// Every key the site has signed with, newest (the current one) last.
#[derive(Default)]
pub(super) struct KeyRing {
    keys: Vec<ForgeKey>,
}

impl ForgeKey {
    fn generate() -> anyhow::Result<Self> {
        let keys = SimKeys::generate()?;
        let encoding = EncodingKey::from_rsa_pem(keys.stored().private_pem.as_bytes())?;
        let AlgorithmParameters::RSA(rsa) =
            Jwk::from_encoding_key(&encoding, Algorithm::RS256)?.algorithm
        else {
            anyhow::bail!("an RSA key gave a non-RSA JWK");
        };
        Ok(Self {
            keys,
            encoding,
            n: rsa.n,
            e: rsa.e,
            published: true,
        })
    }

    fn jwk(&self) -> Value {
        json!({"kty": "RSA", "kid": self.keys.kid(), "alg": "RS256", "use": "sig", "n": self.n, "e": self.e})
    }
}

impl KeyRing {
    fn current(&mut self) -> &ForgeKey {
        if self.keys.is_empty() {
            self.keys
                .push(ForgeKey::generate().expect("generating an RSA key pair failed"));
        }
        let last = self.keys.len() - 1;
        &self.keys[last]
    }
}

impl JiraSim {
    fn key_ring(&self) -> std::sync::MutexGuard<'_, KeyRing> {
        self.forge().keys.lock().expect("forge key lock poisoned")
    }

    /// The JWKS URL (configure the app's Forge JWKS URL to this).
    pub fn forge_jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.base_url())
    }

    /// The JWKS as served: every published key.
    pub fn forge_jwks(&self) -> Value {
        let mut ring = self.key_ring();
        ring.current();
        let keys: Vec<Value> = ring
            .keys
            .iter()
            .filter(|k| k.published)
            .map(ForgeKey::jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// The kid tokens are signed with now.
    pub fn forge_current_kid(&self) -> String {
        self.key_ring().current().keys.kid().to_owned()
    }

    /// The current key's public key (SubjectPublicKeyInfo PEM), e.g. to forge an HS256 token "signed" with it.
    pub fn forge_public_key_pem(&self) -> String {
        self.key_ring().current().keys.stored().public_pem.clone()
    }

    /// Sign with a new key from now on; the old ones stay in the JWKS when `keep_old`, else they leave it at once.
    /// Returns the new kid.
    pub fn forge_rotate_key(&self, keep_old: bool) -> String {
        let fresh = ForgeKey::generate().expect("generating an RSA key pair failed");
        let kid = fresh.keys.kid().to_owned();
        let mut ring = self.key_ring();
        if !keep_old {
            for k in &mut ring.keys {
                k.published = false;
            }
        }
        ring.keys.push(fresh);
        kid
    }

    /// Take a key out of the JWKS (tokens signed with it no longer verify). False if no such published key.
    pub fn forge_unpublish_key(&self, kid: &str) -> bool {
        let mut ring = self.key_ring();
        match ring
            .keys
            .iter_mut()
            .find(|k| k.published && k.keys.kid() == kid)
        {
            Some(k) => {
                k.published = false;
                true
            }
            None => false,
        }
    }

    /// Sign arbitrary claims with the current key (RS256, its kid), e.g. tampered FIT claims.
    pub fn forge_sign_claims(&self, claims: Value) -> String {
        let kid = self.forge_current_kid();
        self.forge_sign_claims_with_kid(claims, Some(&kid))
    }

    /// Sign arbitrary claims with the current key but put `kid` in the header (`None`: no kid at all; an unknown
    /// one: a kid the JWKS does not list).
    pub fn forge_sign_claims_with_kid(&self, claims: Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        let ring = &mut self.key_ring();
        jsonwebtoken::encode(&header, &claims, &ring.current().encoding)
            .expect("RS256 signing of JSON claims with a valid key cannot fail")
    }
}

pub(super) fn router() -> Router<JiraSim> {
    Router::new().route(JWKS_PATH, get(jwks))
}

async fn jwks(State(sim): State<JiraSim>) -> Response {
    let fail = {
        let mut f = sim.faults();
        let fail = f.forge_jwks_errors > 0;
        f.forge_jwks_errors = f.forge_jwks_errors.saturating_sub(1);
        fail
    };
    if fail {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    let max_age = sim.inner.options.forge_jwks_max_age.as_secs();
    (
        [(header::CACHE_CONTROL, format!("public, max-age={max_age}"))],
        Json(sim.forge_jwks()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, jwk::JwkSet};

    use super::*;
    use crate::jira::SimOptions;

    fn sim() -> JiraSim {
        JiraSim::new(
            "http://127.0.0.1:1",
            SimKeys::generate().unwrap(),
            SimOptions::default(),
        )
    }

    fn verifies(sim: &JiraSim, token: &str) -> bool {
        let set: JwkSet = serde_json::from_value(sim.forge_jwks()).unwrap();
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        let Some(jwk) = set.find(&kid) else {
            return false;
        };
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_aud = false;
        v.set_required_spec_claims::<&str>(&[]);
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v).is_ok()
    }

    #[test]
    fn published_keys_verify_and_rotation_retires_them() {
        let sim = sim();
        let first = sim.forge_sign_claims(json!({"x": 1}));
        assert!(verifies(&sim, &first));
        let kid = sim.forge_rotate_key(true);
        let second = sim.forge_sign_claims(json!({"x": 2}));
        assert_eq!(
            jsonwebtoken::decode_header(&second).unwrap().kid.as_deref(),
            Some(kid.as_str())
        );
        assert!(verifies(&sim, &first) && verifies(&sim, &second));
        sim.forge_rotate_key(false);
        assert!(!verifies(&sim, &first) && !verifies(&sim, &second));
        assert_eq!(sim.forge_jwks()["keys"].as_array().map(Vec::len), Some(1));
        assert!(!sim.forge_unpublish_key(&kid), "already gone");
    }
}
