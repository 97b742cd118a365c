//! Display names of the people a request mentions (requester, reviewer, approver, whoever appears in its trail), read
//! from Jira and kept briefly, so the panel shows "Riley Requester" rather than an account id. A name Jira will not
//! give is simply left out: the account id is shown instead.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{jira::JiraClient, tenant::AccountId};

/// How long a name is reused before Jira is asked again.
pub const NAMES_TTL: Duration = Duration::from_secs(600);
/// Actors that are not people (they are shown as they are).
const SYSTEM_ACTORS: [&str; 3] = ["clearance", "jira", "demo"];

/// Names per `(tenant, account)`.
pub struct NameCache {
    entries: quick_cache::sync::Cache<(String, String), (Instant, Arc<str>)>,
    ttl: Duration,
}

impl Default for NameCache {
    fn default() -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(10_000),
            ttl: NAMES_TTL,
        }
    }
}

impl NameCache {
    /// The display names of `accounts` on the tenant's site that Jira gives (looked up at most once per TTL).
    pub async fn names<'a>(
        &self,
        jira: &JiraClient,
        tenant_id: &str,
        accounts: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for account in accounts {
            if out.contains_key(account)
                || SYSTEM_ACTORS.contains(&account)
                || AccountId::parse(account).is_none()
            {
                continue;
            }
            let key = (tenant_id.to_owned(), account.to_owned());
            if let Some((at, name)) = self.entries.get(&key)
                && at.elapsed() < self.ttl
            {
                out.insert(account.to_owned(), name.to_string());
                continue;
            }
            match jira.user_display_name(account).await {
                Ok(Some(name)) => {
                    self.entries
                        .insert(key, (Instant::now(), Arc::from(name.as_str())));
                    out.insert(account.to_owned(), name);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "no display name");
                    break; // Jira is struggling: show ids rather than wait for each person
                }
            }
        }
        out
    }
}
