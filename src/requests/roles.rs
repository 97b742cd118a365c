//! Who may do what: a user's Jira groups (read through the Jira REST API, cached briefly) mapped to Clearance roles
//! by the tenant's [`RolePolicy`].

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::machine::Roles;
use crate::{
    jira::{JiraClient, JiraError},
    store::RolePolicy,
};

/// How long a user's groups are trusted before they are read again.
pub const GROUPS_TTL: Duration = Duration::from_secs(60);

/// `(tenant id, account id)`.
type UserKey = (String, String);

/// Users' group names per tenant, kept for [`GROUPS_TTL`]. Group changes in Jira apply within that time; changes to
/// the role policy apply at once (the policy is read per command).
pub struct GroupCache {
    entries: quick_cache::sync::Cache<UserKey, (Instant, Arc<Vec<String>>)>,
    ttl: Duration,
}

impl Default for GroupCache {
    fn default() -> Self {
        Self::new(10_000, GROUPS_TTL)
    }
}

impl GroupCache {
    /// A cache of at most `capacity` users.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity),
            ttl,
        }
    }

    /// The groups of `account_id` on the tenant's site.
    pub async fn groups(
        &self,
        jira: &JiraClient,
        tenant_id: &str,
        account_id: &str,
    ) -> Result<Arc<Vec<String>>, JiraError> {
        let key = (tenant_id.to_owned(), account_id.to_owned());
        if let Some((at, groups)) = self.entries.get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(groups);
        }
        let names = Arc::new(jira.user_groups(account_id).await?);
        self.entries.insert(key, (Instant::now(), names.clone()));
        Ok(names)
    }
}

/// The roles a user with `groups` has under `policy` (group names compare case-insensitively, as Jira's do).
pub fn roles(policy: &RolePolicy, groups: &[String]) -> Roles {
    let member = |mapped: &[String]| {
        mapped
            .iter()
            .any(|m| groups.iter().any(|g| g.eq_ignore_ascii_case(m)))
    };
    Roles {
        analyst: member(&policy.analyst_groups),
        privacy: member(&policy.privacy_groups),
        admin: member(&policy.admin_groups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RolePolicy {
        RolePolicy {
            analyst_groups: vec!["clearance-analysts".into(), "data-team".into()],
            privacy_groups: vec!["clearance-privacy".into()],
            admin_groups: vec!["clearance-admins".into(), "site-admins".into()],
            sod_author_not_approver: true,
        }
    }

    #[test]
    fn groups_map_to_roles() {
        let g = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(roles(&policy(), &g(&[])), Roles::default());
        assert_eq!(
            roles(&policy(), &g(&["Data-Team", "jira-users"])),
            Roles {
                analyst: true,
                ..Roles::default()
            }
        );
        assert_eq!(
            roles(&policy(), &g(&["clearance-privacy", "site-admins"])),
            Roles {
                privacy: true,
                admin: true,
                ..Roles::default()
            }
        );
    }
}
