//! Lifecycle callbacks: `installed` / `uninstalled` (RS256, signed by Atlassian's install keys) and
//! `enabled` / `disabled` (HS256 with the tenant's shared secret). The token is verified before the body is read;
//! 204 on success, 401 (reason logged) on a token failure, 400 on a signed but malformed body.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRef, FromRequest, Path, Request, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::post,
};
use jsonwebtoken::{Algorithm, Validation, decode};
use secrecy::SecretString;
use url::Url;

use super::{
    Connect,
    auth::{Lookup, original_uri},
    jwt::{self, Claims, QshRule, RawRequest},
    lifecycle_payload::Payload,
};
use crate::{
    config::is_loopback,
    crypto::{seal_secret, tenant_secret_context},
    error::AppError,
    host::AuthError,
    store::{InstallRecord, SealedSecret, StoredTenant},
    tenant::TenantState,
};

/// Lifecycle bodies are small JSON documents.
const MAX_BODY: usize = 64 * 1024;

pub(super) fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Connect: FromRef<S>,
{
    Router::new()
        .route("/lifecycle/{event}", post(lifecycle))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// A lifecycle callback Clearance serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// `installed`: RS256 from Atlassian's install keys; carries the shared secret.
    Installed,
    /// `uninstalled`: RS256 from Atlassian's install keys.
    Uninstalled,
    /// `enabled`: HS256 with the tenant's shared secret.
    Enabled,
    /// `disabled`: HS256 with the tenant's shared secret.
    Disabled,
}

impl Event {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "installed" => Self::Installed,
            "uninstalled" => Self::Uninstalled,
            "enabled" => Self::Enabled,
            "disabled" => Self::Disabled,
            _ => return None,
        })
    }

    /// The name in the URL and in the body's `eventType`.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Uninstalled => "uninstalled",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// A lifecycle call whose token is verified (its body not read yet), and what it asks for.
enum Verified {
    /// `installed`, signed with an Atlassian install key.
    Install(Claims),
    /// `uninstalled`, signed with an Atlassian install key.
    Uninstall(Claims),
    /// `enabled` / `disabled`, signed with the stored secret of `stored`.
    Toggle {
        stored: Box<StoredTenant>,
        claims: Claims,
        to: TenantState,
    },
}

impl Verified {
    /// The token's issuer: the clientKey the body must name.
    fn issuer(&self) -> &str {
        match self {
            Self::Install(claims) | Self::Uninstall(claims) | Self::Toggle { claims, .. } => {
                &claims.iss
            }
        }
    }
}

