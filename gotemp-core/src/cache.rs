//! Caching of lookups between services (a promotion's customer name, any get-by-id of master
//! data), built so that a cache can make requests faster but never make one fail or go stale
//! for longer than an event takes to arrive.
//!
//! [`Cache`] is the port an adapter implements (in-process, Redis): bytes in, bytes out, with a
//! TTL. [`CacheLayer`] is what services use: it names keys per entity and schema version,
//! serializes with serde, bounds every call with a timeout, and when the cache fails it serves
//! from the repository, logs one warning per outage, counts the failure, and retries the cache
//! now and then until it answers again. Evictions that could not reach the cache during an
//! outage are kept and replayed before the cache is trusted again.

use crate::entities::{Customer, Product};
use crate::error::Result;
use crate::event::Auditable;
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// A key-value store for serialized lookups. Errors mean "the cache could not answer"; callers
/// go to the repository instead, so an adapter reports failures rather than retrying at length.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value stored under `key`, if any and not expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()>;
    /// Removes the keys; missing ones are not an error.
    async fn delete(&self, keys: &[String]) -> Result<()>;
    /// Removes every key starting with `prefix` (used when evictions were lost in an outage).
    async fn clear(&self, prefix: &str) -> Result<()>;
    /// Whether the cache answers at all.
    async fn ping(&self) -> Result<()>;
    /// Short name for logs and metrics labels (`memory`, `redis`).
    fn backend(&self) -> &'static str;
}

/// Two tiers: a small in-process cache in front of a shared one (Redis). A warm read costs a
/// memory lookup instead of a network round trip (about 1 µs against 60 µs on loopback), at a
/// price: an instance's near tier learns of another instance's change only from the change
/// event (milliseconds later) or when its short TTL runs out, instead of at once. Use it for
/// read-heavy deployments that accept that window; the default is the shared tier alone.
pub struct TieredCache {
    near: Arc<dyn Cache>,
    far: Arc<dyn Cache>,
    near_ttl: Duration,
}

impl TieredCache {
    /// `near` in front of `far`; entries live in `near` for at most `near_ttl`.
    pub fn new(near: Arc<dyn Cache>, far: Arc<dyn Cache>, near_ttl: Duration) -> Self {
        Self {
            near,
            far,
            near_ttl,
        }
    }
}

#[async_trait]
impl Cache for TieredCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some(bytes) = self.near.get(key).await? {
            return Ok(Some(bytes));
        }
        let found = self.far.get(key).await?;
        if let Some(bytes) = &found {
            self.near.set(key, bytes, self.near_ttl).await?;
        }
        Ok(found)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        self.far.set(key, value, ttl).await?;
        self.near.set(key, value, ttl.min(self.near_ttl)).await
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        // Near first: even when the far tier fails, this instance stops serving the old value.
        self.near.delete(keys).await?;
        self.far.delete(keys).await
    }

    async fn clear(&self, prefix: &str) -> Result<()> {
        self.near.clear(prefix).await?;
        self.far.clear(prefix).await
    }

    async fn ping(&self) -> Result<()> {
        self.far.ping().await
    }

    fn backend(&self) -> &'static str {
        self.far.backend()
    }
}

/// An entity that may be cached. The schema version is part of every key, so a deployment that
/// changes the entity's shape bumps it and never reads entries written by the old code.
pub trait Cacheable: Auditable + Serialize + DeserializeOwned + Send + Sync {
    /// Bumped whenever the serialized shape changes.
    const SCHEMA_VERSION: u32;
    /// The name in its keys; differs from the object name when the object is also cached in
    /// another shape.
    const CACHE_NAME: &'static str = Self::OBJECT_NAME;
}

impl Cacheable for Customer {
    const SCHEMA_VERSION: u32 = 1;
}

impl Cacheable for Product {
    /// 2: `hierarchy_level` is always a string (it could be null).
    const SCHEMA_VERSION: u32 = 2;
}

/// What is cached of each object whose change events evict entries: object name, the name its
/// entries are kept under, and their schema version. Were one object cached in several shapes,
/// each would be listed, and a change would evict them all.
///
/// A user's authentication status (roles, token version) is not among them: it is never in a
/// shared cache, where anyone holding its password could rewrite it (see the user service).
pub(crate) const CACHED_OBJECTS: [(&str, &str, u32); 2] =
    [cached::<Customer>(), cached::<Product>()];

const fn cached<T: Cacheable>() -> (&'static str, &'static str, u32) {
    (T::OBJECT_NAME, T::CACHE_NAME, T::SCHEMA_VERSION)
}

mod directory;
mod keys;
mod layer;
pub use directory::CachedCustomerDirectory;
pub use layer::{CacheLayer, CacheSettings, CacheStats};

#[cfg(test)]
mod tenant_tests;
#[cfg(test)]
mod tests;
