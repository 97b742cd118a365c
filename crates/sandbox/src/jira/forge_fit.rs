//! Forge Invocation Tokens (FIT): the RS256 JWT Forge puts in `authorization: Bearer` on every call to the remote.
//! Claims as Forge documents them: `iss = forge/invocation-token`, `aud` = the app id, `iat = nbf`,
//! `exp = iat + 25 s`, a random `jti`, `app{…}` with the installation and its contexts, and for UI calls the
//! invoking module's `context` and the `principal`.

use rand::RngCore;
use serde_json::{Value, json};

use super::{JiraSim, forge_events::project_id, model::Issue};

/// `iss` of every FIT.
pub const FIT_ISSUER: &str = "forge/invocation-token";
/// FIT lifetime in seconds (`exp - iat` in Forge's example).
pub const FIT_LIFETIME_SECS: u64 = 25;
/// Module type of events, lifecycle events, scheduled triggers and pre-uninstall calls.
pub const ENDPOINT_MODULE: &str = "core:endpoint";
/// Module type of the issue panel.
pub const ISSUE_PANEL: &str = "jira:issuePanel";
/// Module type of the admin page.
pub const ADMIN_PAGE: &str = "jira:adminPage";
/// Clearance's issue panel module key.
pub const PANEL_KEY: &str = "clearance-panel";
/// Clearance's admin page module key.
pub const ADMIN_KEY: &str = "clearance-admin";

/// What a FIT is minted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitSpec {
    /// `app.module.type`: a UI module type (`jira:issuePanel`, `jira:adminPage`) or `core:endpoint`.
    pub module_type: String,
    /// `app.module.key`: the UI module's key, or the endpoint's key.
    pub module_key: String,
    /// The user of a UI call (`principal`).
    pub principal: Option<String>,
    /// Key of the issue a UI module is showing (`context.extension.issue`/`project`).
    pub issue: Option<String>,
}

impl FitSpec {
    /// A backend invocation (event, lifecycle event, scheduled trigger) of the endpoint `key`.
    pub fn endpoint(key: &str) -> Self {
        Self {
            module_type: ENDPOINT_MODULE.into(),
            module_key: key.into(),
            principal: None,
            issue: None,
        }
    }

    /// A UI call from module `module_type`/`module_key` by `principal`, on `issue` if any.
    pub fn ui(module_type: &str, module_key: &str, principal: &str, issue: Option<&str>) -> Self {
        Self {
            module_type: module_type.into(),
            module_key: module_key.into(),
            principal: Some(principal.into()),
            issue: issue.map(str::to_owned),
        }
    }

    /// A call from Clearance's issue panel (`jira:issuePanel`/`clearance-panel`) on `issue`.
    pub fn issue_panel(principal: &str, issue: &str) -> Self {
        Self::ui(ISSUE_PANEL, PANEL_KEY, principal, Some(issue))
    }

    /// A call from Clearance's admin page (`jira:adminPage`/`clearance-admin`).
    pub fn admin_page(principal: &str) -> Self {
        Self::ui(ADMIN_PAGE, ADMIN_KEY, principal, None)
    }

    /// Whether the call comes from a UI module (it then carries `context` and `principal`).
    pub fn is_ui(&self) -> bool {
        self.module_type != ENDPOINT_MODULE
    }
}

impl JiraSim {
    /// The claims a FIT for `spec` carries now (to inspect, or to tamper with and sign with
    /// [`JiraSim::forge_sign_claims`]).
    pub fn forge_fit_claims(&self, spec: &FitSpec) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        let mut jti = [0u8; 20];
        rand::rng().fill_bytes(&mut jti);
        let installation_id = self.forge_installation_id();
        let api_base_url = self.api_base_url();
        let cloud_id = self.forge_cloud_id();
        let mut claims = json!({
            "app": {
                "id": self.forge_app_id(),
                "appVersion": self.inner.options.forge_app_version,
                "installationId": installation_id,
                "apiBaseUrl": api_base_url,
                "environment": {
                    "type": self.inner.options.forge_environment_type,
                    "id": self.forge_environment_id(),
                },
                "module": {"type": spec.module_type, "key": spec.module_key},
                "installation": {
                    "id": installation_id,
                    "contexts": [{"name": "jira", "apiBaseUrl": api_base_url, "cloudId": cloud_id}],
                },
            },
            "aud": self.forge_app_id(),
            "iss": FIT_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + FIT_LIFETIME_SECS,
            "jti": hex::encode(jti),
        });
        if spec.is_ui() {
            claims["context"] = self.fit_context(spec, &cloud_id);
            if let Some(p) = &spec.principal {
                claims["principal"] = json!(p);
            }
        }
        claims
    }

    /// A signed FIT for `spec`, with the current key.
    pub fn forge_invocation_token(&self, spec: &FitSpec) -> String {
        self.forge_sign_claims(self.forge_fit_claims(spec))
    }

    /// `context` of a UI call: the site, the module instance and what the module is showing.
    fn fit_context(&self, spec: &FitSpec, cloud_id: &str) -> Value {
        let mut extension = json!({"type": spec.module_type});
        if let Some(key) = &spec.issue {
            match self.issue(key) {
                Some(i) => {
                    extension["issue"] = issue_ref(&i);
                    extension["project"] =
                        json!({"id": project_id(&i.project), "key": i.project, "type": "software"});
                    extension["isNewToIssue"] = json!(false);
                }
                None => extension["issue"] = json!({ "key": key }),
            }
        }
        json!({
            "cloudId": cloud_id,
            "localId": format!("ari:cloud:ecosystem::extension/{}/{}/static/{}",
                               self.forge_app_uuid(), self.inner.options.forge_environment_uuid, spec.module_key),
            "moduleKey": spec.module_key,
            "siteUrl": self.base_url(),
            "extension": extension,
        })
    }
}

fn issue_ref(i: &Issue) -> Value {
    json!({"id": i.id.to_string(), "key": i.key, "type": i.issue_type, "typeId": super::forge_events::issue_type_id(&i.issue_type)})
}
