use super::*;
use crate::error::Error;
use crate::values::TenantId;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// How the fake cache behaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Up,
    Down,
    /// Accepts the call and never answers.
    Hang,
}

pub(super) struct FakeCache {
    map: Mutex<HashMap<String, Vec<u8>>>,
    mode: Mutex<Mode>,
    calls: AtomicUsize,
    ttls: Mutex<Vec<Duration>>,
    cleared: Mutex<Vec<String>>,
}

impl FakeCache {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            map: Mutex::default(),
            mode: Mutex::new(Mode::Up),
            calls: AtomicUsize::new(0),
            ttls: Mutex::default(),
            cleared: Mutex::default(),
        })
    }
    fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    fn has(&self, key: &str) -> bool {
        self.map.lock().unwrap().contains_key(key)
    }
    async fn enter(&self) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Up => Ok(()),
            Mode::Down => Err(Error::unavailable("connection refused")),
            Mode::Hang => std::future::pending().await,
        }
    }
}

#[async_trait]
impl Cache for FakeCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.enter().await?;
        Ok(self.map.lock().unwrap().get(key).cloned())
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        self.enter().await?;
        self.ttls.lock().unwrap().push(ttl);
        self.map.lock().unwrap().insert(key.into(), value.to_vec());
        Ok(())
    }
    async fn delete(&self, keys: &[String]) -> Result<()> {
        self.enter().await?;
        let mut map = self.map.lock().unwrap();
        for k in keys {
            map.remove(k);
        }
        Ok(())
    }
    async fn clear(&self, prefix: &str) -> Result<()> {
        self.enter().await?;
        self.cleared.lock().unwrap().push(prefix.into());
        self.map
            .lock()
            .unwrap()
            .retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }
    async fn ping(&self) -> Result<()> {
        self.enter().await
    }
    fn backend(&self) -> &'static str {
        "fake"
    }
}

pub(super) fn customer(id: &str, name: &str) -> Customer {
    Customer {
        id: id.into(),
        name: name.into(),
        valid_from: Utc::now(),
        valid_thru: Utc::now(),
        extra_fields: Default::default(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        modified_by: 1,
        version: 1,
    }
}

pub(super) fn layer(cache: &Arc<FakeCache>) -> CacheLayer {
    CacheLayer::new(cache.clone(), CacheSettings::default())
}

/// Loads through the layer, counting how often the repository was asked.
async fn lookup(layer: &CacheLayer, id: &str, name: &str, loads: &AtomicUsize) -> Option<Customer> {
    layer
        .get_or_load::<Customer, _, _>(&TenantId::default_tenant(), id, || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(Some(customer(id, name)))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_miss_loads_and_stores_for_the_ttl_then_hits() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    assert_eq!(
        lookup(&layer, "c1", "One", &loads).await.unwrap().name,
        "One"
    );
    assert_eq!(
        lookup(&layer, "c1", "Other", &loads).await.unwrap().name,
        "One"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1, "second lookup is a hit");
    assert!(fake.has("gotemp:customer:v1:c1"));
    assert_eq!(*fake.ttls.lock().unwrap(), vec![Duration::from_secs(7200)]);
    let s = layer.stats();
    assert_eq!((s.hits, s.misses, s.errors), (1, 1, 0));
}

#[tokio::test]
async fn absent_objects_are_not_cached() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let got = layer
        .get_or_load::<Customer, _, _>(&TenantId::default_tenant(), "nobody", || async { Ok(None) })
        .await
        .unwrap();
    assert!(got.is_none());
    assert!(fake.map.lock().unwrap().is_empty());
}

#[tokio::test]
async fn repository_errors_reach_the_caller() {
    let layer = layer(&FakeCache::new());
    let err = layer
        .get_or_load::<Customer, _, _>(&TenantId::default_tenant(), "c1", || async {
            Err(Error::unavailable("db"))
        })
        .await
        .unwrap_err();
    assert_eq!(err, Error::unavailable("db"));
}

#[tokio::test]
async fn eviction_makes_the_next_lookup_load_again() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    lookup(&layer, "c1", "Old", &loads).await;
    layer
        .evict::<Customer>(&TenantId::default_tenant(), "c1")
        .await;
    assert_eq!(
        lookup(&layer, "c1", "New", &loads).await.unwrap().name,
        "New"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn change_events_evict_only_cached_kinds() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    lookup(&layer, "c1", "Old", &loads).await;
    assert!(
        !layer
            .evict_object(&TenantId::default_tenant(), "promotion", "c1")
            .await
    );
    assert!(fake.has("gotemp:customer:v1:c1"));
    assert!(
        layer
            .evict_object(&TenantId::default_tenant(), "customer", "c1")
            .await
    );
    assert!(!fake.has("gotemp:customer:v1:c1"));
    assert!(
        layer
            .evict_object(&TenantId::default_tenant(), "product", "p1")
            .await
    );
}

#[tokio::test]
async fn an_unreadable_entry_is_a_miss_and_is_overwritten() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    fake.map
        .lock()
        .unwrap()
        .insert("gotemp:customer:v1:c1".into(), b"{not json".to_vec());
    let loads = AtomicUsize::new(0);
    assert_eq!(
        lookup(&layer, "c1", "One", &loads).await.unwrap().name,
        "One"
    );
    assert_eq!(
        lookup(&layer, "c1", "One", &loads).await.unwrap().name,
        "One"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn an_outage_is_bypassed_counted_once_and_probed_rarely() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    fake.set_mode(Mode::Down);
    for _ in 0..50 {
        assert_eq!(
            lookup(&layer, "c1", "One", &loads).await.unwrap().name,
            "One"
        );
    }
    assert_eq!(loads.load(Ordering::SeqCst), 50, "every request served");
    assert_eq!(
        fake.calls(),
        1,
        "the cache is not asked again before retry_after"
    );
    assert!(layer.is_degraded());
    let s = layer.stats();
    assert_eq!((s.outages, s.errors, s.bypassed), (1, 1, 50));

    // Still down at the next probe: one more call, still one outage.
    tokio::time::advance(Duration::from_millis(1100)).await;
    lookup(&layer, "c1", "One", &loads).await;
    assert_eq!(fake.calls(), 2);
    assert_eq!(layer.stats().outages, 1);

    // Back: the probe succeeds and caching resumes.
    fake.set_mode(Mode::Up);
    tokio::time::advance(Duration::from_millis(1100)).await;
    lookup(&layer, "c1", "One", &loads).await;
    assert!(!layer.is_degraded());
    lookup(&layer, "c1", "One", &loads).await;
    assert_eq!(layer.stats().hits, 1, "cached again after recovery");
    assert_eq!(layer.stats().outages, 1);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_cache_costs_one_timeout_then_is_bypassed() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    fake.set_mode(Mode::Hang);
    let started = Instant::now();
    lookup(&layer, "c1", "One", &loads).await;
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(100),
        "bounded by the timeout"
    );
    let started = Instant::now();
    for _ in 0..10 {
        lookup(&layer, "c1", "One", &loads).await;
    }
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "bypassed without waiting"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 11);
}

