//! Forge tenants: the tenant of a verified invocation (keyed by the site's cloud id, created on first contact, the
//! installation id kept up to date), and the app system tokens Forge hands over with its calls — sealed, bound to the
//! tenant, the one that lives longest kept, never logged.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::{CLIENT_KEY_PREFIX, Forge, Invocation};
use crate::{
    crypto::forge_token_context,
    host::AuthError,
    jira,
    store::{ForgeContact, ForgeInstallation, InstallRecord, SealedSecret, StoredTenant},
    tenant::TenantState,
};

/// A token replaces the kept one only if it lives this much longer.
const KEEP_IF_FRESHER_BY: chrono::Duration = chrono::Duration::minutes(10);

/// How long a token whose expiry cannot be read is kept (Forge guarantees about two hours).
const ASSUMED_TOKEN_LIFE: chrono::Duration = chrono::Duration::hours(1);

impl Forge {
    /// The tenant of a verified invocation, created on first contact. A call from a known, unchanged installation
    /// writes nothing (UI calls arrive every few seconds while an extraction runs); it also hands back the
    /// installation row it read, so keeping the call's token needs no second read.
    pub(super) async fn tenant(
        &self,
        inv: &Invocation,
    ) -> Result<(StoredTenant, Option<ForgeInstallation>), AuthError> {
        let client_key = format!("{CLIENT_KEY_PREFIX}{}", inv.cloud_id);
        let site = inv
            .context
            .as_ref()
            .and_then(|c| c.get("siteUrl"))
            .and_then(|v| v.as_str())
            .and_then(site_url);
        let store = &self.inner.store;
        if let Some(known) = store.tenant_by_client_key(&client_key).await?
            && let Some(inst) = store.forge_installation(&known.tenant.id).await?
            && inst.installation_id == inv.installation_id
            && inst.api_base_url == inv.api_base_url.as_str()
            && inst.environment_id == inv.environment_id
        {
            return Ok((self.keep_site_url(known, site).await?, Some(inst)));
        }
        // First contact, a re-install, or a moved API base: the transactional path.
        let site = match site {
            Some(s) => Some(s),
            None => self.server_base_url(&inv.api_base_url).await,
        };
        // A Forge tenant is never verified with a shared secret (Connect refuses `forge:` issuers); the column holds
        // a random sealed value so no empty or guessable secret ever exists.
        let unused = SecretString::from(uuid::Uuid::new_v4().simple().to_string());
        let rec = InstallRecord {
            shared_secret: SealedSecret(crate::crypto::seal_secret(
                &self.inner.keys,
                &crate::crypto::tenant_secret_context(&client_key),
                &unused,
            )),
            client_key,
            base_url: inv.api_base_url.clone(),
            display_url: site.clone().unwrap_or_else(|| inv.api_base_url.clone()),
            product_type: "jira".into(),
            description: Some("Forge Remote installation".into()),
        };
        let contact = ForgeContact {
            cloud_id: inv.cloud_id.clone(),
            installation_id: inv.installation_id.clone(),
            environment_id: inv.environment_id.clone(),
            api_base_url: inv.api_base_url.to_string(),
        };
        let (stored, previous) = store.forge_tenant(&rec, &contact).await?;
        let reinstalled = previous.is_some_and(|p| p != inv.installation_id);
        if reinstalled && stored.tenant.state == TenantState::Uninstalled {
            // Installed again after a pre-uninstall: the site is back, with its data.
            tracing::info!(client_key = %stored.tenant.client_key, "Forge app installed again; tenant active");
            if let Some(again) = store
                .set_tenant_state(&stored.tenant.client_key, TenantState::Installed)
                .await?
            {
                return Ok((self.keep_site_url(again, site).await?, None));
            }
        }
        Ok((self.keep_site_url(stored, site).await?, None))
    }

    /// Record the site's own URL (for links people follow) when a call names one the tenant does not have yet.
    async fn keep_site_url(
        &self,
        stored: StoredTenant,
        site: Option<Url>,
    ) -> Result<StoredTenant, AuthError> {
        match site {
            Some(url) if url != stored.tenant.display_url => Ok(self
                .inner
                .store
                .set_tenant_display_url(&stored.tenant.id, &url)
                .await?
                .unwrap_or(stored)),
            _ => Ok(stored),
        }
    }