/// `POST /lifecycle/{event}`: verify the token the way this event is signed — from the request line and headers
/// only, the tenant named by the token's `iss` (connect-protocol.md §2.2, §3) — and only then read the body (at most
/// [`MAX_BODY`]), check it, require its clientKey to be the token's issuer, and apply it. A caller that cannot sign
/// gets 401 whatever it sent; a signed but malformed body is a 400 (413 when too large).
async fn lifecycle(
    State(connect): State<Connect>,
    Path(event): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let Some(event) = Event::parse(&event) else {
        return Err(AppError::NotFound(format!("no lifecycle event {event:?}")));
    };
    let (parts, body) = request.into_parts();
    let verified = connect.verify_lifecycle(&parts, event).await?;
    let body = match Bytes::from_request(Request::from_parts(parts, body), &()).await {
        Ok(body) => body,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let p = connect.parse_payload(&body, event)?;
    if verified.issuer() != p.client_key {
        return Err(AuthError::IssuerMismatch {
            iss: verified.issuer().to_owned(),
            client_key: p.client_key,
        }
        .into());
    }
    let done = match verified {
        Verified::Install(_) => connect.installed(p).await?,
        Verified::Uninstall(_) => connect.uninstalled(p).await?,
        Verified::Toggle { stored, to, .. } => connect.toggle(&stored, p, to).await?,
    };
    Ok(done.into_response())
}

impl Connect {
    /// Verify a lifecycle call's token from its request line and headers: RS256 install-key tokens for
    /// `installed`/`uninstalled`, the tenant's HS256 tokens for `enabled`/`disabled`.
    async fn verify_lifecycle(&self, parts: &Parts, event: Event) -> Result<Verified, AuthError> {
        let uri = original_uri(parts);
        let raw = RawRequest {
            method: parts.method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
        };
        let to = match event {
            Event::Installed => {
                return self
                    .verify_signed_lifecycle(parts, raw)
                    .await
                    .map(Verified::Install);
            }
            Event::Uninstalled => {
                return self
                    .verify_signed_lifecycle(parts, raw)
                    .await
                    .map(Verified::Uninstall);
            }
            Event::Enabled => TenantState::Enabled,
            Event::Disabled => TenantState::Disabled,
        };
        let (stored, claims) = self
            .verify_tenant_token(&parts.headers, raw, QshRule::Request, Lookup::Fresh)
            .await?;
        Ok(Verified::Toggle {
            stored: Box::new(stored),
            claims,
            to,
        })
    }

    /// Verify an Atlassian-signed lifecycle token: RS256 with the install key named by `kid`, `exp`, `aud` = our
    /// base URL (trailing slash tolerated), `qsh` of this request. Its `iss` is checked against the body's clientKey
    /// once the body is read.
    async fn verify_signed_lifecycle(
        &self,
        parts: &Parts,
        raw: RawRequest<'_>,
    ) -> Result<Claims, AuthError> {
        let token = jwt::token_from_request(&parts.headers, None).ok_or(AuthError::MissingToken)?;
        let header = jwt::require_algorithm(&token, Algorithm::RS256)?;
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or_else(|| AuthError::Invalid("no kid in header".into()))?;
        let key = self.inner.install_keys.key(&kid).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.leeway = self.inner.leeway.as_secs();
        let base = &self.inner.base_url;
        v.set_audience(&[base.clone(), format!("{base}/")]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = decode::<Claims>(&token, &key, &v)
            .map_err(jwt::describe)?
            .claims;
        jwt::check_qsh(&claims, QshRule::Request, raw, &self.inner.base_path)?;
        Ok(claims)
    }

    /// A site URL from an install payload: https (http only on loopback) on an allowed Jira host.
    fn site_url(&self, raw: &str, field: &str) -> Result<Url, AppError> {
        let url = Url::parse(raw)
            .map_err(|e| AppError::BadRequest(format!("{field} {raw:?} is not a URL: {e}")))?;
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
        let host_ok = url
            .host_str()
            .is_some_and(|h| self.inner.hosts.matches(h.trim_matches(['[', ']'])));
        if !scheme_ok || !host_ok || !url.username().is_empty() || url.password().is_some() {
            return Err(AuthError::HostNotAllowed(raw.to_owned()).into());
        }
        Ok(url)
    }

    /// A verified `installed`: store the tenant with its sealed secret (a re-install rotates it).
    async fn installed(&self, p: Payload) -> Result<StatusCode, AppError> {
        let base_url = self.site_url(&p.base_url, "baseUrl")?;
        let secret = validate_secret(p.shared_secret)?;
        let record = InstallRecord {
            shared_secret: SealedSecret(seal_secret(
                &self.inner.keys,
                &tenant_secret_context(&p.client_key),
                &secret,
            )),
            display_url: display_url(p.display_url.as_deref(), &base_url),
            base_url,
            product_type: p.product_type.unwrap_or_else(|| "jira".into()),
            description: p.description,
            client_key: p.client_key,
        };
        let stored = self.inner.store.upsert_installed_tenant(&record).await;
        self.forget_tenant(&record.client_key);
        let stored = stored?;
        tracing::info!(client_key = %stored.tenant.client_key, base_url = %stored.tenant.base_url, "tenant installed");
        Ok(StatusCode::NO_CONTENT)
    }

    /// A verified `uninstalled`: the tenant is marked uninstalled, its data kept.
    async fn uninstalled(&self, p: Payload) -> Result<StatusCode, AppError> {
        let stored = self
            .inner
            .store
            .set_tenant_state(&p.client_key, TenantState::Uninstalled)
            .await;
        self.forget_tenant(&p.client_key);
        match stored? {
            Some(_) => tracing::info!(client_key = %p.client_key, "tenant uninstalled; data kept"),
            None => {
                tracing::warn!(client_key = %p.client_key, "uninstall for a tenant we never stored")
            }
        }
        Ok(StatusCode::NO_CONTENT)
    }

    /// A verified `enabled` / `disabled` (a token signed with the stored secret of the body's clientKey).
    async fn toggle(
        &self,
        stored: &StoredTenant,
        p: Payload,
        to: TenantState,
    ) -> Result<StatusCode, AppError> {
        let current = stored.tenant.state;
        if current == TenantState::Uninstalled {
            // `disabled` races `uninstalled` (Jira sends both within milliseconds): never resurrect an uninstalled
            // tenant, and never let its old secret enable it again.
            if to == TenantState::Disabled {
                tracing::info!(client_key = %p.client_key, "disabled after uninstall; state stays uninstalled");
                return Ok(StatusCode::NO_CONTENT);
            }
            return Err(AuthError::TenantInactive {
                client_key: p.client_key,
                state: current,
            }
            .into());
        }
        let changed = self.inner.store.set_tenant_state(&p.client_key, to).await;
        self.forget_tenant(&p.client_key);
        changed?;
        tracing::info!(client_key = %p.client_key, state = %to, "tenant state changed");
        Ok(StatusCode::NO_CONTENT)
    }
}

fn validate_secret(secret: Option<String>) -> Result<SecretString, AppError> {
    match secret {
        Some(s) if (1..=1024).contains(&s.len()) => Ok(SecretString::from(s)),
        _ => Err(AppError::BadRequest(
            "installed payload needs a sharedSecret of 1-1024 characters".into(),
        )),
    }
}

/// Display URLs are only used for links; any https URL (or loopback http) will do, else the base URL.
fn display_url(raw: Option<&str>, base: &Url) -> Url {
    raw.and_then(|s| Url::parse(s).ok())
        .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u)))
        .unwrap_or_else(|| base.clone())
}
