//! Customers and products: the same master-data contract, checked once through the
//! `MasterData` driver trait.

use super::{ACTOR, event, period, text, walk, year};
use crate::conformance::tenant;
use chrono::{DateTime, Utc};
use gotemp_core::entities::*;
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::page::PageSpec;
use gotemp_core::ports::Repositories;
use serde_json::json;

mod drivers;
use drivers::{Customers, MasterData, Products};

fn extra(v: serde_json::Value) -> ExtraFields {
    v.as_object().cloned().unwrap()
}

async fn crud<M: MasterData>(r: &Repositories) {
    let numbers = json!([
        f64::MAX,
        -f64::MAX,
        1.7976931348623155e308,
        5e-324,
        0.1,
        u64::MAX,
        i64::MIN
    ]);
    let d = M::draft(
        "ducksrus",
        "Ducks R Us",
        period(2000, 2200),
        // Numbers at the edges of f64, u64 and i64 too: PostgreSQL's jsonb prints them in full,
        // and a stored object must read back (once, it did not: the row became unreadable).
        extra(json!({
            "external_id": "12345", "tags": ["a", 1],
            "numbers": numbers,
        })),
    );
    let created = M::create(r, &d).await.unwrap();
    let f = M::fields(&created);
    assert_eq!(f.extra["numbers"], numbers, "edge numbers round-trip");
    assert_eq!((f.id, f.name), ("ducksrus", "Ducks R Us"));
    assert_eq!(f.valid, (year(2000), year(2200)));
    assert_eq!(f.extra["external_id"], "12345");
    assert_eq!(f.extra["tags"], json!(["a", 1]), "nested JSON round-trips");
    assert_eq!(f.stamps.0, f.stamps.1);
    assert_eq!((f.stamps.2, f.stamps.3), (ACTOR, 1));
    assert_eq!(M::get(r, "ducksrus").await.unwrap(), Some(created.clone()));
    let listed = M::list(r, Some("ducksrus"), None, None, &PageSpec::first(5)).await;
    assert_eq!(
        listed.unwrap().items,
        std::slice::from_ref(&created),
        "and in lists"
    );

    let d2 = M::draft(
        "ducksrus",
        "Ducks Are Us",
        period(2001, 2100),
        ExtraFields::new(),
    );
    let updated = M::update(r, &d2, 1).await.unwrap();
    let f = M::fields(&updated);
    assert_eq!(
        (f.name, f.valid.0, f.stamps.3),
        ("Ducks Are Us", year(2001), 2)
    );
    assert!(f.extra.is_empty());
    assert_eq!(f.stamps.0, M::fields(&created).stamps.0, "created_at kept");
    assert_eq!(M::get(r, "ducksrus").await.unwrap(), Some(updated.clone()));

    assert_eq!(M::delete(r, "ducksrus", 2).await.unwrap(), updated);
    assert_eq!(M::get(r, "ducksrus").await.unwrap(), None);
}

async fn duplicate_id<M: MasterData>(r: &Repositories) {
    M::create(
        r,
        &M::draft("dup", "First", period(2000, 2100), ExtraFields::new()),
    )
    .await
    .unwrap();
    let err = M::create(
        r,
        &M::draft("dup", "Second", period(2000, 2100), ExtraFields::new()),
    )
    .await
    .unwrap_err();
    match err {
        Error::Conflict {
            kind: ConflictKind::Duplicate,
            field,
            ..
        } => assert_eq!(field.as_deref(), Some("id")),
        other => panic!("expected a duplicate id conflict, got {other:?}"),
    }
    let kept = M::get(r, "dup").await.unwrap().unwrap();
    assert_eq!(M::fields(&kept).name, "First");
}

async fn keys<M: MasterData>(
    r: &Repositories,
    id: Option<&str>,
    name: Option<&str>,
    on: Option<DateTime<Utc>>,
) -> Vec<String> {
    let page = M::list(r, id, name, on, &PageSpec::first(500))
        .await
        .unwrap();
    page.items
        .iter()
        .map(|e| M::fields(e).id.to_owned())
        .collect()
}

