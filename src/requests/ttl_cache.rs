//! A bounded map whose entries are trusted for a fixed time: answers read from Jira that may be reused briefly
//! (who may see an issue). Beyond its capacity the least used entries are evicted; a zero time-to-live keeps nothing.

use std::{
    hash::Hash,
    time::{Duration, Instant},
};

/// Values by key, each trusted for `ttl` after it was stored.
pub struct TtlCache<K, V> {
    entries: Option<quick_cache::sync::Cache<K, (Instant, V)>>,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// At most `capacity` entries, each trusted for `ttl`; a zero `ttl` caches nothing.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: (!ttl.is_zero()).then(|| quick_cache::sync::Cache::new(capacity)),
            ttl,
        }
    }

    /// The value stored for `key` less than the time-to-live ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let (at, value) = self.entries.as_ref()?.get(key)?;
        (at.elapsed() < self.ttl).then_some(value)
    }

    /// Store `value` for `key` as of now.
    pub fn insert(&self, key: K, value: V) {
        if let Some(entries) = &self.entries {
            entries.insert(key, (Instant::now(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::TtlCache;

    #[test]
    fn entries_live_their_time_and_a_zero_time_keeps_nothing() {
        let cache = TtlCache::new(10, Duration::from_millis(50));
        cache.insert("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        assert_eq!(cache.get(&"b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&"a"), None);

        let off = TtlCache::new(10, Duration::ZERO);
        off.insert("a", 1);
        assert_eq!(off.get(&"a"), None);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = TtlCache::new(100, Duration::from_secs(60));
        for i in 0..10_000 {
            cache.insert(i, i);
        }
        let kept = (0..10_000).filter(|i| cache.get(i).is_some()).count();
        assert!(kept <= 200, "{kept} entries kept");
    }
}
