//! The lookup cache between services, end to end: a renamed customer is seen renamed by the
//! promotion lookup right after the change is committed — through a shared Redis, and in a
//! second instance with a cache of its own through the change events on NATS — and Redis going
//! away or hanging never fails a request and loses no eviction.

use gotemp::domain::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{Cache, CacheLayer, CacheSettings};
use gotemp::domain::entities::{
    Customer, CustomerChanges, NewCustomer, NewProduct, NewPromotion, ProductChanges,
};
use gotemp::domain::policy::{Role, Roles};
use gotemp::domain::ports::Repositories;
use gotemp::domain::values::TenantId;
use gotemp::events::nats::{self, NatsCacheInvalidator, NatsSettings, NatsSink};
use gotemp::events::{OutboxRelay, RelaySettings};
use gotemp::store::cache::{MemoryCache, RedisCache};
use gotemp::{Gotemp, SecretString};
use gotemp_testing::nats::NatsServer;
use gotemp_testing::{self as testing, Backend};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn settings() -> CacheSettings {
    CacheSettings {
        prefix: format!("gotemp-test-{}", uuid::Uuid::now_v7().simple()),
        retry_after: Duration::from_millis(200),
        ..CacheSettings::default()
    }
}

async fn instance(repos: Repositories, cache: Arc<dyn Cache>, settings: CacheSettings) -> Gotemp {
    let secret = SecretString::from("cache-test-secret-cache-test-secret!");
    let tokens = TokenService::new(TokenSettings::new(secret)).unwrap();
    Gotemp::builder()
        .repositories(repos)
        .tokens(Arc::new(tokens))
        .cache(CacheLayer::new(cache, settings))
        .build()
        .await
        .expect("the services are wired")
}

fn layer(app: &Gotemp) -> &CacheLayer {
    app.cache().as_ref().expect("the instance has a cache")
}

fn actor() -> Actor {
    Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1)
}