async fn filters_and_pages<M: MasterData>(r: &Repositories) {
    for (id, name, p) in [
        ("c", "Canard", period(2000, 2200)),
        ("a", "Alpha", period(2000, 2200)),
        ("b", "Alpha", period(1990, 1999)),
        ("e", "Echo", period(2000, 2200)),
        ("d", "Delta", period(2000, 2200)),
    ] {
        M::create(r, &M::draft(id, name, p, ExtraFields::new()))
            .await
            .unwrap();
    }
    assert_eq!(
        keys::<M>(r, None, None, None).await,
        ["a", "b", "c", "d", "e"],
        "ordered by id"
    );
    assert_eq!(keys::<M>(r, Some("c"), None, None).await, ["c"]);
    assert_eq!(keys::<M>(r, None, Some("Alpha"), None).await, ["a", "b"]);
    assert!(
        keys::<M>(r, None, Some("alpha"), None).await.is_empty(),
        "name is exact"
    );
    assert_eq!(keys::<M>(r, None, None, Some(year(1995))).await, ["b"]);
    assert_eq!(
        keys::<M>(r, None, Some("Alpha"), Some(year(2050))).await,
        ["a"]
    );
    assert!(keys::<M>(r, Some("zzz"), None, None).await.is_empty());

    let pages = walk(2, |spec| async move {
        M::list(r, None, None, None, &spec).await
    })
    .await;
    let ids: Vec<Vec<String>> = pages
        .iter()
        .map(|p| p.iter().map(|e| M::fields(e).id.to_owned()).collect())
        .collect();
    assert_eq!(ids, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
}

async fn stale_and_missing<M: MasterData>(r: &Repositories) {
    let created = M::create(
        r,
        &M::draft("s", "S", period(2000, 2100), ExtraFields::new()),
    )
    .await
    .unwrap();
    let err = M::update(
        r,
        &M::draft("s", "T", period(2000, 2100), ExtraFields::new()),
        9,
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
    let err = M::delete(r, "s", 9).await.unwrap_err();
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
    assert_eq!(M::get(r, "s").await.unwrap(), Some(created));
    let err = M::update(
        r,
        &M::draft("nope", "T", period(2000, 2100), ExtraFields::new()),
        1,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { entity, .. } if entity == M::ENTITY),
        "{err:?}"
    );
    let err = M::delete(r, "nope", 1).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// Customers: create, get, update and delete round-trip every field.
pub async fn customers_crud(r: &Repositories) {
    crud::<Customers>(r).await
}
/// Customers: a taken id is a Duplicate conflict on `id`.
pub async fn customers_duplicate_id(r: &Repositories) {
    duplicate_id::<Customers>(r).await
}
/// Customers: filters id, name, valid_on; pages by key.
pub async fn customers_filters_and_pages(r: &Repositories) {
    filters_and_pages::<Customers>(r).await
}
/// Customers: stale versions conflict, missing ids are NotFound.
pub async fn customers_stale_and_missing(r: &Repositories) {
    stale_and_missing::<Customers>(r).await
}
/// Products: create, get, update and delete round-trip every field.
pub async fn products_crud(r: &Repositories) {
    crud::<Products>(r).await;
    let mut d = Products::draft("cat1", "Category", period(2000, 2100), ExtraFields::new());
    d.extras.hierarchy_level = text("cat");
    let p = r
        .products
        .create(&tenant(), &d, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    assert_eq!(p.hierarchy_level, "cat");
    d.extras.hierarchy_level = text("sku");
    let p = r
        .products
        .update(&tenant(), &d, &p, event::<Product>(ActionType::Update))
        .await
        .unwrap();
    assert_eq!(p.hierarchy_level, "sku");
}
/// Products: a taken id is a Duplicate conflict on `id`.
pub async fn products_duplicate_id(r: &Repositories) {
    duplicate_id::<Products>(r).await
}
/// Products: filters id, name, valid_on, hierarchy_level; pages by key.
pub async fn products_filters_and_pages(r: &Repositories) {
    filters_and_pages::<Products>(r).await;
    let mut d = Products::draft("zcat", "Z", period(2000, 2100), ExtraFields::new());
    d.extras.hierarchy_level = text("cat");
    r.products
        .create(&tenant(), &d, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    let f = ProductFilter {
        hierarchy_level: Some("cat".into()),
        ..Default::default()
    };
    let page = r
        .products
        .list(&tenant(), &f, &PageSpec::first(10))
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["zcat"]
    );
}
/// Products: stale versions conflict, missing ids are NotFound.
pub async fn products_stale_and_missing(r: &Repositories) {
    stale_and_missing::<Products>(r).await
}
