//! Promotions.

use super::{ACTOR, event, period, text, walk, year};
use crate::conformance::tenant;
use gotemp_core::entities::{
    Discount, Promotion, PromotionDraft, PromotionFilter, PromotionProduct,
};
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::page::PageSpec;
use gotemp_core::ports::Repositories;
use gotemp_core::values::EntityKey;

fn line(product: &str, values: &[f64]) -> PromotionProduct {
    PromotionProduct {
        product_id: product.into(),
        upc_code: Some(format!("upc-{product}")),
        discounts: values
            .iter()
            .enumerate()
            .map(|(i, v)| Discount {
                id: i as i64 + 1,
                value: *v,
                kind: 1,
                description: Some(format!("d{i}")),
            })
            .collect(),
    }
}

fn draft(name: &str, customer: &str, products: Vec<PromotionProduct>) -> PromotionDraft {
    PromotionDraft {
        name: text(name),
        description: Some(text("a promotion")),
        validity: period(2000, 2200),
        active: true,
        customer_id: EntityKey::parse("customer_id", customer).unwrap(),
        products,
        approval_status: 0,
        prev_approval_status: 0,
    }
}

async fn create(r: &Repositories, d: &PromotionDraft) -> Promotion {
    r.promotions
        .create(&tenant(), d, event::<Promotion>(ActionType::Insert))
        .await
        .unwrap()
}

/// Create, get, update and delete round-trip every field, products and discounts included.
pub async fn create_get_update_delete(r: &Repositories) {
    let d = draft(
        "Promo1",
        "ducksrus",
        vec![line("switch", &[10.5, 2.25]), line("tele", &[5.0])],
    );
    let created = create(r, &d).await;
    assert!(created.id > 0);
    assert_eq!(created.name, "Promo1");
    assert_eq!(created.description.as_deref(), Some("a promotion"));
    assert_eq!(
        (created.valid_from, created.valid_thru),
        (year(2000), year(2200))
    );
    assert_eq!(created.customer_id, "ducksrus");
    assert_eq!(
        created.customer_name, None,
        "the store never fills the looked-up name"
    );
    assert_eq!(
        created.products, d.products,
        "products and discounts round-trip exactly"
    );
    assert_eq!(
        (created.approval_status, created.prev_approval_status),
        (0, 0)
    );
    assert_eq!((created.modified_by, created.version), (ACTOR, 1));
    assert_eq!(
        r.promotions.get(&tenant(), created.id).await.unwrap(),
        Some(created.clone())
    );

    let mut d2 = draft("Promo1b", "patoloco", vec![line("fridge", &[1.0])]);
    d2.description = None;
    d2.active = false;
    d2.approval_status = 2;
    d2.prev_approval_status = 0;
    let updated = r
        .promotions
        .update(
            &tenant(),
            created.id,
            &d2,
            1,
            event::<Promotion>(ActionType::Update),
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.customer_id.as_str()),
        ("Promo1b", "patoloco")
    );
    assert_eq!(updated.description, None);
    assert!(!updated.active);
    assert_eq!(updated.products, d2.products);
    assert_eq!((updated.approval_status, updated.version), (2, 2));
    assert_eq!(
        r.promotions.get(&tenant(), created.id).await.unwrap(),
        Some(updated.clone())
    );

    let deleted = r
        .promotions
        .delete(
            &tenant(),
            created.id,
            2,
            event::<Promotion>(ActionType::Delete),
        )
        .await
        .unwrap();
    assert_eq!(deleted, updated);
    assert_eq!(r.promotions.get(&tenant(), created.id).await.unwrap(), None);
}

async fn ids(r: &Repositories, f: PromotionFilter) -> Vec<i64> {
    r.promotions
        .list(&tenant(), &f, &PageSpec::first(500))
        .await
        .unwrap()
        .items
        .iter()
        .map(|p| p.id)
        .collect()
}

/// Every filter of docs/services.md: id, name, product_id, customer_id, valid_on.
pub async fn every_filter(r: &Repositories) {
    let a = create(
        r,
        &draft(
            "A",
            "ducksrus",
            vec![line("switch", &[1.0]), line("tele", &[2.0])],
        ),
    )
    .await;
    let b = create(r, &draft("B", "patoloco", vec![line("tele", &[1.0])])).await;
    let mut old = draft("A", "ducksrus", vec![]);
    old.validity = period(1990, 1999);
    let c = create(r, &old).await;
    let f = PromotionFilter::default;
    assert_eq!(ids(r, f()).await, [a.id, b.id, c.id]);
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                id: Some(b.id),
                ..f()
            }
        )
        .await,
        [b.id]
    );
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                name: Some("A".into()),
                ..f()
            }
        )
        .await,
        [a.id, c.id]
    );
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                customer_id: Some("ducksrus".into()),
                ..f()
            }
        )
        .await,
        [a.id, c.id]
    );
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                product_id: Some("tele".into()),
                ..f()
            }
        )
        .await,
        [a.id, b.id]
    );
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                product_id: Some("switch".into()),
                ..f()
            }
        )
        .await,
        [a.id]
    );
    assert!(
        ids(
            r,
            PromotionFilter {
                product_id: Some("swi".into()),
                ..f()
            }
        )
        .await
        .is_empty(),
        "product id is exact"
    );
    assert_eq!(
        ids(
            r,
            PromotionFilter {
                valid_on: Some(year(1995)),
                ..f()
            }
        )
        .await,
        [c.id]
    );
    let combined = PromotionFilter {
        customer_id: Some("ducksrus".into()),
        product_id: Some("tele".into()),
        valid_on: Some(year(2020)),
        ..f()
    };
    assert_eq!(ids(r, combined).await, [a.id]);
}

/// Pages are ordered by id, disjoint and complete.
pub async fn pagination(r: &Repositories) {
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            create(
                r,
                &draft(&format!("P{i}"), "canard", vec![line("x", &[1.0])]),
            )
            .await
            .id,
        );
    }
    let f = PromotionFilter {
        customer_id: Some("canard".into()),
        ..Default::default()
    };
    let pages = walk(2, |spec| {
        let f = f.clone();
        async move { r.promotions.list(&tenant(), &f, &spec).await }
    })
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(
        pages
            .into_iter()
            .flatten()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        created
    );
}

/// A stale version is a StaleVersion conflict and changes nothing; a missing id is NotFound.
pub async fn stale_version_and_not_found(r: &Repositories) {
    let p = create(r, &draft("S", "canard", vec![])).await;
    let err = r
        .promotions
        .update(
            &tenant(),
            p.id,
            &draft("T", "canard", vec![]),
            3,
            event::<Promotion>(ActionType::Update),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                kind: ConflictKind::StaleVersion,
                ..
            }
        ),
        "{err:?}"
    );
    let err = r
        .promotions
        .delete(&tenant(), p.id, 3, event::<Promotion>(ActionType::Delete))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                kind: ConflictKind::StaleVersion,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(r.promotions.get(&tenant(), p.id).await.unwrap(), Some(p));
    let err = r
        .promotions
        .update(
            &tenant(),
            424_242,
            &draft("T", "canard", vec![]),
            1,
            event::<Promotion>(ActionType::Update),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                entity: "promotion",
                ..
            }
        ),
        "{err:?}"
    );
    let err = r
        .promotions
        .delete(
            &tenant(),
            424_242,
            1,
            event::<Promotion>(ActionType::Delete),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}
