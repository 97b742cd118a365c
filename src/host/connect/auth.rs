//! Verification of tenant tokens (HS256 with the site's shared secret), shared by the descriptor routes, the panel API
//! and the `enabled`/`disabled` lifecycle callbacks.

use axum::{
    extract::OriginalUri,
    http::{HeaderMap, Uri, request::Parts},
};
use secrecy::{ExposeSecret, SecretString};

use super::{
    Connect,
    jwt::{self, Claims, QshRule, RawRequest},
};
use crate::{
    host::{AuthError, Caller},
    store::StoredTenant,
    tenant::AccountId,
};

/// The request target a token is checked against: the original one, as received.
pub(super) fn original_uri(parts: &Parts) -> &Uri {
    // A router may have stripped a prefix from `parts.uri`; the signature covers the original target.
    parts
        .extensions
        .get::<OriginalUri>()
        .map(|o| &o.0)
        .unwrap_or(&parts.uri)
}

/// Whether a token may be verified against the tenant cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    /// Requests: a tenant verified in the last few seconds will do (see [`super::tenants`]).
    Cached,
    /// Lifecycle callbacks, which act on the tenant's state: always read it from the store.
    Fresh,
}

impl Connect {
    /// Verify a tenant token for `raw` under `rule`: HS256 header, issuer is a known tenant (in any state), signature
    /// with its secret, not expired, qsh. Returns the tenant and the verified claims.
    pub(super) async fn verify_tenant_token(
        &self,
        headers: &HeaderMap,
        raw: RawRequest<'_>,
        rule: QshRule,
        lookup: Lookup,
    ) -> Result<(StoredTenant, Claims), AuthError> {
        let query = (!raw.query.is_empty()).then_some(raw.query);
        let token = jwt::token_from_request(headers, query).ok_or(AuthError::MissingToken)?;
        jwt::require_algorithm(&token, jsonwebtoken::Algorithm::HS256)?;
        let iss = jwt::unverified_issuer(&token)?;
        // Forge tenants never sign with a shared secret; a Connect token naming one is forged.
        if iss.starts_with(crate::host::forge::CLIENT_KEY_PREFIX) {
            return Err(AuthError::UnknownTenant(iss));
        }
        let cache = &self.inner.tenants;
        if lookup == Lookup::Cached
            && let Some(hit) = cache.get(&iss)
        {
            match self.check_token(&token, &hit.secret, raw, rule) {
                // A re-install (here or elsewhere) may have rotated the secret: check against the stored one.
                Err(AuthError::BadSignature) => {}
                verdict => return verdict.map(|claims| (hit.stored.clone(), claims)),
            }
        }
        let ticket = cache.ticket();
        let stored = self
            .inner
            .store
            .tenant_by_client_key(&iss)
            .await?
            .ok_or(AuthError::UnknownTenant(iss))?;
        let secret = self.open_secret(&stored)?;
        let entry = cache.insert(ticket, stored, secret);
        let claims = self.check_token(&token, &entry.secret, raw, rule)?;
        Ok((entry.stored.clone(), claims))
    }

    /// Signature, expiry and qsh of `token` against a tenant's opened secret.
    fn check_token(
        &self,
        token: &str,
        secret: &SecretString,
        raw: RawRequest<'_>,
        rule: QshRule,
    ) -> Result<Claims, AuthError> {
        let claims = jwt::verify_hs256(
            token,
            secret.expose_secret().as_bytes(),
            self.inner.leeway,
            true,
        )?;
        jwt::check_qsh(&claims, rule, raw, &self.inner.base_path)?;
        Ok(claims)
    }

    /// Drop `client_key` from the tenant cache: call after a lifecycle change to it has been stored.
    pub(super) fn forget_tenant(&self, client_key: &str) {
        self.inner.tenants.invalidate(client_key);
    }

    /// Authenticate a call from Jira or the panel: a verified tenant token (per `rule`) from an active tenant.
    pub(crate) async fn authenticate(
        &self,
        parts: &Parts,
        rule: QshRule,
    ) -> Result<Caller, AuthError> {
        let uri = original_uri(parts);
        let raw = RawRequest {
            method: parts.method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
        };
        let (stored, claims) = self
            .verify_tenant_token(&parts.headers, raw, rule, Lookup::Cached)
            .await?;
        if !stored.tenant.state.is_active() {
            return Err(AuthError::TenantInactive {
                client_key: stored.tenant.client_key,
                state: stored.tenant.state,
            });
        }
        let account_id = match claims.sub.as_deref() {
            None | Some("") => None,
            Some(sub) => Some(
                AccountId::parse(sub)
                    .ok_or_else(|| AuthError::Invalid("sub is not an account id".into()))?,
            ),
        };
        let context_issue = crate::host::context_issue::issue_in(claims.context.as_ref(), "jira")?;
        Ok(Caller {
            tenant: stored.tenant,
            account_id,
            context_issue,
        })
    }
}
