//! Jira Cloud simulator: one site with users, groups, issues (with issue security) and the installed app. It installs
//! apps the way Jira does, verifies the app's JWT and its scopes on every REST call, answers with Jira's status codes
//! and JSON shapes, delivers webhooks with Jira's retry policy, hosts the app's iframes in an issue page, and
//! misbehaves on demand. It also speaks Forge Remote: invocation tokens and their JWKS, OAuth tokens for the API
//! gateway, product and lifecycle events, scheduled triggers and `invokeRemote`.

pub mod adf_check;
mod auth;
mod calls;
mod edits;
mod faults;
mod forge;
mod forge_delivery;
mod forge_events;
mod forge_fit;
mod forge_gateway;
mod forge_install;
mod forge_invoke;
mod forge_keys;
mod forge_manifest;
mod forge_pages;
pub mod forge_scopes;
mod forge_tokens;
mod forge_ui;
mod indexed;
mod install;
pub mod jql;
pub mod keys;
pub mod model;
mod options;
mod rest_attachments;
mod rest_issues;
mod rest_permissions;
mod rest_search;
mod rest_server_info;
mod rest_users;
pub mod scopes;
mod security;
mod signing;
mod view;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{Router, middleware};
use chrono::Utc;
use serde_json::Value;

use super::persist::{self, Durable, Persister, SaveError};
pub use calls::RestCall;
pub use edits::IssueEdit;
pub use faults::{Faults, WebhookFault};
pub use forge::{
    FORGE_APP_ID, FORGE_ENVIRONMENT_UUID, ForgeInstallation, ForgeModuleKeys, ForgeRemote,
    ForgeSite,
};
pub use forge_delivery::{
    ForgeAttempt, ForgeDelivery, INVALID_FORGE_INVOCATION_TOKEN, INVALID_REMOTE_INVOCATION_ERROR,
    MAX_RETRIES as FORGE_MAX_RETRIES, TIMEOUT_ERROR,
};
pub use forge_fit::{
    ADMIN_KEY, ADMIN_PAGE, ENDPOINT_MODULE, FIT_ISSUER, FIT_LIFETIME_SECS, FitSpec, ISSUE_PANEL,
    PANEL_KEY,
};
pub use forge_gateway::GATEWAY_PREFIX;
pub use forge_install::INSTALLED as FORGE_INSTALLED_EVENT;
pub use forge_invoke::{
    InvokeError, InvokeResponse, InvokeSpec, MAX_REQUEST_BYTES as INVOKE_MAX_REQUEST_BYTES,
    MAX_RESPONSE_BYTES as INVOKE_MAX_RESPONSE_BYTES,
};
pub use forge_keys::JWKS_PATH as FORGE_JWKS_PATH;
pub use forge_manifest::{ForgeManifest, ForgeModules, UiModule};
pub use indexed::from_descriptor as indexed_by_descriptor;
pub use keys::SimKeys;
pub use model::{Issue, SecurityLevel, SiteState, User};
pub use options::SimOptions;
pub use security::ADMIN_GROUPS;
pub use webhooks::{Attempt, Delivery};

/// A simulated Jira Cloud site. Cheap to clone; all clones share the site.
#[derive(Clone)]
pub struct JiraSim {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    state: Mutex<SiteState>,
    keys: SimKeys,
    http: reqwest::Client,
    faults: Mutex<Faults>,
    options: SimOptions,
    deliveries: Mutex<Vec<Delivery>>,
    calls: Mutex<calls::CallLog>,
    persist: Option<Persister>,
    forge: forge::Runtime,
}

impl Durable for JiraSim {
    fn flush(&self) -> Result<(), SaveError> {
        match &self.inner.persist {
            Some(p) => p.flush(&self.inner.state),
            None => Ok(()),
        }
    }
}

/// The roles the default people play, with their accountIds.
pub mod people {
    /// Files data requests.
    pub const REQUESTER: &str = "557058:riley-requester";
    /// Reviews and writes extractions (group `clearance-analysts`).
    pub const ANALYST: &str = "557058:ana-analyst";
    /// Approves personal data (group `clearance-privacy`).
    pub const PRIVACY_OFFICER: &str = "557058:pia-privacy";
    /// Administers Clearance (groups `clearance-admins`, `site-admins`).
    pub const ADMIN: &str = "557058:adam-admin";
}

impl JiraSim {
    /// A site at `base_url` (where [`JiraSim::router`] will be served), signing installs with `keys`.
    pub fn new(base_url: &str, keys: SimKeys, options: SimOptions) -> Self {
        Self::from_state(base_url, keys, options, Self::fresh_state(), None)
    }

    /// The state of a new, empty site: a new clientKey, a 10 MB upload limit, email API allowed.
    pub fn fresh_state() -> SiteState {
        SiteState {
            client_key: uuid::Uuid::new_v4().to_string(),
            next_id: 10_000,
            upload_limit: 10 * 1024 * 1024,
            email_api_allowed: true,
            ..SiteState::default()
        }
    }

