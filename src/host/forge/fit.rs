//! The Forge Invocation Token (FIT): the RS256 JWT Forge puts in `Authorization: Bearer` on every call to the remote.
//! Checked in order: `alg` RS256 with a `kid` (before any key is fetched), signature with the published key, `iss`,
//! `aud` = our app id, `exp`/`nbf` with a small leeway, then the claims we act on: the installation, the API base URL
//! (an allowed gateway host, `/ex/jira/{cloudId}`) and the environment. Anything else is refused.

use clearance_atlassian::alg::require_algorithm;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, errors::ErrorKind};
use serde::Deserialize;
use url::Url;

use crate::{config::ForgeConfig, host::AuthError, jira::IssueId, tenant::AccountId};

/// `iss` of every invocation token.
pub const ISSUER: &str = "forge/invocation-token";
/// What installation ids start with.
pub const INSTALLATION_PREFIX: &str = "ari:cloud:ecosystem::installation/";

/// The claims of a token, as Forge sends them (only what Clearance reads).
#[derive(Debug, Deserialize)]
struct Claims {
    app: App,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default)]
    context: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct App {
    id: String,
    installation_id: String,
    api_base_url: String,
    #[serde(default)]
    app_version: Option<String>,
    #[serde(default)]
    environment: Option<Environment>,
    #[serde(default)]
    module: Option<Module>,
}

#[derive(Debug, Deserialize)]
struct Environment {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Module {
    #[serde(rename = "type")]
    kind: String,
    key: String,
}

/// A verified invocation: who installed us where, and who (if anyone) is acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// `ari:cloud:ecosystem::installation/<uuid>`; changes when the app is installed again.
    pub installation_id: String,
    /// The site's cloud id (from the verified API base URL); stable across re-installs.
    pub cloud_id: String,
    /// Where Jira's REST API is for this installation (`https://api.atlassian.com/ex/jira/{cloudId}`).
    pub api_base_url: Url,
    /// The Forge environment the call comes from.
    pub environment_id: Option<String>,
    /// The app version deployed there.
    pub app_version: Option<String>,
    /// `jira:issuePanel`, `jira:adminPage`, … for UI calls; `core:endpoint` for events and schedules.
    pub module_type: Option<String>,
    /// The module's key from the manifest.
    pub module_key: Option<String>,
    /// The user of a UI call (`principal`); none for events and schedules.
    pub principal: Option<AccountId>,
    /// The invoking module's context (UI calls): issue, project, site URL.
    pub context: Option<serde_json::Value>,
    /// The issue an issue-view module was invoked on (`context.extension.issue.id`).
    pub issue: Option<IssueId>,
}

/// The token's `kid`, after checking its header says RS256.
pub fn key_id(token: &str) -> Result<String, AuthError> {
    let header = require_algorithm(token, Algorithm::RS256)?;
    header
        .kid
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AuthError::Invalid("invocation token has no kid".into()))
}

/// Verify `token` with the key its `kid` names; `leeway` is the clock skew tolerated on `exp` and `nbf`.
pub fn verify(
    token: &str,
    key: &DecodingKey,
    cfg: &ForgeConfig,
    leeway: std::time::Duration,
) -> Result<Invocation, AuthError> {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[&cfg.app_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.validate_nbf = true;
    v.leeway = leeway.as_secs();
    let data = decode::<Claims>(token, key, &v).map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::Json(_) => AuthError::Invalid(format!("invocation token claims: {e}")),
        _ => AuthError::Invalid(format!("invocation token: {e}")),
    })?;
    let c = data.claims;
    if c.app.id != cfg.app_id {
        return Err(AuthError::Invalid(format!(
            "app.id {:?} is not this app",
            c.app.id
        )));
    }
    let uuid = c
        .app
        .installation_id
        .strip_prefix(INSTALLATION_PREFIX)
        .filter(|u| uuid::Uuid::try_parse(u).is_ok())
        .ok_or_else(|| {
            AuthError::Invalid(format!(
                "app.installationId {:?} is not an installation id",
                c.app.installation_id
            ))
        })?;
    let (api_base_url, cloud_id) = jira_api(&c.app.api_base_url, cfg)?;
    let environment_id = c.app.environment.map(|e| e.id);
    if !cfg.environments.is_empty()
        && !environment_id
            .as_ref()
            .is_some_and(|e| cfg.environments.contains(e))
    {
        return Err(AuthError::Invalid(format!(
            "environment {environment_id:?} is not one this deployment serves (CLEARANCE_FORGE_ENVIRONMENTS)"
        )));
    }
    if let Some(ctx_cloud) = c
        .context
        .as_ref()
        .and_then(|ctx| ctx.get("cloudId"))
        .and_then(|v| v.as_str())
        && ctx_cloud != cloud_id
    {
        return Err(AuthError::Invalid(format!(
            "context.cloudId {ctx_cloud:?} is not the API base URL's {cloud_id:?}"
        )));
    }
    let principal = c
        .principal
        .filter(|p| !p.is_empty())
        .map(|p| {
            AccountId::parse(&p)
                .ok_or_else(|| AuthError::Invalid(format!("principal {p:?} is not an account id")))
        })
        .transpose()?;
    let issue = crate::host::context_issue::issue_in(c.context.as_ref(), "extension")?;
    let (module_type, module_key) = match c.app.module {
        Some(m) => (Some(m.kind), Some(m.key)),
        None => (None, None),
    };
    Ok(Invocation {
        installation_id: format!("{INSTALLATION_PREFIX}{uuid}"),
        cloud_id,
        api_base_url,
        environment_id,
        app_version: c.app.app_version,
        module_type,
        module_key,
        principal,
        context: c.context,
        issue,
    })
}

/// The API base URL, if it is Jira's on an allowed gateway host (`https://{host}/ex/jira/{cloudId}`; plain http
/// only on loopback, for the simulator), and its cloud id.
fn jira_api(raw: &str, cfg: &ForgeConfig) -> Result<(Url, String), AuthError> {
    let bad = |why: &str| AuthError::Invalid(format!("app.apiBaseUrl {raw:?}: {why}"));
    let url = Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad("no host"))?;
    if !cfg.api_hosts.matches(host) {
        return Err(bad("not an allowed API host (CLEARANCE_FORGE_API_HOSTS)"));
    }
    if url.scheme() != "https" && !(url.scheme() == "http" && crate::config::is_loopback(&url)) {
        return Err(bad("not https"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("has a query, fragment or user"));
    }
    let mut segments = url.path().trim_end_matches('/').split('/');
    let cloud_id = match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(""), Some("ex"), Some("jira"), Some(id), None)
            if uuid::Uuid::try_parse(id).is_ok() =>
        {
            id.to_owned()
        }
        _ => return Err(bad("not /ex/jira/{cloudId}")),
    };
    let mut url = url;
    url.set_path(&format!("/ex/jira/{cloud_id}"));
    Ok((url, cloud_id))
}

#[cfg(test)]
#[path = "fit_tests.rs"]
mod tests;
