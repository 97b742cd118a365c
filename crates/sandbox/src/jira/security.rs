//! Issue security, as Jira applies it: an issue with a security level is seen only by the level's members (accounts,
//! groups, and the apps' users when the level grants their project role); for everyone else it does not exist — REST
//! calls about it answer Jira's 404, searches leave it out, the permissions API does not grant it, the site's pages do
//! not show it, and no context token or UI invocation is minted on it. Everyone on the site may browse the projects.

use axum::{
    extract::{RawPathParams, Request, State},
    middleware::Next,
    response::Response,
};

use super::{
    JiraSim,
    auth::AppCaller,
    model::{Issue, SecurityLevel, SiteState},
    rest_attachments::no_attachment,
    rest_issues::no_issue,
};

/// Groups whose members hold the *Administer Jira* global permission.
pub const ADMIN_GROUPS: [&str; 2] = ["site-admins", "jira-admins"];

impl SiteState {
    /// Whether `account` is a user of the site or one of the installed apps' users.
    pub fn is_account(&self, account: &str) -> bool {
        self.users.contains_key(account) || self.is_app_account(account)
    }

    fn is_app_account(&self, account: &str) -> bool {
        self.app.as_ref().is_some_and(|a| a.account_id == account)
            || (!self.forge.app_account_id.is_empty() && self.forge.app_account_id == account)
    }

    fn in_group(&self, account: &str, group: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|members| members.iter().any(|m| m == account))
    }

    /// Whether `account` holds *Administer Jira*.
    pub fn is_jira_admin(&self, account: &str) -> bool {
        ADMIN_GROUPS.iter().any(|g| self.in_group(account, g))
    }

    /// Whether `account` may see `issue`: Browse Projects (every account of the site has it), then the issue's
    /// security level if it has one (a level that no longer exists lets nobody in).
    pub fn can_see(&self, account: &str, issue: &Issue) -> bool {
        if !self.is_account(account) {
            return false;
        }
        let Some(name) = &issue.security else {
            return true;
        };
        self.security_levels.get(name).is_some_and(|level| {
            level.accounts.iter().any(|a| a == account)
                || level.groups.iter().any(|g| self.in_group(account, g))
                || (level.apps && self.is_app_account(account))
        })
    }
}

impl JiraSim {
    /// Define (or replace) the security level `name`.
    pub fn add_security_level(&self, name: &str, level: SecurityLevel) {
        self.state().security_levels.insert(name.to_owned(), level);
        self.changed();
    }

    /// Put the issue `key` under the security level `level` (`None`: no level). False if there is no such issue.
    pub fn set_issue_security(&self, key: &str, level: Option<&str>) -> bool {
        let found = {
            let mut s = self.state();
            let id = Self::find_issue(&s, key);
            match id.and_then(|id| s.issues.get_mut(&id)) {
                Some(issue) => {
                    issue.security = level.map(str::to_owned);
                    true
                }
                None => false,
            }
        };
        self.changed();
        found
    }

    /// Whether `account` may see the issue `key` (false when there is no such issue).
    pub fn can_see(&self, account: &str, key: &str) -> bool {
        let s = self.state();
        Self::find_issue(&s, key)
            .and_then(|id| s.issues.get(&id))
            .is_some_and(|issue| s.can_see(account, issue))
    }

    /// A copy of the issue `key` if `account` may see it.
    pub fn issue_seen_by(&self, account: &str, key: &str) -> Option<Issue> {
        self.issue(key).filter(|i| self.state().can_see(account, i))
    }

    /// Put `account` in `group` (an app's user too: apps are not people, but groups may hold them).
    pub fn add_to_group(&self, account: &str, group: &str) {
        {
            let mut s = self.state();
            let members = s.groups.entry(group.to_owned()).or_default();
            if !members.iter().any(|m| m == account) {
                members.push(account.to_owned());
            }
        }
        self.changed();
    }

    /// Whether the attachment `attachment` is on an issue `account` may not see.
    fn attachment_hidden_from(&self, account: &str, attachment: &str) -> bool {
        let s = self.state();
        attachment
            .parse::<u64>()
            .ok()
            .and_then(|id| s.attachments.get(&id))
            .and_then(|a| s.issues.get(&a.issue_id))
            .is_some_and(|issue| !s.can_see(account, issue))
    }
}

/// On the REST routes about one issue (`{key}`) or one attachment (`{id}`): Jira's 404 when the calling app's user
/// may not see the issue, exactly what a missing issue gets.
pub(super) async fn hide_unseen(
    State(sim): State<JiraSim>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let account = req
        .extensions()
        .get::<AppCaller>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    for (name, value) in &params {
        match name {
            "key" if sim.issue(value).is_some() && !sim.can_see(&account, value) => {
                return no_issue();
            }
            "id" if sim.attachment_hidden_from(&account, value) => {
                return no_attachment(value);
            }
            _ => {}
        }
    }
    next.run(req).await
}