    /// A site restored from `state`, saving every change to `save_path` when given (durably, before any answer
    /// that shows the change leaves; see [`super::persist`]).
    pub fn from_state(
        base_url: &str,
        keys: SimKeys,
        options: SimOptions,
        mut state: SiteState,
        save_path: Option<std::path::PathBuf>,
    ) -> Self {
        let client_key = state.client_key.clone();
        state.forge.ensure_ids(&client_key);
        let http = reqwest::Client::builder()
            .timeout(options.webhook_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Atlassian Connect (Jira simulator)")
            .build()
            .expect("building a reqwest client with static settings cannot fail");
        let sim = Self {
            inner: Arc::new(Inner {
                base_url: base_url.trim_end_matches('/').to_owned(),
                state: Mutex::new(state),
                keys,
                http,
                faults: Mutex::new(Faults::default()),
                options,
                deliveries: Mutex::new(Vec::new()),
                calls: Mutex::new(calls::CallLog::default()),
                persist: save_path.map(Persister::new),
                forge: forge::Runtime::new(),
            }),
        };
        // Ids made up just now (e.g. the Forge installation id) are saved before anyone sees them.
        sim.changed();
        sim
    }

    /// The site's base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The install key this site signs with.
    pub fn keys(&self) -> &SimKeys {
        &self.inner.keys
    }

    /// The site's clientKey.
    pub fn client_key(&self) -> String {
        self.state().client_key.clone()
    }

    /// Every route of the site: REST API (JWT-verified, fault-injected), the same behind the Forge API gateway
    /// (`/ex/jira/{cloudId}`, bearer tokens), issue and admin pages, the `AP` script, the Forge JWKS and the
    /// sandbox's `invokeRemote` route.
    pub fn router(&self) -> Router {
        let rest = Router::new()
            .merge(rest_issues::router())
            .merge(rest_attachments::router())
            .merge(rest_search::router())
            .merge(rest_users::router())
            .merge(rest_permissions::router())
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                security::hide_unseen,
            ))
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                scopes::enforce,
            ))
            .layer(middleware::from_fn_with_state(
                self.clone(),
                auth::verify_app_jwt,
            ))
            .layer(middleware::from_fn_with_state(self.clone(), faults::inject))
            .layer(middleware::from_fn_with_state(self.clone(), calls::record))
            .layer(middleware::from_fn(faults::read_whole_request))
            .merge(rest_server_info::router());
        let behind_gateway = rest.clone().with_state(self.clone());
        Router::new()
            .merge(rest)
            .merge(view::router())
            .merge(forge_keys::router())
            .merge(forge_gateway::router(behind_gateway))
            .merge(forge_invoke::router())
            .merge(forge_ui::router())
            .merge(forge_pages::router())
            .layer(middleware::from_fn_with_state(
                self.clone(),
                persist::durable::<JiraSim>,
            ))
            .with_state(self.clone())
    }

    /// Lock the site state. Callers that change it call [`JiraSim::changed`] afterwards.
    pub fn state(&self) -> MutexGuard<'_, SiteState> {
        self.inner
            .state
            .lock()
            .expect("simulator state lock poisoned")
    }

    /// Record a change to the state and, if the simulator was given a save path (the demo), return once it is on
    /// disk. A failed save is logged here; the REST API answers 500 for it (see [`super::persist::durable`]).
    pub fn changed(&self) {
        let Some(p) = &self.inner.persist else {
            return;
        };
        p.mark();
        if let Err(e) = p.flush(&self.inner.state) {
            tracing::error!(error = %e, cause = ?std::error::Error::source(&e), "simulator state not saved");
        }
    }

    /// Switch faults on or off.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.inner.faults.lock().expect("fault lock poisoned")
    }

    /// Webhook deliveries so far (including retries and dropped ones).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner
            .deliveries
            .lock()
            .expect("deliveries lock poisoned")
            .clone()
    }

    /// Add (or replace) a user and put them in `groups`.
    pub fn add_user(&self, account_id: &str, display_name: &str, email: &str, groups: &[&str]) {
        {
            let mut s = self.state();
            s.users.insert(
                account_id.to_owned(),
                User {
                    account_id: account_id.to_owned(),
                    display_name: display_name.to_owned(),
                    email: email.to_owned(),
                    email_visible: false,
                },
            );
            for g in groups {
                let members = s.groups.entry((*g).to_owned()).or_default();
                if !members.iter().any(|m| m == account_id) {
                    members.push(account_id.to_owned());
                }
            }
        }
        self.changed();
    }

    /// The default people: a requester, an analyst, a privacy officer and an admin, in Clearance's default groups.
    pub fn add_default_people(&self) {
        self.add_user(
            people::REQUESTER,
            "Riley Requester",
            "riley@example.com",
            &["jira-users", "marketing"],
        );
        self.add_user(
            people::ANALYST,
            "Ana Analyst",
            "ana@example.com",
            &["jira-users", "clearance-analysts"],
        );
        self.add_user(
            people::PRIVACY_OFFICER,
            "Pia Privacy",
            "pia@example.com",
            &["jira-users", "clearance-privacy"],
        );
        self.add_user(
            people::ADMIN,
            "Adam Admin",
            "adam@example.com",
            &["jira-users", "clearance-admins", "site-admins"],
        );
    }

    /// A new id for an issue, comment, attachment or changelog.
    fn next_id(state: &mut SiteState) -> u64 {
        state.next_id += 1;
        state.next_id
    }

    /// The issue with this id or key (keys case-insensitively, as Jira matches them).
    fn find_issue(state: &SiteState, id_or_key: &str) -> Option<u64> {
        if let Ok(id) = id_or_key.parse::<u64>() {
            return state.issues.contains_key(&id).then_some(id);
        }
        state
            .issues
            .values()
            .find(|i| i.key.eq_ignore_ascii_case(id_or_key))
            .map(|i| i.id)
    }

    /// Create an issue as `reporter` (fires `jira:issue_created`). Returns its key.
    pub fn create_issue(
        &self,
        project: &str,
        summary: &str,
        description: &str,
        labels: &[&str],
        reporter: &str,
    ) -> String {
        self.create_issue_by(
            project,
            summary,
            model::adf_text(description),
            labels,
            reporter,
            reporter,
        )
    }

    /// Create an issue reported by `reporter`, created by `actor` (who the events name). Returns its key.
    fn create_issue_by(
        &self,
        project: &str,
        summary: &str,
        description: Value,
        labels: &[&str],
        reporter: &str,
        actor: &str,
    ) -> String {
        let now = Utc::now();
        let issue = {
            let mut s = self.state();
            let id = Self::next_id(&mut s);
            let n = s.counters.entry(project.to_owned()).or_default();
            *n += 1;
            let key = format!("{project}-{n}");
            let issue = Issue {
                id,
                key,
                project: project.to_owned(),
                summary: summary.to_owned(),
                description,
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                reporter: reporter.to_owned(),
                status: "To Do".into(),
                issue_type: "Task".into(),
                created: now,
                updated: now,
                comments: Vec::new(),
                attachment_ids: Vec::new(),
                properties: Default::default(),
                security: None,
            };
            s.issues.insert(id, issue.clone());
            issue
        };
        self.changed();
        self.fire_issue_event(
            "jira:issue_created",
            "issue_created",
            &issue,
            Some(actor),
            None,
        );
        issue.key
    }

    /// Delete an issue as `actor` (fires `jira:issue_deleted`).
    pub fn delete_issue(&self, key: &str, actor: &str) -> bool {
        let removed = {
            let mut s = self.state();
            let Some(id) = Self::find_issue(&s, key) else {
                return false;
            };
            let issue = s.issues.remove(&id);
            if let Some(i) = &issue {
                for a in &i.attachment_ids {
                    s.attachments.remove(a);
                }
            }
            issue
        };
        self.changed();
        if let Some(issue) = removed {
            self.fire_issue_event(
                "jira:issue_deleted",
                "issue_deleted",
                &issue,
                Some(actor),
                None,
            );
        }
        true
    }

    /// Add a comment as `author` (fires `comment_created`). Returns the comment id.
    pub fn add_comment(&self, key: &str, author: &str, text: &str) -> Option<u64> {
        self.insert_comment(key, author, model::adf_text(text))
    }

    /// Attach a file as `author` (fires `jira:issue_updated` with an `Attachment` changelog item, as Jira does).
    /// Returns the attachment id.
    pub fn attach(
        &self,
        key: &str,
        author: &str,
        filename: &str,
        mime_type: &str,
        content: Vec<u8>,
    ) -> Option<u64> {
        let (id, issue, changelog_id) = {
            let mut s = self.state();
            let issue_id = Self::find_issue(&s, key)?;
            let id = Self::next_id(&mut s);
            let changelog_id = Self::next_id(&mut s);
            s.attachments.insert(
                id,
                model::Attachment {
                    id,
                    issue_id,
                    filename: filename.to_owned(),
                    mime_type: mime_type.to_owned(),
                    author: author.to_owned(),
                    created: Utc::now(),
                    content,
                },
            );
            let issue = s.issues.get_mut(&issue_id)?;
            issue.attachment_ids.push(id);
            issue.updated = Utc::now();
            (id, issue.clone(), changelog_id)
        };
        self.changed();
        let changelog = serde_json::json!({"id": changelog_id.to_string(), "items": [{
            "field": "Attachment", "fieldtype": "jira", "fieldId": "attachment",
            "from": null, "fromString": null, "to": id.to_string(), "toString": filename}]});
        self.fire_issue_event(
            "jira:issue_updated",
            "issue_updated",
            &issue,
            Some(author),
            Some(changelog),
        );
        Some(id)
    }

    /// A copy of an issue by key.
    pub fn issue(&self, key: &str) -> Option<Issue> {
        let s = self.state();
        Self::find_issue(&s, key).and_then(|id| s.issues.get(&id).cloned())
    }

    /// An issue property's value.
    pub fn property(&self, key: &str, property: &str) -> Option<Value> {
        self.issue(key)?.properties.get(property).cloned()
    }
}