    /// The site's URL from Jira's `serverInfo` at the API base (it needs no token), when no call has named it yet.
    async fn server_base_url(&self, api_base: &Url) -> Option<Url> {
        let base_url = jira::server_base_url(&self.inner.http, api_base)
            .await
            .ok()??;
        site_url(&base_url)
    }

    /// Pre-uninstall: like a Connect uninstall, the tenant is marked uninstalled (its data kept) and its token
    /// forgotten, so nothing calls Jira for it again until it is installed anew.
    pub async fn uninstall(&self, tenant: &crate::tenant::Tenant) -> Result<(), AuthError> {
        self.inner.store.drop_forge_token(&tenant.id).await?;
        self.inner
            .store
            .set_tenant_state(&tenant.client_key, TenantState::Uninstalled)
            .await?;
        tracing::info!(client_key = %tenant.client_key, "Forge app uninstalling; tenant uninstalled, data kept");
        Ok(())
    }

    /// Keep `token` for the tenant if it outlives the stored one; `known` is the installation row if the caller
    /// has just read it.
    pub(super) async fn keep_token(
        &self,
        tenant_id: &str,
        token: SecretString,
        known: Option<ForgeInstallation>,
    ) -> Result<(), AuthError> {
        let expires =
            token_expiry(token.expose_secret()).unwrap_or_else(|| Utc::now() + ASSUMED_TOKEN_LIFE);
        if expires <= Utc::now() {
            return Ok(());
        }
        // Forge resends the same token for hours: store again only when it is meaningfully fresher.
        let inst = match known {
            Some(i) => Some(i),
            None => self.inner.store.forge_installation(tenant_id).await?,
        };
        if let Some(inst) = inst
            && inst.system_token.is_some()
            && inst
                .token_expires_at
                .is_some_and(|t| t + KEEP_IF_FRESHER_BY > expires)
        {
            return Ok(());
        }
        let sealed =
            crate::crypto::seal_secret(&self.inner.keys, &forge_token_context(tenant_id), &token);
        self.inner
            .store
            .keep_forge_token(tenant_id, &SealedSecret(sealed), expires)
            .await?;
        Ok(())
    }

    /// The installation's API base URL and its newest system token, if one is still live.
    pub(super) async fn live_token(
        &self,
        tenant_id: &str,
    ) -> Result<(Url, SecretString), AuthError> {
        let inst = self
            .inner
            .store
            .forge_installation(tenant_id)
            .await?
            .ok_or_else(|| {
                AuthError::UnknownTenant(format!("tenant {tenant_id} has no Forge installation"))
            })?;
        let base = Url::parse(&inst.api_base_url)
            .map_err(|e| AuthError::Secret(format!("stored Forge API base URL: {e}")))?;
        let (Some(sealed), Some(expires)) = (inst.system_token, inst.token_expires_at) else {
            return Err(AuthError::NoForgeToken(
                "no Forge system token yet: Forge sends one with its next call (the hourly schedule keeps one fresh)"
                    .into(),
            ));
        };
        if expires <= Utc::now() {
            return Err(AuthError::NoForgeToken(format!(
                "the Forge system token expired at {expires}; Forge sends a new one with its next call (the hourly \
                 schedule keeps one fresh)"
            )));
        }
        let token = self
            .inner
            .keys
            .open(&forge_token_context(tenant_id), &sealed.0.0)
            .map_err(|e| AuthError::Secret(e.to_string()))?;
        Ok((base, token))
    }
}

/// A site URL we may show in links: https (http only on loopback, for the simulator), without credentials.
fn site_url(raw: &str) -> Option<Url> {
    Url::parse(raw)
        .ok()
        .filter(|u| {
            u.scheme() == "https" || (u.scheme() == "http" && crate::config::is_loopback(u))
        })
        .filter(|u| u.username().is_empty() && u.password().is_none())
}

/// `exp` of a JWT-shaped token, read without verifying (Forge's tokens are opaque to us; the expiry only decides
/// which to keep).
fn token_expiry(token: &str) -> Option<DateTime<Utc>> {
    #[derive(Deserialize)]
    struct Exp {
        exp: i64,
    }
    let claims: Exp = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    DateTime::from_timestamp(claims.exp, 0)
}