#[tokio::test(start_paused = true)]
async fn evictions_missed_in_an_outage_are_replayed_before_the_cache_is_read() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let loads = AtomicUsize::new(0);
    lookup(&layer, "c1", "Old", &loads).await;
    fake.set_mode(Mode::Down);
    layer
        .evict::<Customer>(&TenantId::default_tenant(), "c1")
        .await; // fails: remembered
    assert!(layer.is_degraded());
    fake.set_mode(Mode::Up); // the cache still holds "Old"
    tokio::time::advance(Duration::from_millis(1100)).await;
    let got = lookup(&layer, "c1", "New", &loads).await.unwrap();
    assert_eq!(got.name, "New", "the stale entry was evicted first");
    assert!(!layer.is_degraded());
}

#[tokio::test(start_paused = true)]
async fn too_many_missed_evictions_clear_the_prefix_on_recovery() {
    let fake = FakeCache::new();
    let settings = CacheSettings {
        max_pending_evictions: 2,
        ..Default::default()
    };
    let layer = CacheLayer::new(fake.clone(), settings);
    let loads = AtomicUsize::new(0);
    lookup(&layer, "c9", "Old", &loads).await;
    fake.set_mode(Mode::Down);
    for id in ["c1", "c2", "c3"] {
        layer
            .evict::<Customer>(&TenantId::default_tenant(), id)
            .await;
    }
    fake.set_mode(Mode::Up);
    tokio::time::advance(Duration::from_millis(1100)).await;
    lookup(&layer, "c9", "New", &loads).await;
    assert_eq!(*fake.cleared.lock().unwrap(), vec!["gotemp:".to_string()]);
    assert!(!layer.is_degraded());
}

#[tokio::test]
async fn the_near_tier_answers_warm_reads_and_every_tier_is_evicted() {
    let near = FakeCache::new();
    let far = FakeCache::new();
    let tiered = TieredCache::new(near.clone(), far.clone(), Duration::from_secs(5));
    tiered
        .set("k", b"v", Duration::from_secs(7200))
        .await
        .unwrap();
    assert!(near.has("k") && far.has("k"));
    assert_eq!(
        *near.ttls.lock().unwrap(),
        vec![Duration::from_secs(5)],
        "near entries live no longer than the near TTL"
    );
    let far_calls = far.calls();
    assert_eq!(tiered.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(far.calls(), far_calls, "a warm read stays in process");

    // Another instance filled the far tier: a near miss reads it and keeps a copy.
    far.map
        .lock()
        .unwrap()
        .insert("other".into(), b"o".to_vec());
    assert_eq!(
        tiered.get("other").await.unwrap().as_deref(),
        Some(&b"o"[..])
    );
    assert!(near.has("other"));

    tiered.delete(&["k".into(), "other".into()]).await.unwrap();
    assert!(!near.has("k") && !far.has("k") && !near.has("other") && !far.has("other"));

    // With the far tier down, eviction still empties the near tier and reports the failure.
    tiered
        .set("k", b"v", Duration::from_secs(60))
        .await
        .unwrap();
    far.set_mode(Mode::Down);
    assert!(tiered.delete(&["k".into()]).await.is_err());
    assert!(!near.has("k"));
    assert!(tiered.ping().await.is_err(), "health is the far tier's");
}
