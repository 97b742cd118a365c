//! Lifecycle callbacks: `installed` / `uninstalled` (RS256, signed by Atlassian's install keys) and
//! `enabled` / `disabled` (HS256 with the tenant's shared secret). 204 on success, 401 (reason logged) on failure.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRef, Path, State},
    http::{StatusCode, request::Parts},
    routing::post,
};
use jsonwebtoken::{Algorithm, Validation, decode};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{
    Connect,
    auth::{Lookup, original_uri},
    jwt::{self, Claims, QshRule, RawRequest},
};
use crate::{
    config::is_loopback,
    crypto::{seal_secret, tenant_secret_context},
    error::AppError,
    host::AuthError,
    store::{InstallRecord, SealedSecret},
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

/// The lifecycle payload fields Clearance uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    key: String,
    client_key: String,
    #[serde(default)]
    shared_secret: Option<String>,
    base_url: String,
    #[serde(default)]
    display_url: Option<String>,
    #[serde(default)]
    product_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
    event_type: String,
}

/// `POST /lifecycle/{event}`: parse the body, verify the token the way this event is signed, apply it.
async fn lifecycle(
    State(connect): State<Connect>,
    Path(event): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let event = match event.as_str() {
        "installed" | "uninstalled" | "enabled" | "disabled" => event,
        other => return Err(AppError::NotFound(format!("no lifecycle event {other:?}"))),
    };
    let p = connect.parse_payload(&body, &event)?;
    let uri = original_uri(&parts);
    let raw = RawRequest {
        method: parts.method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
    };
    match event.as_str() {
        "installed" => connect.installed(&parts, raw, p).await,
        "uninstalled" => connect.uninstalled(&parts, raw, p).await,
        "enabled" => connect.toggle(&parts, raw, p, TenantState::Enabled).await,
        _ => connect.toggle(&parts, raw, p, TenantState::Disabled).await,
    }
}

impl Connect {
    fn parse_payload(&self, body: &[u8], event: &str) -> Result<Payload, AppError> {
        let p: Payload = serde_json::from_slice(body).map_err(|e| {
            AppError::BadRequest(format!(
                "lifecycle body is not a valid {event} payload: {e}"
            ))
        })?;
        if p.event_type != event {
            return Err(AppError::BadRequest(format!(
                "eventType {:?} sent to the {event} callback",
                p.event_type
            )));
        }
        if p.key != self.inner.app_key {
            return Err(AppError::BadRequest(format!(
                "payload is for app key {:?}, this is {:?}",
                p.key, self.inner.app_key
            )));
        }
        if p.client_key.is_empty() || p.client_key.len() > 256 {
            return Err(AppError::BadRequest(
                "clientKey must be 1-256 characters".into(),
            ));
        }
        if p.client_key
            .starts_with(crate::host::forge::CLIENT_KEY_PREFIX)
        {
            return Err(AppError::BadRequest(format!(
                "clientKey may not start with {:?} (reserved for Forge installations)",
                crate::host::forge::CLIENT_KEY_PREFIX
            )));
        }
        Ok(p)
    }

    /// Verify an Atlassian-signed lifecycle token: RS256 with the install key named by `kid`, `exp`, `aud` = our
    /// base URL (trailing slash tolerated), `qsh` of this request, and `iss` = the body's clientKey.
    async fn verify_signed_lifecycle(
        &self,
        parts: &Parts,
        raw: RawRequest<'_>,
        client_key: &str,
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
        if claims.iss != client_key {
            return Err(AuthError::IssuerMismatch {
                iss: claims.iss,
                client_key: client_key.to_owned(),
            });
        }
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

    async fn installed(
        &self,
        parts: &Parts,
        raw: RawRequest<'_>,
        p: Payload,
    ) -> Result<StatusCode, AppError> {
        self.verify_signed_lifecycle(parts, raw, &p.client_key)
            .await?;
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

    async fn uninstalled(
        &self,
        parts: &Parts,
        raw: RawRequest<'_>,
        p: Payload,
    ) -> Result<StatusCode, AppError> {
        self.verify_signed_lifecycle(parts, raw, &p.client_key)
            .await?;
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

    /// `enabled` / `disabled`: a token signed with the stored secret of the body's clientKey.
    async fn toggle(
        &self,
        parts: &Parts,
        raw: RawRequest<'_>,
        p: Payload,
        to: TenantState,
    ) -> Result<StatusCode, AppError> {
        let (stored, claims) = self
            .verify_tenant_token(&parts.headers, raw, QshRule::Request, Lookup::Fresh)
            .await?;
        if claims.iss != p.client_key {
            return Err(AuthError::IssuerMismatch {
                iss: claims.iss,
                client_key: p.client_key,
            }
            .into());
        }
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
