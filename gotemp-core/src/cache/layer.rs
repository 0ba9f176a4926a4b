//! [`CacheLayer`]: typed access to a [`Cache`] that never fails a request and never serves an
//! entry for longer than an eviction event takes to arrive.

use super::{Cache, Cacheable};
use crate::error::{Error, Result};
use crate::values::TenantId;
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How the cache layer behaves; the defaults suit a cache on the same host or network.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// How long an entry lives when no event evicts it: the backstop for lost evictions.
    pub ttl: Duration,
    /// Longest a single cache call may take before the request goes to the repository.
    pub timeout: Duration,
    /// While the cache is failing, how often one request tries it again.
    pub retry_after: Duration,
    /// First segment of every key, so several deployments can share one Redis.
    pub prefix: String,
    /// Evictions remembered during an outage; past this many the whole prefix is cleared on
    /// recovery instead.
    pub max_pending_evictions: usize,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(2 * 3600),
            timeout: Duration::from_millis(100),
            retry_after: Duration::from_secs(1),
            prefix: "gotemp".into(),
            max_pending_evictions: 10_000,
        }
    }
}

/// Counters of what the cache layer did since it was built; also exported through the
/// `metrics` facade as `gotemp_cache_*` for Prometheus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered by the cache.
    pub hits: u64,
    /// Lookups the cache did not have (then loaded and stored).
    pub misses: u64,
    /// Lookups served from the repository because the cache was failing.
    pub bypassed: u64,
    /// Cache calls that failed or timed out.
    pub errors: u64,
    /// Times the cache went from working to failing.
    pub outages: u64,
}

/// Typed, failure-proof access to a [`Cache`], shared by every service of a process.
#[derive(Clone)]
pub struct CacheLayer {
    inner: Arc<Inner>,
}

struct Inner {
    cache: Arc<dyn Cache>,
    settings: CacheSettings,
    health: Mutex<Health>,
    stats: Counters,
}

#[derive(Default)]
struct Health {
    /// Set while the cache is failing: when the next request may try it.
    down_until: Option<Instant>,
    /// Keys whose eviction did not reach the cache.
    pending: HashSet<String>,
    /// More evictions were lost than `pending` holds: clear everything on recovery.
    overflowed: bool,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bypassed: AtomicU64,
    errors: AtomicU64,
    outages: AtomicU64,
}

/// What a request may do with the cache right now.
enum Access {
    Use,
    /// The cache is failing and it is not yet time to try again.
    Skip,
}

