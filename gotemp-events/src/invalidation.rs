//! Cache invalidation driven by change events: every instance that caches lookups subscribes,
//! so a change made through any instance evicts the entry everywhere, not only where it was
//! made. The writer also evicts right after its commit; the event repeats it later, which
//! covers a read that fetched the old row just before the commit and cached it just after.

use crate::bus::EventHandler;
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::cache::CacheLayer;
use gotemp_core::event::AuditEvent;

/// Evicts the cache entry of each changed object an event names. Never fails: a cache that
/// cannot be reached keeps the eviction for later (see [`CacheLayer`]), and a failure here must
/// not hold up the audit pipeline it rides on.
#[derive(Clone)]
pub struct CacheInvalidator {
    cache: CacheLayer,
}

impl CacheInvalidator {
    /// Evicts from `cache`.
    pub fn new(cache: CacheLayer) -> Self {
        Self { cache }
    }

    /// Evicts what `event` changed.
    pub async fn apply(&self, event: &AuditEvent) {
        self.cache
            .evict_object(&event.tenant, &event.object_name, &event.object_id)
            .await;
    }
}

#[async_trait]
impl EventHandler for CacheInvalidator {
    async fn handle(&self, event: &AuditEvent) -> Result<()> {
        self.apply(event).await;
        Ok(())
    }
}
