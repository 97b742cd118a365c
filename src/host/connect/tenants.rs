//! A short-lived cache of tenants with their opened shared secrets, so that verifying a token costs neither a
//! database read nor unsealing the secret.
//!
//! Rules that keep it correct:
//! - entries live `ttl` (default 5 s, `tenant_cache_secs`; 0 turns the cache off), so a change made by another
//!   instance (disable, uninstall, re-install) is seen here within that time;
//! - lifecycle events handled by this process drop the tenant's entry after they are stored, so they take effect here
//!   at once;
//! - a token that fails its signature check against a cached secret is checked again against the stored secret
//!   (a re-install elsewhere may have rotated it), so a correctly signed token is never refused because of the cache;
//! - a lookup that raced an invalidation does not put back what it read before it (see [`TenantCache::insert`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;
use secrecy::SecretString;

use crate::store::StoredTenant;

/// Tenants kept at most; beyond this the least used are evicted.
const CAPACITY: usize = 10_000;

/// A tenant as read from the store, with its secret opened.
pub(super) struct Verified {
    /// The stored tenant (state included: the caller decides what an inactive tenant may do).
    pub stored: StoredTenant,
    /// Its shared secret, opened.
    pub secret: SecretString,
    loaded: Instant,
}

/// The cache, keyed by clientKey.
pub(super) struct TenantCache {
    entries: Option<Cache<String, Arc<Verified>>>,
    ttl: Duration,
    /// Bumped by every invalidation; a lookup only keeps what it read if no invalidation happened meanwhile.
    epoch: AtomicU64,
}

/// Where a lookup started, to tell whether an invalidation happened while it read the store.
#[derive(Clone, Copy)]
pub(super) struct Ticket(u64);

impl TenantCache {
    /// A cache whose entries live `ttl`; a zero `ttl` caches nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: (!ttl.is_zero()).then(|| Cache::new(CAPACITY)),
            ttl,
            epoch: AtomicU64::new(0),
        }
    }

    /// The entry for `client_key`, if there is one younger than the TTL.
    pub fn get(&self, client_key: &str) -> Option<Arc<Verified>> {
        let entry = self.entries.as_ref()?.get(client_key)?;
        (entry.loaded.elapsed() < self.ttl).then_some(entry)
    }

    /// Take before reading the store; hand to [`insert`](Self::insert) with what was read.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.epoch.load(Ordering::SeqCst))
    }

    /// Remember a tenant read from the store after `ticket` was taken. If the tenant was invalidated since (its
    /// lifecycle event may have been stored after the read), the read is not kept.
    pub fn insert(
        &self,
        ticket: Ticket,
        stored: StoredTenant,
        secret: SecretString,
    ) -> Arc<Verified> {
        let entry = Arc::new(Verified {
            stored,
            secret,
            loaded: Instant::now(),
        });
        let Some(entries) = &self.entries else {
            return entry;
        };
        if self.epoch.load(Ordering::SeqCst) == ticket.0 {
            let key = entry.stored.tenant.client_key.clone();
            entries.insert(key.clone(), entry.clone());
            // An invalidation between the check and the insert must not leave this entry behind.
            if self.epoch.load(Ordering::SeqCst) != ticket.0 {
                entries.remove_if(&key, |e| Arc::ptr_eq(e, &entry));
            }
        }
        entry
    }

    /// Forget `client_key` (call after its change is stored).
    pub fn invalidate(&self, client_key: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.remove(client_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::{Tenant, TenantState};

    fn tenant(key: &str) -> StoredTenant {
        let now = chrono::Utc::now();
        let url: url::Url = "https://x.atlassian.net".parse().unwrap();
        StoredTenant {
            tenant: Tenant {
                id: format!("id-{key}"),
                client_key: key.into(),
                base_url: url.clone(),
                display_url: url,
                product_type: "jira".into(),
                description: None,
                state: TenantState::Installed,
                created_at: now,
                updated_at: now,
                installed_at: now,
                uninstalled_at: None,
            },
            shared_secret: crate::store::SealedSecret("sealed".into()),
        }
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_kept() {
        let cache = TenantCache::new(Duration::from_secs(60));
        let ticket = cache.ticket();
        cache.invalidate("a");
        cache.insert(ticket, tenant("a"), SecretString::from("old"));
        assert!(cache.get("a").is_none());
        let ticket = cache.ticket();
        cache.insert(ticket, tenant("a"), SecretString::from("new"));
        assert!(cache.get("a").is_some());
        cache.invalidate("a");
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn entries_expire_and_zero_ttl_caches_nothing() {
        let cache = TenantCache::new(Duration::from_millis(1));
        cache.insert(cache.ticket(), tenant("a"), SecretString::from("s"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("a").is_none());
        let off = TenantCache::new(Duration::ZERO);
        off.insert(off.ticket(), tenant("a"), SecretString::from("s"));
        assert!(off.get("a").is_none());
    }
}
