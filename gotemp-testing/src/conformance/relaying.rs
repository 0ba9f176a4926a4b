//! What a relay needs of an outbox: marking sent and pruning, setting aside and requeueing,
//! leased claims, and a wake-up when a write commits.

use super::outbox::customer;
use super::{event, pending_events};
use crate::conformance::tenant;
use chrono::{Duration, Utc};
use gotemp_core::entities::*;
use gotemp_core::event::ActionType;
use gotemp_core::ports::Repositories;
use std::time::Duration as StdDuration;

/// Customers with `ids`, each write queueing its event.
async fn customers(r: &Repositories, ids: &[&str]) {
    for id in ids {
        let insert = event::<Customer>(ActionType::Insert);
        r.customers
            .create(&tenant(), &customer(id), insert)
            .await
            .unwrap();
    }
}

/// Sent events leave the pending list; pruning removes only sent events older than the cut.
pub async fn mark_sent_and_prune(r: &Repositories) {
    customers(r, &["a", "b", "c"]).await;
    let pending = r.outbox.pending(2).await.unwrap();
    assert_eq!(pending.len(), 2, "limit respected");
    r.outbox.mark_sent(&[pending[0].position]).await.unwrap();
    r.outbox.mark_sent(&[]).await.unwrap();
    let rest = r.outbox.pending(10).await.unwrap();
    assert_eq!(
        rest.iter()
            .map(|e| e.event.object_id.as_str())
            .collect::<Vec<_>>(),
        ["b", "c"]
    );
    assert_eq!(
        r.outbox
            .prune_sent(Utc::now() - Duration::hours(1))
            .await
            .unwrap(),
        0,
        "too recent"
    );
    assert_eq!(
        r.outbox
            .prune_sent(Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(pending_events(r).await, 2, "unsent events are never pruned");
}

/// An event set aside leaves the queue (no claim, backlog or lag sees it) but not the outbox:
/// it is listed with its reason, never pruned, and a requeue puts it back in its place.
pub async fn set_aside_and_requeue(r: &Repositories) {
    customers(r, &["a", "b"]).await;
    let claimed = r
        .outbox
        .claim(10, StdDuration::from_secs(30))
        .await
        .unwrap();
    let (first, second) = (claimed[0].position, claimed[1].position);
    r.outbox
        .set_aside(first, "too large for the broker")
        .await
        .unwrap();
    r.outbox.mark_sent(&[second]).await.unwrap();
    assert_eq!(r.outbox.backlog().await.unwrap(), 0);
    assert_eq!(r.outbox.oldest_pending().await.unwrap(), None);
    assert_eq!(r.outbox.set_aside_count(None).await.unwrap(), 1);
    let aside = r.outbox.set_aside_events(&tenant(), 10).await.unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].position, first);
    assert_eq!(aside[0].event.object_id, "a");
    assert_eq!(aside[0].reason, "too large for the broker");
    let pruned = r.outbox.prune_sent(Utc::now() + Duration::hours(1)).await;
    assert_eq!(pruned.unwrap(), 1, "only the sent one");
    assert_eq!(
        r.outbox.set_aside_count(None).await.unwrap(),
        1,
        "never pruned"
    );

    assert!(r.outbox.requeue(&tenant(), first).await.unwrap());
    assert!(!r.outbox.requeue(&tenant(), first).await.unwrap(), "once");
    assert!(
        !r.outbox.requeue(&tenant(), second).await.unwrap(),
        "only what was set aside"
    );
    assert_eq!(r.outbox.set_aside_count(None).await.unwrap(), 0);
    let again = r
        .outbox
        .claim(10, StdDuration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].position, again[0].event.object_id.as_str()),
        (first, "a")
    );
}

/// Claims lease rows to one relay: others skip them until released, sent, or the lease ends.
pub async fn claims_lease_and_release(r: &Repositories) {
    use std::time::Duration as Std;
    customers(r, &["a", "b", "c"]).await;
    let ids = |v: &[gotemp_core::ports::OutboxEntry]| {
        v.iter()
            .map(|e| e.event.object_id.clone())
            .collect::<Vec<_>>()
    };
    let first = r.outbox.claim(2, Std::from_secs(60)).await.unwrap();
    assert_eq!(ids(&first), ["a", "b"], "oldest first");
    let second = r.outbox.claim(10, Std::from_secs(60)).await.unwrap();
    assert_eq!(ids(&second), ["c"], "leased rows are skipped");
    assert!(
        r.outbox
            .claim(10, Std::from_secs(60))
            .await
            .unwrap()
            .is_empty()
    );
    r.outbox.release(&[first[1].position]).await.unwrap();
    assert_eq!(
        ids(&r.outbox.claim(10, Std::from_secs(60)).await.unwrap()),
        ["b"],
        "released rows return at once"
    );
    r.outbox
        .mark_sent(&[first[0].position, first[1].position])
        .await
        .unwrap();
    assert_eq!(r.outbox.backlog().await.unwrap(), 1);
    // A lease that has run out (its relay died) makes the row claimable again.
    r.outbox.release(&[second[0].position]).await.unwrap();
    assert_eq!(ids(&r.outbox.claim(10, Std::ZERO).await.unwrap()), ["c"]);
    tokio::time::sleep(Std::from_millis(5)).await;
    assert_eq!(
        ids(&r.outbox.claim(10, Std::from_secs(60)).await.unwrap()),
        ["c"],
        "expired lease"
    );
    assert_eq!(
        r.outbox.pending(10).await.unwrap().len(),
        1,
        "claims do not send"
    );
}

/// A relay waiting for events wakes when a write commits, long before its backstop timeout.
pub async fn wait_for_new_wakes_on_commit(r: &Repositories) {
    let outbox = r.outbox.clone();
    let waiter = tokio::spawn(async move {
        let started = std::time::Instant::now();
        outbox
            .wait_for_new(std::time::Duration::from_secs(60))
            .await;
        started.elapsed()
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    r.customers
        .create(
            &tenant(),
            &customer("wake"),
            event::<Customer>(ActionType::Insert),
        )
        .await
        .unwrap();
    let waited = tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
        .await
        .expect("the waiter did not wake on the commit")
        .unwrap();
    assert!(
        waited < std::time::Duration::from_secs(10),
        "woke after {waited:?}"
    );
}
