//! Installing an app the way Jira does: fetch its descriptor, POST `installed` with an RS256 token from the install
//! key (kid header, aud = the app's baseUrl, qsh of the callback), then `enabled` with the new shared secret.
//! Uninstall, re-install (a new secret every time), enable and disable likewise.

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::{Value, json};

use super::{JiraSim, model::InstalledApp};
use clearance_atlassian::{jwt::Claims, qsh};

impl JiraSim {
    /// Install (or re-install) the app whose descriptor is at `descriptor_url`, then enable it.
    pub async fn install(&self, descriptor_url: &str) -> anyhow::Result<()> {
        let descriptor: Value = self
            .inner
            .http
            .get(descriptor_url)
            .send()
            .await
            .with_context(|| format!("fetching the descriptor {descriptor_url}"))?
            .error_for_status()?
            .json()
            .await
            .context("the descriptor is not JSON")?;
        let key = descriptor["key"]
            .as_str()
            .context("descriptor has no key")?
            .to_owned();
        let base_url = descriptor["baseUrl"]
            .as_str()
            .context("descriptor has no baseUrl")?
            .trim_end_matches('/')
            .to_owned();
        if descriptor["lifecycle"]["installed"].as_str().is_none() {
            bail!("descriptor declares no installed lifecycle URL");
        }
        let mut secret = [0u8; 48];
        rand::rng().fill_bytes(&mut secret);
        let shared_secret = URL_SAFE_NO_PAD.encode(secret);
        let account_id = match self.state().app.as_ref() {
            Some(app) if app.key == key => app.account_id.clone(),
            _ => format!("557058:app-{}", uuid::Uuid::new_v4().simple()),
        };
        let app = InstalledApp {
            key,
            base_url,
            shared_secret,
            descriptor,
            enabled: false,
            account_id,
        };
        let body = self.lifecycle_body(&app, "installed", true);
        let url = lifecycle_url(&app, "installed")?;
        let token = self.signed_lifecycle_token(&app, &url)?;
        self.post_lifecycle(&url, &token, &body).await?;
        // Jira keeps the new secret only once the app accepted it.
        self.state().app = Some(app);
        self.changed();
        self.set_enabled(true).await
    }

    /// Send `enabled` (true) or `disabled` (false), signed with the current shared secret.
    pub async fn set_enabled(&self, enabled: bool) -> anyhow::Result<()> {
        let event = if enabled { "enabled" } else { "disabled" };
        let app = self.state().app.clone().context("no app installed")?;
        let url = lifecycle_url(&app, event)?;
        let token = self
            .sign_app_request("POST", &url, None)
            .context("cannot sign the lifecycle call")?;
        self.post_lifecycle(&url, &token, &self.lifecycle_body(&app, event, false))
            .await?;
        if let Some(a) = self.state().app.as_mut() {
            a.enabled = enabled;
        }
        self.changed();
        Ok(())
    }

    /// Disable, then send `uninstalled` (RS256) and forget the app.
    pub async fn uninstall(&self) -> anyhow::Result<()> {
        self.set_enabled(false).await?;
        let app = self.state().app.clone().context("no app installed")?;
        let url = lifecycle_url(&app, "uninstalled")?;
        let token = self.signed_lifecycle_token(&app, &url)?;
        self.post_lifecycle(
            &url,
            &token,
            &self.lifecycle_body(&app, "uninstalled", false),
        )
        .await?;
        self.state().app = None;
        self.changed();
        Ok(())
    }

    fn lifecycle_body(&self, app: &InstalledApp, event: &str, with_secret: bool) -> Value {
        let s = self.state();
        let mut body = json!({
            "key": app.key,
            "clientKey": s.client_key,
            "baseUrl": self.base_url(),
            "displayUrl": self.base_url(),
            "displayUrlServicedeskHelpCenter": self.base_url(),
            "productType": "jira",
            "description": format!("Atlassian JIRA at {}", self.base_url()),
            "serverVersion": "100275",
            "pluginsVersion": "1001.0.0-SNAPSHOT",
            "eventType": event,
        });
        if with_secret {
            body["sharedSecret"] = json!(app.shared_secret);
        }
        body
    }

    /// The RS256 install/uninstall token: iss = clientKey, aud = the app's baseUrl, qsh of the callback.
    fn signed_lifecycle_token(&self, app: &InstalledApp, url: &str) -> anyhow::Result<String> {
        let parsed = url::Url::parse(url)?;
        let base_path = url::Url::parse(&app.base_url)?
            .path()
            .trim_end_matches('/')
            .to_owned();
        let now = jsonwebtoken::get_current_timestamp();
        #[derive(serde::Serialize)]
        struct WithAud {
            #[serde(flatten)]
            claims: Claims,
            aud: String,
        }
        let claims = WithAud {
            claims: Claims {
                iss: self.state().client_key.clone(),
                sub: None,
                qsh: Some(qsh::query_string_hash(
                    "POST",
                    parsed.path(),
                    parsed.query().unwrap_or(""),
                    &base_path,
                )),
                iat: Some(now),
                exp: now + 180,
                context: Some(json!({})),
            },
            aud: app.base_url.clone(),
        };
        self.inner.keys.sign(&claims)
    }

    async fn post_lifecycle(&self, url: &str, token: &str, body: &Value) -> anyhow::Result<()> {
        let resp = self
            .inner
            .http
            .post(url)
            .header("Authorization", format!("JWT {token}"))
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        if status.as_u16() != 200 && status.as_u16() != 204 {
            let text = resp.text().await.unwrap_or_default();
            bail!("the app answered {status} to {url}: {text}");
        }
        Ok(())
    }
}

fn lifecycle_url(app: &InstalledApp, event: &str) -> anyhow::Result<String> {
    let path = app.descriptor["lifecycle"][event]
        .as_str()
        .with_context(|| format!("descriptor declares no {event} URL"))?;
    Ok(format!("{}{path}", app.base_url))
}
