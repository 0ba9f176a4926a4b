//! The two cache adapters behave alike: the in-process one, and Redis on loopback (a test
//! prefix of its own, so parallel tests and other users of that Redis are untouched).

use gotemp_core::cache::Cache;
use gotemp_store::cache::{MemoryCache, RedisCache};
use gotemp_testing::{self as testing, Backend};
use std::time::Duration;

async fn behaves_like_a_cache(cache: &dyn Cache, prefix: &str) {
    let key = |k: &str| format!("{prefix}:{k}");
    cache.ping().await.unwrap();
    assert_eq!(cache.get(&key("a")).await.unwrap(), None, "empty at first");

    cache
        .set(&key("a"), b"alpha", Duration::from_secs(60))
        .await
        .unwrap();
    cache
        .set(&key("b"), b"beta", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key("a")).await.unwrap().as_deref(),
        Some(&b"alpha"[..])
    );

    cache
        .set(&key("a"), b"alpha 2", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get(&key("a")).await.unwrap().as_deref(),
        Some(&b"alpha 2"[..]),
        "set overwrites"
    );

    cache.delete(&[key("a"), key("missing")]).await.unwrap();
    assert_eq!(cache.get(&key("a")).await.unwrap(), None, "deleted");
    assert!(cache.get(&key("b")).await.unwrap().is_some(), "others kept");
    cache.delete(&[]).await.unwrap();

    cache
        .set(&key("short"), b"gone soon", Duration::from_millis(100))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        cache.get(&key("short")).await.unwrap(),
        None,
        "expired after its TTL"
    );

    let outside = format!("{prefix}-other:x");
    cache
        .set(&outside, b"not mine", Duration::from_secs(60))
        .await
        .unwrap();
    cache
        .set(&key("c*"), b"glob", Duration::from_secs(60))
        .await
        .unwrap();
    cache.clear(&format!("{prefix}:")).await.unwrap();
    assert_eq!(cache.get(&key("b")).await.unwrap(), None, "cleared");
    assert_eq!(cache.get(&key("c*")).await.unwrap(), None, "cleared");
    assert!(
        cache.get(&outside).await.unwrap().is_some(),
        "clear touches only its prefix"
    );
    cache.delete(&[outside]).await.unwrap();
}

fn prefix() -> String {
    format!("gotemp-test-{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test]
async fn memory_cache_behaves_like_a_cache() {
    behaves_like_a_cache(&MemoryCache::new(1000), &prefix()).await;
}

#[tokio::test]
async fn redis_cache_behaves_like_a_cache() {
    let url = match testing::configured_url(Backend::Redis).await {
        Ok(url) => url,
        Err(why) => {
            return testing::skip(Backend::Redis, "redis_cache_behaves_like_a_cache", &why)
                .unwrap_or(());
        }
    };
    let cache = RedisCache::new(&url, &Default::default()).unwrap();
    behaves_like_a_cache(&cache, &prefix()).await;
}

#[tokio::test]
async fn redis_cache_fails_fast_while_redis_is_away_and_reconnects_by_itself() {
    let test = "redis_cache_reconnects_by_itself";
    let Some(mut server) = testing::redis_server(test).await else {
        return;
    };
    let cache = RedisCache::new(&server.url("redis"), &Default::default()).unwrap();
    cache.set("k", b"v", Duration::from_secs(60)).await.unwrap();

    server.kill().await;
    let err = cache.get("k").await.unwrap_err();
    assert!(err.is_retriable(), "an outage is Unavailable: {err}");
    assert!(cache.ping().await.is_err());

    server.resume().await;
    let mut answered = false;
    for _ in 0..50 {
        if cache.ping().await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answered,
        "the same RedisCache works again once Redis is back"
    );
    cache
        .set("k", b"v2", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v2"[..]));
}

#[tokio::test]
async fn a_redis_cache_can_be_made_while_redis_is_down() {
    let test = "a_redis_cache_can_be_made_while_redis_is_down";
    let Some(mut server) = testing::redis_server(test).await else {
        return;
    };
    let url = server.url("redis");
    server.kill().await;
    let cache = RedisCache::new(&url, &Default::default()).expect("no connection needed yet");
    assert!(cache.get("k").await.is_err());
    server.resume().await;
    let mut answered = false;
    for _ in 0..50 {
        if cache.get("k").await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "connected once Redis came up");
}