impl CacheLayer {
    /// Wraps `cache` with `settings`.
    pub fn new(cache: Arc<dyn Cache>, settings: CacheSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache,
                settings,
                health: Mutex::new(Health::default()),
                stats: Counters::default(),
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &CacheSettings {
        &self.inner.settings
    }

    /// What happened so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.inner.stats;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            bypassed: c.bypassed.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            outages: c.outages.load(Ordering::Relaxed),
        }
    }

    /// Whether the cache is currently considered failing (requests go to the repository).
    pub fn is_degraded(&self) -> bool {
        self.health().down_until.is_some()
    }

    /// Pings the cache, for readiness checks. Does not change the degraded state.
    pub async fn ping(&self) -> Result<()> {
        self.bounded("PING", self.inner.cache.ping()).await
    }

    /// `T` of `tenant` with `id` from the cache, or from `load` (then stored for the TTL). Only
    /// `load`'s errors reach the caller: a failing cache is bypassed.
    pub async fn get_or_load<T, F, Fut>(
        &self,
        tenant: &TenantId,
        id: &str,
        load: F,
    ) -> Result<Option<T>>
    where
        T: Cacheable,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let entity = T::OBJECT_NAME;
        if let Access::Skip = self.access().await {
            self.count(
                &self.inner.stats.bypassed,
                "gotemp_cache_bypassed_total",
                entity,
            );
            return load().await;
        }
        let key = self.key::<T>(tenant, id);
        match self.bounded("GET", self.inner.cache.get(&key)).await {
            Ok(Some(bytes)) => match serde_json::from_slice::<T>(&bytes) {
                Ok(value) => {
                    self.count(&self.inner.stats.hits, "gotemp_cache_hits_total", entity);
                    return Ok(Some(value));
                }
                Err(e) => {
                    // Written by other code under the same schema version: treat as a miss and
                    // overwrite it below.
                    tracing::warn!(key, error = %e, "cache entry unreadable; reloading it");
                }
            },
            Ok(None) => {}
            Err(e) => {
                self.failed(&e);
                self.count(
                    &self.inner.stats.bypassed,
                    "gotemp_cache_bypassed_total",
                    entity,
                );
                return load().await;
            }
        }
        self.count(
            &self.inner.stats.misses,
            "gotemp_cache_misses_total",
            entity,
        );
        let loaded = load().await?;
        if let Some(value) = &loaded {
            self.store(&key, value).await;
        }
        Ok(loaded)
    }

    /// Removes the cached `T` of `tenant` with `id`, in every shape it is cached in, after a
    /// change to it was committed.
    pub async fn evict<T: Cacheable>(&self, tenant: &TenantId, id: &str) {
        let mut keys = self.keys_of(tenant, T::OBJECT_NAME, id);
        let own = self.key::<T>(tenant, id);
        if !keys.contains(&own) {
            keys.push(own);
        }
        self.evict_keys(keys).await;
    }

    /// Removes the cached object of `tenant` a change event names; `false` when that kind of
    /// object is not cached. Used by the event subscribers that keep every instance's cache
    /// fresh.
    pub async fn evict_object(
        &self,
        tenant: &TenantId,
        object_name: &str,
        object_id: &str,
    ) -> bool {
        let keys = self.keys_of(tenant, object_name, object_id);
        if keys.is_empty() {
            return false;
        }
        self.evict_keys(keys).await;
        true
    }

    async fn evict_keys(&self, keys: Vec<String>) {
        if let Access::Use = self.access().await {
            match self.bounded("DEL", self.inner.cache.delete(&keys)).await {
                Ok(()) => return,
                Err(e) => self.failed(&e),
            }
        }
        self.remember(keys);
    }

    async fn store<T: Serialize>(&self, key: &str, value: &T) {
        let bytes = match serde_json::to_vec(value) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(key, error = %e, "cannot serialize a value for the cache");
                return;
            }
        };
        let ttl = self.inner.settings.ttl;
        if let Err(e) = self
            .bounded("SET", self.inner.cache.set(key, &bytes, ttl))
            .await
        {
            self.failed(&e);
        }
    }

    /// Decides whether this request may use the cache, and when a failing cache is due for
    /// another try, replays the evictions it missed before anyone reads from it again.
    async fn access(&self) -> Access {
        let (keys, overflowed) = {
            let mut h = self.health();
            match h.down_until {
                None => return Access::Use,
                Some(until) if Instant::now() < until => return Access::Skip,
                Some(_) => {
                    // This request probes; the others keep bypassing until it is done.
                    h.down_until = Some(Instant::now() + self.inner.settings.retry_after);
                    (h.pending.iter().cloned().collect::<Vec<_>>(), h.overflowed)
                }
            }
        };
        let cache = &self.inner.cache;
        let probe = if overflowed {
            self.bounded(
                "CLEAR",
                cache.clear(&format!("{}:", self.inner.settings.prefix)),
            )
            .await
        } else if keys.is_empty() {
            self.bounded("PING", cache.ping()).await
        } else {
            self.bounded("DEL", cache.delete(&keys)).await
        };
        match probe {
            Ok(()) => {
                let mut h = self.health();
                for k in &keys {
                    h.pending.remove(k);
                }
                if overflowed {
                    h.overflowed = false;
                }
                // Evictions that failed while we probed are still pending: stay down until the
                // next probe replays them.
                if h.pending.is_empty() && !h.overflowed {
                    h.down_until = None;
                    tracing::info!(backend = cache.backend(), "cache reachable again; using it");
                    metrics::gauge!("gotemp_cache_degraded", "backend" => cache.backend()).set(0.0);
                    return Access::Use;
                }
                Access::Skip
            }
            Err(e) => {
                self.count_error(&e);
                Access::Skip
            }
        }
    }

    fn failed(&self, error: &Error) {
        self.count_error(error);
        let mut h = self.health();
        if h.down_until.is_none() {
            h.down_until = Some(Instant::now() + self.inner.settings.retry_after);
            drop(h);
            let backend = self.inner.cache.backend();
            self.inner.stats.outages.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("gotemp_cache_outages_total", "backend" => backend).increment(1);
            metrics::gauge!("gotemp_cache_degraded", "backend" => backend).set(1.0);
            tracing::warn!(
                backend,
                %error,
                "cache unavailable; serving from the repositories until it answers again"
            );
        }
    }

    fn count_error(&self, error: &Error) {
        self.inner.stats.errors.fetch_add(1, Ordering::Relaxed);
        let backend = self.inner.cache.backend();
        metrics::counter!("gotemp_cache_errors_total", "backend" => backend).increment(1);
        tracing::debug!(backend, %error, "cache call failed");
    }

    fn remember(&self, keys: Vec<String>) {
        let mut h = self.health();
        for key in keys {
            if h.pending.len() >= self.inner.settings.max_pending_evictions {
                h.overflowed = true;
                h.pending.clear();
            }
            if !h.overflowed {
                h.pending.insert(key);
            }
        }
    }

    fn count(&self, counter: &AtomicU64, metric: &'static str, entity: &'static str) {
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(metric, "entity" => entity).increment(1);
    }

    /// Runs one cache call within the timeout, traced as a client span naming the operation and
    /// the backend, never the key — at debug level, traced only when asked for
    /// (`GOTEMP_TRACE_FILTER`): a warm read is on every request's path.
    async fn bounded<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        use tracing::Instrument as _;
        let span = tracing::debug_span!(
            "cache",
            otel.name = operation,
            otel.kind = "client",
            db.system.name = self.inner.cache.backend(),
            db.operation.name = operation,
        );
        let call = tokio::time::timeout(self.inner.settings.timeout, call).instrument(span);
        match call.await {
            Ok(result) => result,
            Err(_) => Err(Error::unavailable(format!(
                "cache did not answer within {:?}",
                self.inner.settings.timeout
            ))),
        }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        // A panic while holding this lock cannot leave it inconsistent: recover the guard.
        self.inner
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for CacheLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheLayer")
            .field("backend", &self.inner.cache.backend())
            .field("settings", &self.inner.settings)
            .field("stats", &self.stats())
            .finish()
    }
}
