//! The transactional outbox: one event per committed write, none for a failed one.

use super::{ACTOR, event, pending_events, period, text};
use crate::conformance::tenant;
use chrono::{Duration, Utc};
use gotemp_core::entities::*;
use gotemp_core::event::ActionType;
use gotemp_core::ports::Repositories;
use gotemp_core::values::{Email, EntityKey, PasswordHash};
use std::time::Duration as StdDuration;

fn user() -> UserDraft {
    UserDraft {
        first_name: text("Out"),
        last_name: text("Box"),
        email: Email::parse("email", "out@box.example").unwrap(),
        company: None,
        validity: period(2000, 2100),
        active: true,
        roles: gotemp_core::policy::Roles::default_for_new_user(),
        password_hash: Some(PasswordHash::new("$argon2id$v=19$secret-hash")),
        revoke_tokens: false,
    }
}

fn customer(id: &str) -> CustomerDraft {
    CustomerDraft {
        id: EntityKey::parse("id", id).unwrap(),
        name: text("C"),
        validity: period(2000, 2100),
        extra_fields: ExtraFields::new(),
        extras: (),
    }
}

/// Each create, update and delete of every entity leaves exactly one outbox event, in order,
/// naming the object after the change, with no secret in it.
pub async fn one_event_per_committed_write(r: &Repositories) {
    let u = r
        .users
        .create(&tenant(), &user(), event::<User>(ActionType::Insert))
        .await
        .unwrap();
    let u2 = r
        .users
        .update(
            &tenant(),
            u.id,
            &user(),
            1,
            event::<User>(ActionType::Update),
        )
        .await
        .unwrap();
    r.users
        .delete(&tenant(), u.id, 2, event::<User>(ActionType::Delete))
        .await
        .unwrap();
    r.customers
        .create(
            &tenant(),
            &customer("c1"),
            event::<Customer>(ActionType::Insert),
        )
        .await
        .unwrap();
    let c1 = r.customers.get(&tenant(), "c1").await.unwrap().unwrap();
    r.customers
        .update(
            &tenant(),
            &customer("c1"),
            &c1,
            event::<Customer>(ActionType::Update),
        )
        .await
        .unwrap();
    r.customers
        .delete(&tenant(), "c1", 2, event::<Customer>(ActionType::Delete))
        .await
        .unwrap();
    let pd = ProductDraft {
        id: EntityKey::parse("id", "p1").unwrap(),
        name: text("P"),
        extras: ProductExtras {
            hierarchy_level: text("sku"),
        },
        validity: period(2000, 2100),
        extra_fields: ExtraFields::new(),
    };
    let p1 = r
        .products
        .create(&tenant(), &pd, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    r.products
        .update(&tenant(), &pd, &p1, event::<Product>(ActionType::Update))
        .await
        .unwrap();
    r.products
        .delete(&tenant(), "p1", 2, event::<Product>(ActionType::Delete))
        .await
        .unwrap();
    let prd = PromotionDraft {
        name: text("Pr"),
        description: None,
        validity: period(2000, 2100),
        active: false,
        customer_id: EntityKey::parse("c", "c1").unwrap(),
        products: vec![],
        approval_status: 0,
        prev_approval_status: 0,
    };
    let p = r
        .promotions
        .create(&tenant(), &prd, event::<Promotion>(ActionType::Insert))
        .await
        .unwrap();
    r.promotions
        .update(
            &tenant(),
            p.id,
            &prd,
            1,
            event::<Promotion>(ActionType::Update),
        )
        .await
        .unwrap();
    r.promotions
        .delete(&tenant(), p.id, 2, event::<Promotion>(ActionType::Delete))
        .await
        .unwrap();

    let entries = r.outbox.pending(1000).await.unwrap();
    let got: Vec<(String, ActionType, String)> = entries
        .iter()
        .map(|e| {
            (
                e.event.object_name.clone(),
                e.event.action_type,
                e.event.object_id.clone(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for (name, id) in [
        ("user", u.id.to_string()),
        ("customer", "c1".into()),
        ("product", "p1".into()),
        ("promotion", p.id.to_string()),
    ] {
        for a in [ActionType::Insert, ActionType::Update, ActionType::Delete] {
            expected.push((name.to_owned(), a, id.clone()));
        }
    }
    assert_eq!(got, expected);
    assert!(
        entries.windows(2).all(|w| w[0].position < w[1].position),
        "in commit order"
    );
    let update = &entries[1].event;
    assert_eq!(
        update.object_detail["version"], 2,
        "the object after the change"
    );
    assert_eq!(update.object_detail["email"], u2.email);
    assert_eq!(update.performed_by, ACTOR);
    assert_eq!(update.topic(), "gotemp.audit.user.update");
    for e in &entries {
        let text = e.event.object_detail.to_string();
        assert!(
            !text.contains("password") && !text.contains("secret-hash") && !text.contains("argon2"),
            "secret in {text}"
        );
    }
}

/// Conflicts, stale versions and missing objects leave no event behind.
pub async fn nothing_for_failed_writes(r: &Repositories) {
    let u = r
        .users
        .create(&tenant(), &user(), event::<User>(ActionType::Insert))
        .await
        .unwrap();
    r.customers
        .create(
            &tenant(),
            &customer("c1"),
            event::<Customer>(ActionType::Insert),
        )
        .await
        .unwrap();
    assert_eq!(pending_events(r).await, 2);
    assert!(
        r.users
            .create(&tenant(), &user(), event::<User>(ActionType::Insert))
            .await
            .is_err(),
        "duplicate e-mail"
    );
    assert!(
        r.users
            .update(
                &tenant(),
                u.id,
                &user(),
                7,
                event::<User>(ActionType::Update)
            )
            .await
            .is_err(),
        "stale"
    );
    assert!(
        r.users
            .delete(&tenant(), u.id + 100, 1, event::<User>(ActionType::Delete))
            .await
            .is_err(),
        "missing"
    );
    assert!(
        r.customers
            .create(
                &tenant(),
                &customer("c1"),
                event::<Customer>(ActionType::Insert)
            )
            .await
            .is_err(),
        "duplicate id"
    );
    assert!(
        r.customers
            .delete(&tenant(), "c1", 5, event::<Customer>(ActionType::Delete))
            .await
            .is_err(),
        "stale"
    );
    let c1 = r.customers.get(&tenant(), "c1").await.unwrap().unwrap();
    let stale = Customer { version: 5, ..c1 };
    assert!(
        r.customers
            .update(
                &tenant(),
                &customer("c1"),
                &stale,
                event::<Customer>(ActionType::Update)
            )
            .await
            .is_err(),
        "stale"
    );
    let gone = Customer {
        id: "c2".into(),
        ..stale
    };
    assert!(
        r.customers
            .update(
                &tenant(),
                &customer("c2"),
                &gone,
                event::<Customer>(ActionType::Update)
            )
            .await
            .is_err(),
        "missing"
    );
    assert_eq!(pending_events(r).await, 2, "failed writes added no event");
}

/// A customer's and a product's create and update queue an event whose detail is exactly the
/// object as stored and returned — whether the store writes the event with the change in one
/// statement or after it — free-form attributes of every JSON kind included.
pub async fn master_events_hold_the_stored_object(r: &Repositories) {
    let mut draft = customer("exact");
    draft.extra_fields = serde_json::json!({
        "b": 1.5, "a": {"z": [1, "x", null, true]}, "n": null, "big": 9007199254740993_i64,
        "text": "ünïcode ✓ \"quoted\"", "neg": -0.25,
    })
    .as_object()
    .unwrap()
    .clone();
    let created = (r.customers)
        .create(&tenant(), &draft, event::<Customer>(ActionType::Insert))
        .await
        .unwrap();
    draft.name = text("Exact, renamed");
    let updated = (r.customers)
        .update(
            &tenant(),
            &draft,
            &created,
            event::<Customer>(ActionType::Update),
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.created_at, created.created_at);
    let pd = ProductDraft {
        id: EntityKey::parse("id", "exact-p").unwrap(),
        name: text("P"),
        extras: ProductExtras {
            hierarchy_level: text("sku"),
        },
        validity: period(2000, 2100),
        extra_fields: ExtraFields::new(),
    };
    let product = (r.products)
        .create(&tenant(), &pd, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    let stored = [
        serde_json::to_value(&created).unwrap(),
        serde_json::to_value(&updated).unwrap(),
        serde_json::to_value(&product).unwrap(),
    ];
    let pending = r.outbox.pending(10).await.unwrap();
    let details: Vec<&serde_json::Value> = pending.iter().map(|e| &e.event.object_detail).collect();
    assert_eq!(details, stored.iter().collect::<Vec<_>>());
    assert_eq!(updated.extra_fields, draft.extra_fields);
}

/// Sent events leave the pending list; pruning removes only sent events older than the cut.
pub async fn mark_sent_and_prune(r: &Repositories) {
    for id in ["a", "b", "c"] {
        r.customers
            .create(
                &tenant(),
                &customer(id),
                event::<Customer>(ActionType::Insert),
            )
            .await
            .unwrap();
    }
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
    for id in ["a", "b"] {
        r.customers
            .create(
                &tenant(),
                &customer(id),
                event::<Customer>(ActionType::Insert),
            )
            .await
            .unwrap();
    }
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
    for id in ["a", "b", "c"] {
        r.customers
            .create(
                &tenant(),
                &customer(id),
                event::<Customer>(ActionType::Insert),
            )
            .await
            .unwrap();
    }
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
