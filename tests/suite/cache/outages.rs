//! The cache when Redis fails: stopped mid-test, hung — requests still answered from the store,
//! caching resumed and missed evictions replayed — and the configuration naming the cache.

use super::*;

/// A SQLite-backed instance caching in a Redis server of the test's own.
async fn instance_on_own_redis(
    test: &str,
) -> Option<(Gotemp, gotemp_testing::ServerProcess, testing::TestStore)> {
    let server = testing::redis_server(test).await?;
    let store = testing::sqlite_store().await;
    let redis = RedisCache::new(&server.url("redis"), &Default::default()).unwrap();
    let app = instance(store.repos.clone(), Arc::new(redis), settings()).await;
    Some((app, server, store))
}

#[tokio::test]
async fn redis_stopped_mid_test_fails_no_request_and_caching_resumes() {
    let test = "redis_stopped_mid_test_fails_no_request_and_caching_resumes";
    let Some((app, mut server, store)) = instance_on_own_redis(test).await else {
        return;
    };
    let promo = customer_with_promotion(&app, "steady-co").await;
    let before = layer(&app).stats().hits;
    shown_name(&app, promo).await;
    shown_name(&app, promo).await;
    assert_eq!(
        layer(&app).stats().hits,
        before + 2,
        "both lookups came from Redis"
    );

    server.kill().await;
    for _ in 0..30 {
        assert_eq!(shown_name(&app, promo).await, "Old Name");
        app.customers().get(&actor(), "steady-co").await.unwrap();
    }
    rename(&app, "steady-co", "New Name").await;
    assert_eq!(shown_name(&app, promo).await, "New Name");
    let stats = layer(&app).stats();
    assert_eq!(stats.outages, 1, "one outage, one warning: {stats:?}");
    assert!(
        stats.bypassed >= 60,
        "served from the repository: {stats:?}"
    );
    assert!(layer(&app).is_degraded());

    server.resume().await;
    let hits_before = layer(&app).stats().hits;
    let started = Instant::now();
    while layer(&app).is_degraded() || layer(&app).stats().hits == hits_before {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "caching never resumed"
        );
        assert_eq!(shown_name(&app, promo).await, "New Name");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(layer(&app).stats().outages, 1);
    store.finish().await;
}

#[tokio::test]
async fn a_hung_redis_is_bypassed_and_evictions_it_missed_are_replayed() {
    let test = "a_hung_redis_is_bypassed_and_evictions_it_missed_are_replayed";
    let Some((app, server, store)) = instance_on_own_redis(test).await else {
        return;
    };
    let promo = customer_with_promotion(&app, "frozen-co").await;
    assert_eq!(shown_name(&app, promo).await, "Old Name"); // now cached in Redis

    server.freeze();
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(shown_name(&app, promo).await, "Old Name");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a hung cache must not hold a request"
        );
    }
    // The eviction cannot reach the frozen Redis, which still holds "Old Name".
    rename(&app, "frozen-co", "New Name").await;
    assert_eq!(shown_name(&app, promo).await, "New Name");

    server.thaw();
    let started = Instant::now();
    while layer(&app).is_degraded() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cache was never used again"
        );
        assert_eq!(shown_name(&app, promo).await, "New Name");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        assert_eq!(
            shown_name(&app, promo).await,
            "New Name",
            "the stale entry was evicted"
        );
    }
    assert!(layer(&app).stats().hits >= 1, "cached again");
    assert_eq!(layer(&app).stats().outages, 1);
    store.finish().await;
}

#[tokio::test]
async fn the_configuration_names_the_cache() {
    let dir = std::env::temp_dir().join(format!(
        "gotemp-cache-config-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config =
        gotemp::Config::embedded(SecretString::from("config-secret-config-secret-config!"));
    config.storage.url = gotemp::Store::sqlite_file(dir.join("gotemp.db"));

    assert!(
        Gotemp::open(&config).await.unwrap().cache().is_some(),
        "memory by default"
    );
    config.cache.url = "none".parse().expect("a valid backend URL");
    assert!(Gotemp::open(&config).await.unwrap().cache().is_none());
    let err = "memcached://cache:11211"
        .parse::<gotemp::CacheBackend>()
        .expect_err("an unknown cache is refused");
    assert!(
        err.to_string()
            .contains("cache must be `memory`, `none` or a redis:// URL"),
        "{err}"
    );

    match testing::configured_url(Backend::Redis).await {
        Ok(url) => {
            config.cache.url = url.parse().expect("a valid backend URL");
            config.cache.near_ttl = std::time::Duration::from_secs(5);
            let app = Gotemp::open(&config).await.unwrap();
            // A customer id of this run's own: the shared Redis outlives test databases.
            let customer = format!("cfg-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let promo = customer_with_promotion(&app, &customer).await;
            for _ in 0..3 {
                assert_eq!(shown_name(&app, promo).await, "Old Name");
            }
            rename(&app, &customer, "New Name").await;
            assert_eq!(
                shown_name(&app, promo).await,
                "New Name",
                "both tiers evicted at commit"
            );
            let layer = layer(&app);
            assert!(
                layer.stats().hits >= 2 && layer.stats().errors == 0,
                "{:?}",
                layer.stats()
            );
            layer
                .evict::<Customer>(&TenantId::default_tenant(), &customer)
                .await;
        }
        Err(why) => {
            testing::skip::<()>(
                Backend::Redis,
                "the_configuration_names_the_cache (redis part)",
                &why,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
