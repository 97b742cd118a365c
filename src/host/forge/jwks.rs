//! Forge's token-signing keys, fetched from the configured JWKS URL and kept by `kid`. A token naming a `kid` we do
//! not have triggers one fetch (Forge rotates keys), at most once per [`MIN_REFETCH`], so forged kids cannot make us
//! hammer the key server; a set is kept for its `Cache-Control: max-age` clamped to 5 min-24 h (1 h if none). Bounded:
//! at most [`MAX_KEYS`] keys from a response of at most [`MAX_BODY`] bytes; only RSA keys for RS256 are kept.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::{
    DecodingKey,
    jwk::{AlgorithmParameters, JwkSet},
};
use tokio::sync::Mutex;
use url::Url;

use crate::host::AuthError;

/// Soonest a second fetch for an unknown kid.
pub const MIN_REFETCH: Duration = Duration::from_secs(30);
/// Most keys kept from one set.
const MAX_KEYS: usize = 50;
/// Largest JWKS response read.
const MAX_BODY: usize = 256 * 1024;
const MIN_AGE: Duration = Duration::from_secs(5 * 60);
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const DEFAULT_AGE: Duration = Duration::from_secs(3600);

/// The key cache.
pub struct Jwks {
    url: Url,
    http: reqwest::Client,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
    fresh_for: Duration,
}

impl Jwks {
    /// Keys from `url`, fetched with `http` within `timeout`.
    pub fn new(url: Url, http: reqwest::Client, timeout: Duration) -> Self {
        Self {
            url,
            http,
            timeout,
            state: Mutex::new(State::default()),
        }
    }

    /// The key `kid`: cached, or fetched once more if the set is stale or the kid is new (not more often than
    /// [`MIN_REFETCH`]). An unknown kid after that is the token's fault (401); a key server we cannot read is ours.
    pub async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let mut state = self.state.lock().await;
        let age = state.fetched.map(|t| t.elapsed());
        let stale = age.is_none_or(|a| a >= state.fresh_for);
        if !stale && let Some(k) = state.keys.get(kid) {
            return Ok(k.clone());
        }
        let may_fetch = age.is_none_or(|a| a >= MIN_REFETCH);
        if may_fetch {
            match self.fetch().await {
                Ok((keys, fresh_for)) => {
                    state.keys = keys;
                    state.fresh_for = fresh_for;
                    state.fetched = Some(Instant::now());
                }
                // Keep serving known keys while the key server is down; only a kid we never saw fails.
                Err(e) if state.keys.contains_key(kid) => {
                    tracing::warn!(error = %e, "cannot refresh Forge's keys; using the cached set");
                }
                Err(e) => return Err(e),
            }
        }
        state.keys.get(kid).cloned().ok_or_else(|| {
            AuthError::Invalid(format!(
                "invocation token kid {kid:?} is not a published Forge key"
            ))
        })
    }

    async fn fetch(&self) -> Result<(HashMap<String, DecodingKey>, Duration), AuthError> {
        let unavailable = |why: String| AuthError::KeysUnavailable(format!("{}: {why}", self.url));
        let resp = self
            .http
            .get(self.url.clone())
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("HTTP {}", resp.status())));
        }
        let fresh_for = max_age(resp.headers()).map_or(DEFAULT_AGE, |a| a.clamp(MIN_AGE, MAX_AGE));
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(unavailable("the key set is too large".into()));
        }
        let body = resp.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        if body.len() > MAX_BODY {
            return Err(unavailable("the key set is too large".into()));
        }
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| unavailable(format!("not a JWKS: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in set.keys.iter().take(MAX_KEYS) {
            let (Some(kid), AlgorithmParameters::RSA(_)) = (&jwk.common.key_id, &jwk.algorithm)
            else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(k) => {
                    keys.insert(kid.clone(), k);
                }
                Err(e) => tracing::warn!(kid, error = %e, "skipping an unreadable Forge key"),
            }
        }
        Ok((keys, fresh_for))
    }
}

/// `Cache-Control: max-age=N`.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let cc = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    cc.split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|n| n.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert(
            reqwest::header::CACHE_CONTROL,
            "public, max-age=600, must-revalidate".parse().unwrap(),
        );
        assert_eq!(max_age(&h), Some(Duration::from_secs(600)));
        h.insert(reqwest::header::CACHE_CONTROL, "no-store".parse().unwrap());
        assert_eq!(max_age(&h), None);
    }
}
