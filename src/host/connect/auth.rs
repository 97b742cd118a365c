//! axum extractors for Jira's inbound tokens: [`QshAuth`] for descriptor routes, [`ContextAuth`] for the panel API.

use axum::{
    extract::{FromRef, FromRequestParts, OriginalUri},
    http::request::Parts,
};

use super::{
    Connect,
    jwt::{self, QshRule, RawRequest},
};
use crate::{
    error::AppError,
    host::{AuthError, Caller},
    tenant::AccountId,
};

/// A request from Jira to a descriptor route (iframe page, webhook): HS256 token with the qsh of this very request.
#[derive(Clone, Debug)]
pub struct QshAuth(pub Caller);

/// A call from Clearance's own iframe script: a context token from `AP.context.getToken()` (qsh = `context-qsh`).
#[derive(Clone, Debug)]
pub struct ContextAuth(pub Caller);

impl<S> FromRequestParts<S> for QshAuth
where
    Connect: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            Connect::from_ref(state)
                .authenticate(parts, QshRule::Request)
                .await?,
        ))
    }
}

impl<S> FromRequestParts<S> for ContextAuth
where
    Connect: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            Connect::from_ref(state)
                .authenticate(parts, QshRule::Context)
                .await?,
        ))
    }
}

impl Connect {
    /// Verify the tenant token on a request: issuer is a known, active tenant; HS256 with its secret; not expired;
    /// qsh per `rule`, computed from the raw request target.
    async fn authenticate(&self, parts: &Parts, rule: QshRule) -> Result<Caller, AuthError> {
        // The router may have stripped a prefix from `parts.uri`; the signature covers the original target.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| &o.0)
            .unwrap_or(&parts.uri);
        let token =
            jwt::token_from_request(&parts.headers, uri.query()).ok_or(AuthError::MissingToken)?;
        jwt::require_algorithm(&token, jsonwebtoken::Algorithm::HS256)?;
        let iss = jwt::unverified_issuer(&token)?;
        let stored = self
            .inner
            .store
            .tenant_by_client_key(&iss)
            .await?
            .ok_or(AuthError::UnknownTenant(iss))?;
        if !stored.tenant.state.is_active() {
            return Err(AuthError::TenantInactive {
                client_key: stored.tenant.client_key.clone(),
                state: stored.tenant.state,
            });
        }
        let secret = self.open_secret(&stored)?;
        let claims = jwt::verify_hs256(
            &token,
            secrecy::ExposeSecret::expose_secret(&secret).as_bytes(),
            self.inner.leeway,
            true,
        )?;
        let raw = RawRequest {
            method: parts.method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
        };
        jwt::check_qsh(&claims, rule, raw, &self.inner.base_path)?;
        let account_id = match claims.sub.as_deref() {
            None | Some("") => None,
            Some(sub) => Some(
                AccountId::parse(sub)
                    .ok_or_else(|| AuthError::Invalid("sub is not an account id".into()))?,
            ),
        };
        Ok(Caller {
            tenant: stored.tenant,
            account_id,
        })
    }
}
