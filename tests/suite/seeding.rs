//! Replicas that start together (Kubernetes runs two user services with `--seed`) seed the demo
//! data once: the promotions, which have no key of their own to collide on, are not doubled.

use gotemp::domain::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::entities::PromotionFilter;
use gotemp::domain::page::PageRequest;
use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing as testing;
use std::sync::Arc;

const SECRET: &str = "seeding-test-secret-seeding-test-secret!";

async fn instance(repos: gotemp::domain::ports::Repositories) -> Gotemp {
    let tokens = TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap();
    gotemp_testing::wired(repos, Arc::new(tokens)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_seeding_at_once_seed_once() {
    let test = "replicas_seeding_at_once_seed_once";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let mut config = Config::embedded(SecretString::from(SECRET));
    config.auth.admin_password = SecretString::from("ops password of the tests");
    let replicas = [
        instance(store.repos.clone()).await,
        instance(store.open_again().await).await,
        instance(store.open_again().await).await,
    ];
    let [a, b, c] = &replicas;
    let (a, b, c) = tokio::join!(a.seed(&config), b.seed(&config), c.seed(&config));
    for report in [a, b, c] {
        report.unwrap();
    }
    let actor = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    for name in ["Promo1", "Promo2", "Promo3"] {
        let filter = PromotionFilter {
            name: Some(name.into()),
            ..Default::default()
        };
        let page = PageRequest::default();
        let found = replicas[0].promotions().list(&actor, &filter, &page).await;
        assert_eq!(found.unwrap().items.len(), 1, "{name} seeded once");
    }
    store.finish().await;
}

/// What makes it so: on PostgreSQL a section is held by one process's session at a time, and
/// let go when its holder leaves.
#[tokio::test]
async fn one_process_at_a_time_is_in_a_section() {
    let test = "one_process_at_a_time_is_in_a_section";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let other = store.open_again().await;
    let held = store.repos.exclusive.enter("gotemp.test").await.unwrap();
    let waiting = tokio::spawn(async move { other.exclusive.enter("gotemp.test").await.unwrap() });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second process waits while the first is in"
    );
    let elsewhere = store.repos.exclusive.enter("gotemp.other").await;
    assert!(elsewhere.is_ok(), "other sections are free");
    drop(held);
    let entered = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
    assert!(entered.is_ok(), "it enters once the first has left");
    store.finish().await;
}
