//! Lifecycle callbacks: `installed` / `uninstalled` (RS256, signed by Atlassian's install keys) and
//! `enabled` / `disabled` (HS256 with the tenant's shared secret). 204 on success, 401 (reason logged) on failure.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRef, OriginalUri, State},
    http::{HeaderMap, Method, StatusCode},
    routing::post,
};
use jsonwebtoken::{Algorithm, Validation, decode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::{
    Connect,
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
        .route("/lifecycle/installed", post(installed))
        .route("/lifecycle/uninstalled", post(uninstalled))
        .route("/lifecycle/enabled", post(enabled))
        .route("/lifecycle/disabled", post(disabled))
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

/// The parts of the HTTP request a lifecycle token is checked against.
struct Incoming<'a> {
    method: &'a Method,
    uri: &'a axum::http::Uri,
    headers: &'a HeaderMap,
}

impl Incoming<'_> {
    fn raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: self.method.as_str(),
            path: self.uri.path(),
            query: self.uri.query().unwrap_or(""),
        }
    }

    fn token(&self) -> Result<String, AuthError> {
        jwt::token_from_request(self.headers, self.uri.query()).ok_or(AuthError::MissingToken)
    }
}

fn parse_payload(connect: &Connect, body: &[u8], event: &str) -> Result<Payload, AppError> {
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
    if p.key != connect.inner.app_key {
        return Err(AppError::BadRequest(format!(
            "payload is for app key {:?}, this is {:?}",
            p.key, connect.inner.app_key
        )));
    }
    if p.client_key.is_empty() || p.client_key.len() > 256 {
        return Err(AppError::BadRequest(
            "clientKey must be 1-256 characters".into(),
        ));
    }
    Ok(p)
}

impl Connect {
    /// Verify an Atlassian-signed lifecycle token: RS256 with the install key named by `kid`, `exp`, `aud` = our
    /// base URL (trailing slash tolerated), `qsh` of this request, and `iss` = the body's clientKey.
    async fn verify_signed_lifecycle(
        &self,
        req: &Incoming<'_>,
        client_key: &str,
    ) -> Result<Claims, AuthError> {
        let token = req.token()?;
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
        jwt::check_qsh(&claims, QshRule::Request, req.raw(), &self.inner.base_path)?;
        if claims.iss != client_key {
            return Err(AuthError::IssuerMismatch {
                iss: claims.iss,
                client_key: client_key.to_owned(),
            });
        }
        Ok(claims)
    }

    /// Verify a tenant-signed lifecycle token (enabled/disabled) against the stored secret of the body's clientKey.
    async fn verify_tenant_lifecycle(
        &self,
        req: &Incoming<'_>,
        client_key: &str,
    ) -> Result<TenantState, AuthError> {
        let token = req.token()?;
        jwt::require_algorithm(&token, Algorithm::HS256)?;
        let iss = jwt::unverified_issuer(&token)?;
        if iss != client_key {
            return Err(AuthError::IssuerMismatch {
                iss,
                client_key: client_key.to_owned(),
            });
        }
        let stored = self
            .inner
            .store
            .tenant_by_client_key(&iss)
            .await?
            .ok_or(AuthError::UnknownTenant(iss))?;
        let secret = self.open_secret(&stored)?;
        let claims = jwt::verify_hs256(
            &token,
            secret.expose_secret().as_bytes(),
            self.inner.leeway,
            true,
        )?;
        jwt::check_qsh(&claims, QshRule::Request, req.raw(), &self.inner.base_path)?;
        Ok(stored.tenant.state)
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

async fn installed(
    State(connect): State<Connect>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let req = Incoming {
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    let p = parse_payload(&connect, &body, "installed")?;
    connect.verify_signed_lifecycle(&req, &p.client_key).await?;
    let base_url = connect.site_url(&p.base_url, "baseUrl")?;
    let secret = validate_secret(p.shared_secret)?;
    let record = InstallRecord {
        shared_secret: SealedSecret(seal_secret(
            &connect.inner.keys,
            &tenant_secret_context(&p.client_key),
            &secret,
        )),
        display_url: display_url(p.display_url.as_deref(), &base_url),
        base_url,
        product_type: p.product_type.unwrap_or_else(|| "jira".into()),
        description: p.description,
        client_key: p.client_key,
    };
    let stored = connect.inner.store.upsert_installed_tenant(&record).await?;
    tracing::info!(client_key = %stored.tenant.client_key, base_url = %stored.tenant.base_url, "tenant installed");
    Ok(StatusCode::NO_CONTENT)
}

async fn uninstalled(
    State(connect): State<Connect>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let req = Incoming {
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    let p = parse_payload(&connect, &body, "uninstalled")?;
    connect.verify_signed_lifecycle(&req, &p.client_key).await?;
    match connect
        .inner
        .store
        .set_tenant_state(&p.client_key, TenantState::Uninstalled)
        .await?
    {
        Some(_) => tracing::info!(client_key = %p.client_key, "tenant uninstalled; data kept"),
        None => {
            tracing::warn!(client_key = %p.client_key, "uninstall for a tenant we never stored")
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn enabled(
    State(connect): State<Connect>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    toggle(
        connect,
        Incoming {
            method: &method,
            uri: &uri,
            headers: &headers,
        },
        &body,
        TenantState::Enabled,
    )
    .await
}

async fn disabled(
    State(connect): State<Connect>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    toggle(
        connect,
        Incoming {
            method: &method,
            uri: &uri,
            headers: &headers,
        },
        &body,
        TenantState::Disabled,
    )
    .await
}

async fn toggle(
    connect: Connect,
    req: Incoming<'_>,
    body: &[u8],
    to: TenantState,
) -> Result<StatusCode, AppError> {
    let p = parse_payload(&connect, body, to.as_str())?;
    let current = connect.verify_tenant_lifecycle(&req, &p.client_key).await?;
    if current == TenantState::Uninstalled {
        // `disabled` races `uninstalled` (Jira sends both within milliseconds): never resurrect an uninstalled tenant.
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
    connect
        .inner
        .store
        .set_tenant_state(&p.client_key, to)
        .await?;
    tracing::info!(client_key = %p.client_key, state = %to, "tenant state changed");
    Ok(StatusCode::NO_CONTENT)
}
