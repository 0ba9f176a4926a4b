//! The throttle's rules, on this replica's own counters.

use super::*;

fn strict() -> Throttle {
    Throttle::new(&ThrottleSettings {
        account_per_minute: 2,
        account_per_hour: 4,
        address_per_minute: 5,
        hashing_at_once: 1,
        hashing_wait: Duration::from_millis(50),
    })
}

#[tokio::test]
async fn failures_put_an_account_in_back_off_and_leave_others_alone() {
    let t = strict();
    let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
    for _ in 0..2 {
        assert_eq!(t.reserve("ann", ip).await.unwrap().failed().await, None);
    }
    // The third failure in a minute starts the back-off.
    assert!(t.reserve("ann", ip).await.unwrap().failed().await.is_some());
    let e = t.reserve("ann", ip).await.err().unwrap();
    let Error::TooManyRequests { retry_after, .. } = e else {
        panic!("{e:?}")
    };
    assert!(retry_after >= Duration::from_secs(1) && retry_after <= Duration::from_secs(60));
    t.reserve("bob", ip)
        .await
        .expect("another account from the same address")
        .succeeded()
        .await;
}

#[tokio::test]
async fn attempts_in_flight_count_before_their_hash_is_checked() {
    let t = strict();
    let first = t.reserve("ann", None).await.unwrap();
    let second = t.reserve("ann", None).await.unwrap();
    assert!(
        t.reserve("ann", None).await.is_err(),
        "at most {MAX_CHECKS_IN_FLIGHT} checks of one account at once"
    );
    first.failed().await;
    second.failed().await;
    // Two failed, budget 2: one more may be checked, and while it runs nothing else.
    let third = t.reserve("ann", None).await.unwrap();
    assert!(
        t.reserve("ann", None).await.is_err(),
        "the budget holds the one in flight"
    );
    third.succeeded().await;
    let fourth = t.reserve("ann", None).await.unwrap();
    drop(fourth);
    t.reserve("ann", None)
        .await
        .expect("an unsettled attempt is given back")
        .succeeded()
        .await;
}

#[tokio::test]
async fn sixty_guesses_at_once_are_not_sixty_checks() {
    let t = Throttle::new(&ThrottleSettings::default());
    let ip = Some("10.0.0.9".parse().unwrap());
    let mut checked = 0;
    let mut running = Vec::new();
    for round in 0..60 {
        if let Ok(attempt) = t.reserve("target", ip).await {
            checked += 1;
            running.push(attempt);
        }
        if round % 3 == 2 {
            for attempt in running.drain(..) {
                attempt.failed().await;
            }
        }
    }
    assert!(checked <= 10, "{checked} checked");
}

#[tokio::test]
async fn an_ipv6_network_is_one_address() {
    let t = strict();
    for n in 0..5 {
        let ip: IpAddr = format!("2001:db8:1:2::{n:x}").parse().unwrap();
        t.reserve(&format!("user{n}"), Some(ip))
            .await
            .unwrap()
            .succeeded()
            .await;
    }
    let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
    assert!(t.reserve("user9", Some(same_64)).await.is_err());
    let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    t.reserve("user9", Some(other_64))
        .await
        .unwrap()
        .succeeded()
        .await;
    assert_eq!(
        network("::ffff:10.1.2.3".parse().unwrap()),
        "10.1.2.3".parse::<IpAddr>().unwrap()
    );
}

#[tokio::test]
async fn an_address_is_limited_whatever_the_account() {
    let t = strict();
    let ip: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
    for n in 0..5 {
        t.reserve(&format!("user{n}"), ip)
            .await
            .unwrap()
            .succeeded()
            .await;
    }
    assert!(matches!(
        t.reserve("user9", ip).await,
        Err(Error::TooManyRequests { .. })
    ));
    t.reserve("user9", Some("10.0.0.3".parse().unwrap()))
        .await
        .expect("another address")
        .succeeded()
        .await;
}

#[tokio::test]
async fn a_full_table_forgets_the_least_recently_used_but_never_a_back_off() {
    let t = strict();
    let now = Instant::now();
    {
        let mut accounts = t.accounts();
        let mut blocked = Account::new(now);
        blocked.blocked_until = Some(now + HOUR);
        accounts.insert("blocked".into(), blocked);
        for n in 0..MAX_KEYS - 1 {
            accounts.insert(format!("idle{n}"), Account::new(now));
        }
    }
    t.reserve("newcomer", None).await.unwrap().succeeded().await;
    let accounts = t.accounts();
    assert_eq!(accounts.len(), MAX_KEYS);
    assert!(accounts.contains_key("blocked"), "the back-off is kept");
    assert!(
        !accounts.contains_key("idle0"),
        "the least recently used idle one went"
    );
}

#[tokio::test]
async fn hashing_waits_its_turn_then_gives_up() {
    let t = Arc::new(strict());
    let (started, release) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(std::sync::Barrier::new(2)),
    );
    let busy = {
        let (t, started, release) = (t.clone(), started.clone(), release.clone());
        tokio::spawn(async move {
            t.hashing(move || {
                started.notify_one();
                release.wait();
            })
            .await
        })
    };
    started.notified().await;
    let refused = t.hashing(|| ()).await.unwrap_err();
    assert!(matches!(refused, Error::Unavailable(_)), "{refused:?}");
    release.wait();
    busy.await.unwrap().unwrap();
    t.hashing(|| ()).await.expect("a free turn again");
}

use std::sync::Arc;
