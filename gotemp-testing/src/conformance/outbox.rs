//! The transactional outbox: one event per committed write, none for a failed one.

use super::{ACTOR, event, pending_events, period, text};
use crate::conformance::tenant;
use gotemp_core::entities::*;
use gotemp_core::event::ActionType;
use gotemp_core::ports::Repositories;
use gotemp_core::values::{Email, EntityKey, PasswordHash};

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

pub(super) fn customer(id: &str) -> CustomerDraft {
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
