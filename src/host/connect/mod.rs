//! Atlassian Connect front door: descriptor, lifecycle (signed install), inbound JWT with qsh, outbound JWT.

mod auth;
pub mod descriptor;
mod install_keys;
mod lifecycle;
mod lifecycle_payload;
mod outbound;
mod tenants;

use std::{sync::Arc, time::Duration};

use axum::{Router, extract::FromRef, routing::get};
use secrecy::SecretString;

use install_keys::InstallKeys;
use outbound::ConnectJwtAuth;
use tenants::TenantCache;

use super::AuthError;
use crate::{
    config::{Config, HostPatterns},
    crypto::MasterKeys,
    jira::JiraSite,
    store::{Store, StoredTenant},
};
pub use clearance_atlassian::{jwt, qsh};

/// The Connect adapter: everything needed to verify Jira's calls and to sign ours.
#[derive(Clone)]
pub struct Connect {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    keys: MasterKeys,
    app_key: String,
    /// Descriptor `baseUrl`, no trailing slash.
    base_url: String,
    /// Path part of `base_url` ("" or "/prefix"), stripped before computing qsh.
    base_path: String,
    leeway: Duration,
    hosts: HostPatterns,
    install_keys: InstallKeys,
    /// Verified tenants with their opened secrets, for a few seconds.
    tenants: TenantCache,
}

impl Connect {
    /// Build the adapter from validated configuration.
    pub fn new(cfg: &Config, store: Store, keys: MasterKeys, http: reqwest::Client) -> Self {
        let base_url = cfg.base_url_str().to_owned();
        let base_path = cfg.base_url.path().trim_end_matches('/').to_owned();
        Self {
            inner: Arc::new(Inner {
                store,
                keys,
                app_key: cfg.app_key.clone(),
                base_url,
                base_path,
                leeway: cfg.jwt_leeway,
                hosts: cfg.jira_hosts.clone(),
                install_keys: InstallKeys::new(
                    http,
                    cfg.install_keys_url.clone(),
                    cfg.http_timeout,
                ),
                tenants: TenantCache::new(cfg.tenant_cache_ttl),
            }),
        }
    }

    /// Routes Jira calls directly: the descriptor and the lifecycle callbacks.
    pub fn router<S>() -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        Connect: FromRef<S>,
    {
        Router::new()
            .route("/atlassian-connect.json", get(descriptor::serve))
            .merge(lifecycle::router())
    }

    fn open_secret(&self, stored: &StoredTenant) -> Result<SecretString, AuthError> {
        self.inner
            .keys
            .open(
                &crate::crypto::tenant_secret_context(&stored.tenant.client_key),
                &stored.shared_secret.0,
            )
            .map_err(|e| AuthError::Secret(e.to_string()))
    }

    /// How to call this tenant's Jira: its REST base URL and a signer for app-authenticated JWTs.
    pub fn jira_site(&self, stored: &StoredTenant) -> Result<JiraSite, AuthError> {
        let secret = self.open_secret(stored)?;
        let auth = ConnectJwtAuth::new(self.inner.app_key.clone(), secret, &stored.tenant.base_url);
        Ok(JiraSite {
            base_url: stored.tenant.base_url.clone(),
            auth: Arc::new(auth),
        })
    }

    /// The store this adapter reads tenants from.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}
