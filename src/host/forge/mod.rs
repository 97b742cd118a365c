//! Forge Remote front door: verifies the Forge Invocation Token on every call (RS256, keys from the configured JWKS,
//! `iss`, `aud` = our app id, expiry), derives the tenant from the verified installation (created on first contact,
//! keyed by cloud id), keeps the newest app system token per installation (sealed, expiring), and calls Jira for a
//! Forge tenant at the verified API base URL with that token.

pub mod events;
pub mod fit;
pub mod jwks;
mod outbound;
mod tenants;

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderMap, header};
use secrecy::SecretString;

pub use fit::Invocation;
use jwks::Jwks;

use super::{AuthError, Caller};
use crate::{
    config::{Config, ForgeConfig},
    crypto::MasterKeys,
    jira::JiraSite,
    store::{Store, StoredTenant},
};

/// What a Forge tenant's client key starts with (`forge:{cloudId}`); Connect never accepts such an issuer.
pub const CLIENT_KEY_PREFIX: &str = "forge:";

/// Header carrying the app system token on invocations that enable it.
pub const SYSTEM_TOKEN_HEADER: &str = "x-forge-oauth-system";

/// The Forge adapter.
#[derive(Clone)]
pub struct Forge {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: Option<ForgeConfig>,
    store: Store,
    keys: MasterKeys,
    jwks: Option<Jwks>,
    leeway: Duration,
    http: reqwest::Client,
}

/// A verified Forge call: its tenant and user, and the invocation's details.
#[derive(Clone, Debug)]
pub struct ForgeCall {
    /// The tenant and acting user, as every route sees them.
    pub caller: Caller,
    /// The verified token's claims.
    pub invocation: Invocation,
}

/// Which modules may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The UI (issue panel, admin page) through `invokeRemote`: a UI module, usually with a user.
    Ui,
    /// Forge itself (events, schedules, lifecycle): an `endpoint` module, no user.
    Endpoint,
}

/// The module type of Forge's backend calls.
const ENDPOINT_MODULE: &str = "core:endpoint";

/// Leeway on a FIT's `exp`/`nbf`: Forge's tokens live 25 s, so a few seconds of clock skew is all we allow.
const FIT_LEEWAY: Duration = Duration::from_secs(10);

impl Forge {
    /// The adapter; with no Forge app id configured it refuses every invocation token.
    pub fn new(cfg: &Config, store: Store, keys: MasterKeys, http: reqwest::Client) -> Self {
        let jwks = cfg
            .forge
            .as_ref()
            .map(|f| Jwks::new(f.jwks_url.clone(), http.clone(), cfg.http_timeout));
        Self {
            inner: Arc::new(Inner {
                cfg: cfg.forge.clone(),
                store,
                keys,
                jwks,
                leeway: FIT_LEEWAY.min(cfg.jwt_leeway.max(Duration::from_secs(1))),
                http,
            }),
        }
    }

    /// Whether a request carries a Forge token (`Authorization: Bearer …`) rather than a Connect one.
    pub fn is_forge_call(headers: &HeaderMap) -> bool {
        bearer(headers).is_some()
    }

    /// Verify the invocation token of a request, check it comes from the kind of module the route serves, and only
    /// then resolve its tenant (created on first contact) and keep the system token it carries. Every failure of the
    /// token itself is an [`AuthError`] answered 401; nothing is stored for a refused token.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        from: Origin,
    ) -> Result<ForgeCall, AuthError> {
        let (Some(cfg), Some(jwks)) = (&self.inner.cfg, &self.inner.jwks) else {
            return Err(AuthError::ForgeOff);
        };
        let token = bearer(headers).ok_or(AuthError::MissingToken)?;
        let kid = fit::key_id(token)?;
        let key = jwks.key(&kid).await?;
        let invocation = fit::verify(token, &key, cfg, self.inner.leeway)?;
        let endpoint = invocation.module_type.as_deref() == Some(ENDPOINT_MODULE);
        match from {
            Origin::Ui if endpoint => {
                return Err(AuthError::Invalid(
                    "an invocation token from a backend endpoint cannot call the UI API".into(),
                ));
            }
            Origin::Endpoint if !endpoint || invocation.principal.is_some() => {
                return Err(AuthError::Invalid(format!(
                    "Forge backend routes take endpoint invocations only, not {:?}",
                    invocation.module_type
                )));
            }
            _ => {}
        }
        let (stored, installation) = self.tenant(&invocation).await?;
        if !stored.tenant.state.is_active() {
            return Err(AuthError::TenantInactive {
                client_key: stored.tenant.client_key.clone(),
                state: stored.tenant.state,
            });
        }
        if let Some(system) = headers
            .get(SYSTEM_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
        {
            self.keep_token(&stored.tenant.id, SecretString::from(system), installation)
                .await?;
        }
        Ok(ForgeCall {
            caller: Caller {
                tenant: stored.tenant,
                account_id: invocation.principal.clone(),
                context_issue: invocation.issue,
            },
            invocation,
        })
    }

    /// How to call a Forge tenant's Jira: its verified API base URL with the newest live system token.
    pub async fn jira_site(&self, stored: &StoredTenant) -> Result<JiraSite, AuthError> {
        let (base_url, token) = self.live_token(&stored.tenant.id).await?;
        Ok(JiraSite {
            base_url,
            auth: Arc::new(outbound::BearerAuth::new(token)),
        })
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}
