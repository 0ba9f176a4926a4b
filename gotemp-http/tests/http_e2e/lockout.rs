//! Guessing passwords: wrong ones lock the account, not the address, and guesses sent at once —
//! to one replica or to two sharing Redis — never outrun the back-off.

use super::access::{DEMO_PASSWORD, seeded};
use crate::support::*;

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_not_the_address() {
    let (store, api) = seeded().await;
    let anonymous = api.with_token(None);
    let attempt = |email: &'static str, password: &'static str| {
        let anonymous = &anonymous;
        async move {
            let body = json!({"email": email, "password": password});
            anonymous.post("/v1/auth/login", body).await
        }
    };
    let mut refused = None;
    for n in 1..=10 {
        let r = attempt("ann.smith@ducksrus.example", "not her password").await;
        if r.status == 429 {
            refused = Some((n, r));
            break;
        }
        r.problem(401);
    }
    let (n, r) = refused.expect("a 429 within ten wrong passwords");
    assert!(
        n > 3,
        "a person may mistype a few times: refused at attempt {n}"
    );
    r.problem(429);
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=3600).contains(&wait), "Retry-After: {wait}");
    // Even the right password waits now; another account from the same address does not.
    attempt("ann.smith@ducksrus.example", DEMO_PASSWORD)
        .await
        .problem(429);
    let r = attempt("bob.jones@patoloco.example", DEMO_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.stop().await;
    store.finish().await;
}

/// Guesses sent all at once must not outrun the back-off: each reserves its attempt before its
/// hash runs, so of sixty at once from one address only a handful are checked at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_guesses_at_once_get_at_most_ten_checks() {
    let (store, api) = seeded().await;
    let anonymous = api.with_token(None);
    let wrong = json!({"email": "ann.smith@ducksrus.example", "password": "a guess"});
    let guesses = (0..60).map(|_| anonymous.post("/v1/auth/login", wrong.clone()));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == 401).count();
    let refused = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + refused, 60, "every guess is a 401 or a 429");
    assert!(checked <= 10, "{checked} of 60 guesses were checked");
    for r in answers.iter().filter(|r| r.status == 429) {
        let wait: u64 = r.header("retry-after").parse().unwrap();
        assert!(wait >= 1, "Retry-After: {wait}");
    }
    api.stop().await;
    store.finish().await;
}

/// Replicas share an account's budget through Redis: sixty guesses spread over two replicas
/// get no more checks than sixty sent to one.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_guesses_through_two_replicas_sharing_redis_get_at_most_ten_checks() {
    use gotemp::store::cache::{RedisAttempts, RedisCache};
    use gotemp_testing::Backend;
    let test = "sixty_guesses_through_two_replicas_sharing_redis";
    let url = match testing::configured_url(Backend::Redis).await {
        Ok(url) => url,
        Err(why) => return testing::skip(Backend::Redis, test, &why).unwrap_or(()),
    };
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let redis = RedisCache::new(&url, &Default::default()).unwrap();
    let prefix = format!("gotemp-test-{}", uuid::Uuid::now_v7().simple());
    let attempts = Arc::new(RedisAttempts::new(&redis, &prefix));
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from(DEMO_PASSWORD));
    let mut replicas = Vec::new();
    for n in 0..2 {
        let repositories = match n {
            0 => store.repos.clone(),
            _ => store.open_again().await,
        };
        let app = Gotemp::builder()
            .repositories(repositories)
            .tokens(tokens())
            .shared_attempts(attempts.clone())
            .build()
            .await
            .unwrap();
        if n == 0 {
            app.seed(&c).await.unwrap();
        }
        replicas.push(Api::start(app, HttpConfig::default()).await);
    }
    let wrong = json!({"email": "ann.smith@ducksrus.example", "password": "a guess"});
    let guesses = (0..60).map(|n| replicas[n % 2].post("/v1/auth/login", wrong.clone()));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == 401).count();
    let refused = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + refused, 60, "every guess is a 401 or a 429");
    assert!(
        checked <= 10,
        "{checked} of 60 guesses were checked, over two replicas"
    );
    // One at a time, alternating: the account's budget is one over both replicas, and the
    // back-off it ends in holds on both, for the right password too.
    let mut failures = checked;
    for n in 0..20 {
        let r = replicas[n % 2].post("/v1/auth/login", wrong.clone()).await;
        if r.status == 429 {
            break;
        }
        r.problem(401);
        failures += 1;
    }
    assert!(
        failures <= 6,
        "{failures} wrong passwords checked in a minute over two replicas"
    );
    for replica in &replicas {
        let right = json!({"email": "ann.smith@ducksrus.example", "password": DEMO_PASSWORD});
        replica.post("/v1/auth/login", right).await.problem(429);
    }
    for replica in replicas {
        replica.stop().await;
    }
    store.finish().await;
}