/// A customer named `Old Name` and a promotion for it; returns the promotion's id.
async fn customer_with_promotion(app: &Gotemp, customer: &str) -> i64 {
    let now = chrono::Utc::now();
    app.customers()
        .create(
            &actor(),
            NewCustomer {
                id: Some(customer.into()),
                name: "Old Name".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.promotions()
        .create(
            &actor(),
            NewPromotion {
                name: format!("Promo for {customer}"),
                valid_from: Some(now),
                valid_thru: Some(now + chrono::Duration::days(30)),
                customer_id: customer.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

async fn rename(app: &Gotemp, customer: &str, name: &str) {
    let changes = CustomerChanges {
        name: Some(name.into()),
        ..Default::default()
    };
    app.customers()
        .update(&actor(), customer, changes, None)
        .await
        .unwrap();
}

/// The customer name the promotion lookup shows.
async fn shown_name(app: &Gotemp, promotion: i64) -> String {
    let promotion = app
        .promotions()
        .get(&actor(), promotion)
        .await
        .expect("the read succeeds");
    promotion
        .customer_name
        .expect("the lookup found the customer")
}

/// The configured Redis (the one of `scripts/test`) and a fresh PostgreSQL store, or a loud skip.
async fn shared_redis_and_store(test: &str) -> Option<(Arc<dyn Cache>, testing::TestStore)> {
    let url = match testing::configured_url(Backend::Redis).await {
        Ok(url) => url,
        Err(why) => return testing::skip(Backend::Redis, test, &why),
    };
    let store = testing::postgres_store(test).await?;
    let redis: Arc<dyn Cache> = Arc::new(RedisCache::new(&url, &Default::default()).unwrap());
    Some((redis, store))
}

#[tokio::test]
async fn a_rename_is_seen_at_once_by_a_second_instance_sharing_redis() {
    let test = "a_rename_is_seen_at_once_by_a_second_instance_sharing_redis";
    let Some((redis, store)) = shared_redis_and_store(test).await else {
        return;
    };
    let settings = settings();
    let customers = instance(store.repos.clone(), redis.clone(), settings.clone()).await;
    let promotions = instance(store.open_again().await, redis.clone(), settings).await;

    let promo = customer_with_promotion(&customers, "renamed-co").await;
    assert_eq!(shown_name(&promotions, promo).await, "Old Name");
    assert_eq!(shown_name(&promotions, promo).await, "Old Name");
    assert!(
        layer(&promotions).stats().hits >= 1,
        "the second lookup came from Redis"
    );
    let key = layer(&promotions).key::<Customer>(&TenantId::default_tenant(), "renamed-co");
    assert!(
        redis.get(&key).await.unwrap().is_some(),
        "cached in Redis under {key}"
    );

    rename(&customers, "renamed-co", "New Name").await;
    // No waiting: the instance that committed evicted the shared entry before answering.
    assert_eq!(shown_name(&promotions, promo).await, "New Name");
    let customer = promotions.customers().get(&actor(), "renamed-co").await;
    assert_eq!(customer.unwrap().name, "New Name");

    store.finish().await;
}

/// A user's roles and token version are never kept in the shared Redis, where every pod holds
/// the password: a status written there (say, by a compromised pod making a user an admin) is
/// never read, and a revocation is not undone by a stale entry.
#[tokio::test]
async fn authorization_state_is_never_trusted_from_redis() {
    let test = "authorization_state_is_never_trusted_from_redis";
    let Some((redis, store)) = shared_redis_and_store(test).await else {
        return;
    };
    let settings = settings();
    let prefix = settings.prefix.clone();
    let app = instance(store.repos.clone(), redis.clone(), settings).await;
    let password = SecretString::from("a password for the cache test");
    let viewer = gotemp::domain::entities::NewUser {
        first_name: "Vi".into(),
        last_name: "Ewer".into(),
        email: "viewer@cache.example".into(),
        company: None,
        valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        active: true,
        roles: Some(Roles::of(&[Role::Viewer])),
        password: password.clone(),
    };
    let user = app
        .users()
        .create(
            &Actor::system(gotemp::domain::values::TenantId::default_tenant()),
            viewer,
        )
        .await
        .unwrap();
    let login = app
        .users()
        .login("viewer@cache.example", &password)
        .await
        .unwrap();
    let who = app.users().authenticate(&login.token).await.unwrap();
    assert_eq!(who.actor.roles, Roles::of(&[Role::Viewer]));
    // What the shared cache would have held under the user's id: nothing, and a forged entry
    // changes nothing.
    let key = format!("{prefix}:user:v1:{}", user.id);
    assert!(
        redis.get(&key).await.unwrap().is_none(),
        "nothing under {key}"
    );
    let forged = serde_json::json!({"user": {"roles": ["admin"]}, "token_version": 1});
    let forged = serde_json::to_vec(&forged).unwrap();
    redis
        .set(&key, &forged, Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let who = app.users().authenticate(&login.token).await.unwrap();
    assert_eq!(
        who.actor.roles,
        Roles::of(&[Role::Viewer]),
        "the store decides"
    );
    store.finish().await;
}

#[tokio::test]
async fn change_events_over_nats_evict_the_cache_of_every_instance() {
    let test = "change_events_over_nats_evict_the_cache_of_every_instance";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let Some(server) = NatsServer::start(test).await else {
        return;
    };
    let client = nats::connect(&server.url()).await.unwrap();
    // Two instances, each with a cache of its own: only events can tell B that A changed data.
    let a = instance(
        store.repos.clone(),
        Arc::new(MemoryCache::default()),
        settings(),
    )
    .await;
    let b = instance(
        store.open_again().await,
        Arc::new(MemoryCache::default()),
        settings(),
    )
    .await;
    let mut followers = Vec::new();
    for app in [&a, &b] {
        let cache = layer(app).clone();
        followers.push(
            NatsCacheInvalidator::new(client.clone(), NatsSettings::default(), cache).spawn(),
        );
    }

    let promo = customer_with_promotion(&a, "evented-co").await;
    let product = a
        .products()
        .create(
            &actor(),
            NewProduct {
                id: Some("evented-duck".into()),
                name: "Old Duck".into(),
                hierarchy_level: "sku".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(shown_name(&b, promo).await, "Old Name");
    assert_eq!(
        b.products().get(&actor(), &product.id).await.unwrap().name,
        "Old Duck"
    );

    // The relay is not running yet: B keeps serving its cached copies.
    rename(&a, "evented-co", "New Name").await;
    let changes = ProductChanges {
        name: Some("New Duck".into()),
        ..Default::default()
    };
    a.products()
        .update(&actor(), &product.id, changes, None)
        .await
        .unwrap();
    assert_eq!(
        shown_name(&b, promo).await,
        "Old Name",
        "B's own cache, not yet told"
    );
    assert_eq!(
        shown_name(&a, promo).await,
        "New Name",
        "A evicted its own at commit"
    );

    // The events reach NATS; B's follower evicts; B sees the change, long before the 2 h TTL.
    let sink = Arc::new(NatsSink::new(client.clone(), NatsSettings::default()));
    let relay =
        OutboxRelay::new(store.repos.outbox.clone(), sink, RelaySettings::default()).spawn();
    let started = Instant::now();
    while shown_name(&b, promo).await != "New Name" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B never saw the rename"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        b.products().get(&actor(), &product.id).await.unwrap().name,
        "New Duck"
    );

    relay.shutdown().await;
    for f in followers {
        f.shutdown().await;
    }
    store.finish().await;
}

mod outages;
