//! The in-process cache (moka): the embedded default, and the cache of a single instance.

use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::cache::Cache;
use moka::Expiry;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bounded in-process cache with a TTL per entry. Cheap to clone; clones share entries.
#[derive(Clone)]
pub struct MemoryCache {
    entries: moka::sync::Cache<String, Entry>,
}

#[derive(Clone)]
struct Entry {
    bytes: Arc<[u8]>,
    ttl: Duration,
}

/// Expires each entry after the TTL it was stored with.
struct StoredTtl;

impl Expiry<String, Entry> for StoredTtl {
    fn expire_after_create(&self, _: &String, value: &Entry, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        value: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

impl MemoryCache {
    /// A cache holding at most `max_entries`; the least useful are dropped first.
    pub fn new(max_entries: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(StoredTtl)
                .support_invalidation_closures()
                .build(),
        }
    }
}

impl Default for MemoryCache {
    /// Room for 100 000 entries: every customer and product of a mid-sized business.
    fn default() -> Self {
        Self::new(100_000)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.entries.get(key).map(|e| e.bytes.to_vec()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let entry = Entry {
            bytes: value.into(),
            ttl,
        };
        self.entries.insert(key.to_owned(), entry);
        Ok(())
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            self.entries.invalidate(key);
        }
        Ok(())
    }

    async fn clear(&self, prefix: &str) -> Result<()> {
        let prefix = prefix.to_owned();
        self.entries
            .invalidate_entries_if(move |k, _| k.starts_with(&prefix))
            .map(|_| ())
            .map_err(|e| {
                gotemp_core::Error::internal_from(format!("clearing the memory cache: {e}"), e)
            })
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
