//! Get-by-id with and without the lookup cache (a benchmark, not a test): the repository alone,
//! then the in-process and the Redis cache, each cold (the entry evicted before every read: a
//! miss, a load and a store) and warm (a hit); on SQLite and on PostgreSQL. Also the promotion
//! read whose customer name is looked up through the cache, and a bare cache GET for reference.
//!
//! ```sh
//! cargo bench --bench cache_lookup --features postgres,redis   # GOTEMP_BENCH_READS=5000
//! ```

use gotemp::domain::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{Cache, CacheLayer, CacheSettings, TieredCache};
use gotemp::domain::entities::{Customer, NewCustomer, NewPromotion};
use gotemp::domain::ports::Repositories;
use gotemp::domain::values::TenantId;
use gotemp::store::cache::{MemoryCache, RedisCache};
use gotemp::{Gotemp, SecretString};
use gotemp_testing::{self as testing, Backend};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 100;

async fn app(repos: Repositories, cache: Option<Arc<dyn Cache>>, prefix: &str) -> Gotemp {
    let secret = SecretString::from("4j0c7zHmIsE6LJmeYP4H2GqON1oO/7GG4XREinGj9XA=");
    let tokens = Arc::new(TokenService::new(TokenSettings::new(secret)).unwrap());
    let settings = CacheSettings {
        prefix: prefix.into(),
        ..Default::default()
    };
    let mut services = Gotemp::builder().repositories(repos).tokens(tokens);
    if let Some(cache) = cache {
        services = services.cache(CacheLayer::new(cache, settings));
    }
    services.build().await.expect("the services are wired")
}

/// Times `n` calls of `op` (each given its index), excluding what `prepare` does before each.
async fn time<P, PF, O, OF>(label: &str, n: usize, mut prepare: P, mut op: O)
where
    P: FnMut(usize) -> PF,
    PF: Future<Output = ()>,
    O: FnMut(usize) -> OF,
    OF: Future<Output = ()>,
{
    let mut micros = Vec::with_capacity(n);
    let mut busy = Duration::ZERO;
    for i in 0..n {
        prepare(i).await;
        let started = Instant::now();
        op(i).await;
        let took = started.elapsed();
        busy += took;
        micros.push(took.as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    let pct = |p: f64| micros[((n - 1) as f64 * p).round() as usize];
    println!(
        "{label:<50} {:>9.0} reads/s   p50 {:>7.1} µs   p99 {:>7.1} µs",
        n as f64 / busy.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
}

fn id(i: usize) -> String {
    format!("bench-customer-{}", i % CUSTOMERS)
}

async fn measure_store(store_name: &str, repos: Repositories, redis_url: Option<&str>, n: usize) {
    let prefix = format!("gotemp-bench-{}", uuid::Uuid::now_v7().simple());
    let plain = app(repos.clone(), None, &prefix).await;
    let actor = &Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    let now = chrono::Utc::now();
    let mut promotions = Vec::new();
    for i in 0..CUSTOMERS {
        plain
            .customers()
            .create(
                actor,
                NewCustomer {
                    id: Some(id(i)),
                    name: format!("Customer {i}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let promotion = NewPromotion {
            name: format!("Promo {i}"),
            valid_from: Some(now),
            valid_thru: Some(now + chrono::Duration::days(30)),
            customer_id: id(i),
            ..Default::default()
        };
        promotions.push(
            plain
                .promotions()
                .create(actor, promotion)
                .await
                .unwrap()
                .id,
        );
    }
    let promotion = |i: usize| promotions[i % CUSTOMERS];

    let mut caches: Vec<(&str, Arc<dyn Cache>)> =
        vec![("memory", Arc::new(MemoryCache::default()))];
    if let Some(url) = redis_url {
        let redis: Arc<dyn Cache> = Arc::new(RedisCache::new(url, &Default::default()).unwrap());
        caches.push(("redis", redis.clone()));
        let near = Arc::new(MemoryCache::default());
        let tiered = TieredCache::new(near, redis, Duration::from_secs(5));
        caches.push(("memory+redis", Arc::new(tiered)));
    }

    println!("\n{store_name}: {n} reads over {CUSTOMERS} customers");
    let noop = |_| async {};
    time("customer get, no cache", n, noop, |i| {
        let app = &plain;
        async move {
            app.customers().get(actor, &id(i)).await.unwrap();
        }
    })
    .await;
    for (cache_name, cache) in &caches {
        let cached = app(repos.clone(), Some(cache.clone()), &prefix).await;
        let layer = cached.cache().cloned().unwrap();
        let label = format!("customer get, {cache_name} cache, cold");
        time(
            &label,
            n,
            |i| {
                let layer = layer.clone();
                async move {
                    layer
                        .evict::<Customer>(&TenantId::default_tenant(), &id(i))
                        .await
                }
            },
            |i| {
                let app = &cached;
                async move {
                    app.customers().get(actor, &id(i)).await.unwrap();
                }
            },
        )
        .await;
        let label = format!("customer get, {cache_name} cache, warm");
        time(&label, n, noop, |i| {
            let app = &cached;
            async move {
                app.customers().get(actor, &id(i)).await.unwrap();
            }
        })
        .await;
        let stats = layer.stats();
        assert_eq!(stats.errors, 0, "{cache_name}: the cache never failed");
    }
    time("promotion get + name, no cache", n, noop, |i| {
        let app = &plain;
        async move {
            app.promotions().get(actor, promotion(i)).await.unwrap();
        }
    })
    .await;
    for (cache_name, cache) in &caches {
        let cached = app(repos.clone(), Some(cache.clone()), &prefix).await;
        let label = format!("promotion get + name, {cache_name} cache, warm");
        time(&label, n, noop, |i| {
            let app = &cached;
            async move {
                app.promotions().get(actor, promotion(i)).await.unwrap();
            }
        })
        .await;
    }
    for (cache_name, cache) in &caches {
        let key = format!("{prefix}:customer:v1:{}", id(0));
        let label = format!("bare {cache_name} GET of one entry");
        time(&label, n, noop, |_| {
            let (cache, key) = (cache.clone(), &key);
            async move {
                cache.get(key).await.unwrap().expect("cached");
            }
        })
        .await;
        cache.clear(&format!("{prefix}:")).await.unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("GOTEMP_BENCH_READS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let redis_url = match testing::configured_url(Backend::Redis).await {
        Ok(url) => Some(url),
        Err(why) => testing::skip(Backend::Redis, "cache_lookup bench (Redis rows)", &why),
    };
    let sqlite = testing::sqlite_store().await;
    measure_store("SQLite", sqlite.repos.clone(), redis_url.as_deref(), n).await;
    sqlite.finish().await;

    let Some(pg) = testing::postgres_store("cache_lookup bench").await else {
        return;
    };
    measure_store("PostgreSQL", pg.repos.clone(), redis_url.as_deref(), n).await;
    pg.finish().await;
}
