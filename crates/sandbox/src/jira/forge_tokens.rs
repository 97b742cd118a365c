//! The OAuth tokens Forge hands the remote (`x-forge-oauth-system`, `x-forge-oauth-user`): opaque random strings
//! recorded with their site, installation, account and expiry, and their check at the API gateway
//! (`/ex/jira/{cloudId}`): unknown or expired → 401, another site's cloudId → 401 "scope does not match".

use std::{collections::HashMap, time::Duration};

use axum::{
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;

use super::{JiraSim, forge_gateway::gateway_error};

/// What a token was issued for.
#[derive(Clone, Debug)]
struct Grant {
    cloud_id: String,
    installation_uuid: String,
    account_id: String,
    expires: DateTime<Utc>,
}

/// Issued tokens, and the ones Forge currently hands out with invocations (Forge caches and rotates them).
#[derive(Default)]
pub(super) struct Grants {
    by_token: HashMap<String, Grant>,
    live_system: Option<String>,
    live_user: HashMap<String, String>,
}

impl JiraSim {
    fn grants(&self) -> std::sync::MutexGuard<'_, Grants> {
        self.forge()
            .tokens
            .lock()
            .expect("forge token lock poisoned")
    }

    /// A new app system token (acts as the app's own account), valid for `SimOptions::forge_token_ttl`.
    pub fn forge_system_token(&self) -> String {
        self.forge_token(None, self.inner.options.forge_token_ttl)
    }

    /// A new user token acting as `account_id`, valid for `SimOptions::forge_token_ttl`.
    pub fn forge_user_token(&self, account_id: &str) -> String {
        self.forge_token(Some(account_id), self.inner.options.forge_token_ttl)
    }

    /// A new token for `user` (None: the system token) valid for `ttl` (zero: already expired). It is bound to
    /// the current installation: useless once the app is uninstalled or installed again.
    pub fn forge_token(&self, user: Option<&str>, ttl: Duration) -> String {
        let (cloud_id, installation_uuid, app_account) = {
            let s = self.state();
            (
                s.forge.cloud_id.clone(),
                s.forge.installation_uuid.clone(),
                s.forge.app_account_id.clone(),
            )
        };
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let now = Utc::now();
        let expires =
            now + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(3650));
        let mut g = self.grants();
        g.by_token.retain(|_, grant| grant.expires > now);
        g.by_token.insert(
            token.clone(),
            Grant {
                cloud_id,
                installation_uuid,
                account_id: user.map_or(app_account, str::to_owned),
                expires,
            },
        );
        token
    }

    /// Make `token` expire now. False if it is unknown.
    pub fn forge_expire_token(&self, token: &str) -> bool {
        match self.grants().by_token.get_mut(token) {
            Some(g) => {
                g.expires = Utc::now();
                true
            }
            None => false,
        }
    }

    /// The token Forge sends with an invocation now: the one it sent before while that has at least half its
    /// lifetime left, else a new one.
    pub(super) fn forge_live_token(&self, user: Option<&str>) -> String {
        let ttl = self.inner.options.forge_token_ttl;
        let installation = self.state().forge.installation_uuid.clone();
        let cached = {
            let g = self.grants();
            let t = match user {
                None => g.live_system.clone(),
                Some(u) => g.live_user.get(u).cloned(),
            };
            t.filter(|t| {
                g.by_token.get(t).is_some_and(|grant| {
                    grant.installation_uuid == installation
                        && (grant.expires - Utc::now())
                            .to_std()
                            .is_ok_and(|left| left >= ttl / 2)
                })
            })
        };
        if let Some(t) = cached {
            return t;
        }
        let t = self.forge_token(user, ttl);
        let mut g = self.grants();
        match user {
            None => g.live_system = Some(t.clone()),
            Some(u) => {
                g.live_user.insert(u.to_owned(), t.clone());
            }
        }
        t
    }

    /// The account a call through the gateway acts as, or the gateway's 401.
    pub(super) fn forge_bearer_account(
        &self,
        cloud_id: &str,
        headers: &HeaderMap,
    ) -> Result<String, Box<Response>> {
        let refuse = |why: &str| {
            tracing::debug!(why, "jira simulator gateway refused a call");
            Box::new(gateway_error(StatusCode::UNAUTHORIZED, "Unauthorized"))
        };
        let token = match headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => v[7..].trim(),
            _ => return Err(refuse("no bearer token")),
        };
        let Some(grant) = self.grants().by_token.get(token).cloned() else {
            return Err(refuse("unknown token"));
        };
        if grant.expires <= Utc::now() {
            return Err(refuse("expired token"));
        }
        if grant.cloud_id != cloud_id {
            let mut resp = gateway_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized; scope does not match",
            );
            resp.headers_mut().insert(
                "x-failure-category",
                header::HeaderValue::from_static("FAILURE_CLIENT_SCOPE_CHECK"),
            );
            return Err(Box::new(resp));
        }
        let current = {
            let s = self.state();
            s.forge.installed.is_some() && s.forge.installation_uuid == grant.installation_uuid
        };
        if !current {
            return Err(refuse("token of an installation that is gone"));
        }
        Ok(grant.account_id)
    }
}
