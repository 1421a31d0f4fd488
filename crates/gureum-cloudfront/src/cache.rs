//! The edge's cache: origin answers by cache key, bounded in bytes
//! (oldest insertions leave first), expiring on Gureum's clock, and
//! purged by invalidation paths (`/images/*` purges by prefix).

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The cache's default bound: 64 MiB of bodies.
pub const DEFAULT_CAPACITY: usize = 64 << 20;

/// An origin answer as cached.
#[derive(Debug)]
pub struct CachedObject {
    /// The status the viewer gets.
    pub status: u16,
    /// The origin's headers (hop-by-hop ones removed).
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
    /// When it was stored, on Gureum's clock.
    pub stored_ms: i64,
    /// When it stops being served.
    pub expires_ms: i64,
}

struct Entry {
    dist: String,
    path: String,
    generation: u64,
    object: Arc<CachedObject>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Insertion order, with the generation each key was inserted at (a
    /// key inserted again leaves a stale entry here, skipped on eviction).
    order: VecDeque<(String, u64)>,
    bytes: usize,
    generation: u64,
}

impl Inner {
    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.object.body.len();
        }
    }
}

/// The cache (see the module docs).
pub struct EdgeCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

/// Whether an invalidation path covers a viewer path: a trailing `*`
/// matches any rest, anything else the whole path.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

impl EdgeCache {
    /// A cache holding at most `capacity` bytes of bodies.
    pub fn new(capacity: usize) -> Self {
        EdgeCache {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    /// The fresh object under `key` at `now_ms`.
    pub fn get(&self, key: &str, now_ms: i64) -> Option<Arc<CachedObject>> {
        let mut inner = self.inner.lock();
        let e = inner.map.get(key)?;
        if e.object.expires_ms > now_ms {
            return Some(e.object.clone());
        }
        inner.remove(key);
        None
    }

    /// Keeps `object` under `key` for distribution `dist`'s viewer `path`,
    /// evicting the oldest entries past the bound; an object bigger than
    /// an eighth of the bound is not kept.
    pub fn put(&self, key: String, dist: &str, path: &str, object: Arc<CachedObject>) {
        let size = object.body.len();
        if size > self.capacity / 8 {
            return;
        }
        let mut inner = self.inner.lock();
        inner.remove(&key);
        inner.generation += 1;
        let generation = inner.generation;
        inner.bytes += size;
        inner.order.push_back((key.clone(), generation));
        inner.map.insert(
            key,
            Entry {
                dist: dist.to_string(),
                path: path.to_string(),
                generation,
                object,
            },
        );
        while inner.bytes > self.capacity {
            let Some((old, g)) = inner.order.pop_front() else {
                break;
            };
            if inner.map.get(&old).is_some_and(|e| e.generation == g) {
                inner.remove(&old);
            }
        }
        // Stale order entries would otherwise pile up under churn.
        if inner.order.len() > 2 * inner.map.len() + 64 {
            let live: Vec<(String, u64)> = inner
                .order
                .iter()
                .filter(|(k, g)| inner.map.get(k).is_some_and(|e| e.generation == *g))
                .cloned()
                .collect();
            inner.order = live.into();
        }
    }

    /// Drops distribution `dist`'s objects whose viewer path one of
    /// `patterns` covers; answers how many went.
    pub fn purge(&self, dist: &str, patterns: &[String]) -> usize {
        let mut inner = self.inner.lock();
        let doomed: Vec<String> = inner
            .map
            .iter()
            .filter(|(_, e)| e.dist == dist && patterns.iter().any(|p| path_matches(p, &e.path)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &doomed {
            inner.remove(k);
        }
        doomed.len()
    }

    /// Empties the cache.
    pub fn clear(&self) {
        *self.inner.lock() = Inner::default();
    }

    /// The bytes of bodies held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(len: usize, expires_ms: i64) -> Arc<CachedObject> {
        Arc::new(CachedObject {
            status: 200,
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; len]),
            stored_ms: 0,
            expires_ms,
        })
    }

    #[test]
    fn an_object_is_served_until_it_expires() {
        let c = EdgeCache::new(1 << 20);
        c.put("k".into(), "E1", "/a", object(10, 100));
        assert!(c.get("k", 99).is_some());
        assert!(c.get("k", 100).is_none());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn the_cache_stays_within_its_bound_evicting_the_oldest() {
        let c = EdgeCache::new(800);
        for i in 0..20 {
            c.put(format!("k{i}"), "E1", "/a", object(100, i64::MAX));
        }
        assert!(c.bytes() <= 800);
        assert!(c.get("k0", 0).is_none());
        assert!(c.get("k19", 0).is_some());
    }

    #[test]
    fn invalidation_paths_purge_exact_paths_and_prefixes() {
        let c = EdgeCache::new(1 << 20);
        c.put("a".into(), "E1", "/img/a.png", object(1, i64::MAX));
        c.put("b".into(), "E1", "/index.html", object(1, i64::MAX));
        c.put("c".into(), "E2", "/img/a.png", object(1, i64::MAX));
        assert_eq!(c.purge("E1", &["/img/*".into()]), 1);
        assert!(c.get("b", 0).is_some());
        assert!(c.get("c", 0).is_some());
        assert_eq!(c.purge("E1", &["/index.html".into()]), 1);
        assert!(c.get("b", 0).is_none());
    }
}
