//! Atlassian's install keys: RS256 public keys fetched by `kid` from the key server, cached by kid (bounded).
//!
//! Atlassian rotates by issuing a new kid, so a cached key never goes stale; an unknown kid is fetched once
//! (concurrent requests for it share the fetch) and failures are not cached.

use std::{sync::Arc, time::Duration};

use jsonwebtoken::DecodingKey;
use quick_cache::sync::Cache;
use url::Url;

use crate::host::AuthError;

/// Most kids kept; Atlassian uses a handful at a time.
const CACHE_CAPACITY: usize = 64;
/// Largest PEM accepted from the key server.
const MAX_PEM_BYTES: usize = 16 * 1024;

/// Fetches and caches install public keys.
#[derive(Clone)]
pub struct InstallKeys {
    http: reqwest::Client,
    server: Url,
    timeout: Duration,
    cache: Arc<Cache<String, Arc<DecodingKey>>>,
}

impl InstallKeys {
    /// Keys from `server` (`{server}/{kid}`), each fetch bounded by `timeout` (at most 5 s).
    pub fn new(http: reqwest::Client, server: Url, timeout: Duration) -> Self {
        Self {
            http,
            server,
            timeout: timeout.min(Duration::from_secs(5)),
            cache: Arc::new(Cache::new(CACHE_CAPACITY)),
        }
    }

    /// The public key for `kid`.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        if !valid_kid(kid) {
            return Err(AuthError::InstallKey {
                kid: kid.to_owned(),
                reason: "kid has unexpected characters".into(),
            });
        }
        self.cache.get_or_insert_async(kid, self.fetch(kid)).await
    }

    async fn fetch(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        let fail = |reason: String| AuthError::InstallKey {
            kid: kid.to_owned(),
            reason,
        };
        let url = format!("{}/{kid}", self.server.as_str().trim_end_matches('/'));
        let resp = self
            .http
            .get(&url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| fail(format!("fetch failed: {e}")))?;
        if !resp.status().is_success() {
            return Err(fail(format!("key server answered {}", resp.status())));
        }
        if resp
            .content_length()
            .is_some_and(|n| n as usize > MAX_PEM_BYTES)
        {
            return Err(fail("key too large".into()));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| fail(format!("reading key: {e}")))?;
        if body.len() > MAX_PEM_BYTES {
            return Err(fail("key too large".into()));
        }
        let key = DecodingKey::from_rsa_pem(&body)
            .map_err(|e| fail(format!("not an RSA public key PEM: {e}")))?;
        tracing::debug!(kid, "fetched install key");
        Ok(Arc::new(key))
    }
}

/// Kids are UUIDs or similar: letters, digits, `-`, `_`, `.`, nothing that could change the fetched path.
fn valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !kid.contains("..")
}

#[cfg(test)]
mod tests {
    #[test]
    fn kid_shape() {
        assert!(super::valid_kid("0e50fccb-239d-4991-a5db-dc850ba3f236"));
        for bad in ["", "../x", "a/b", "a?b", "a b", ".."] {
            assert!(!super::valid_kid(bad), "{bad}");
        }
    }
}
