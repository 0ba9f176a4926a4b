//! Customers and products: the same master-data contract, checked once through [`MasterData`].

use super::{ACTOR, event, period, text, walk, year};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::entities::*;
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::{ActionType, Auditable};
use gotemp_core::page::{Page, PageSpec};
use gotemp_core::ports::Repositories;
use gotemp_core::values::{EntityKey, ValidityPeriod};
use serde_json::json;
use std::fmt::Debug;

/// What the suite needs to drive customers and products alike.
#[async_trait]
trait MasterData {
    type Entity: Auditable + PartialEq + Debug + Clone + Send + Sync;
    type Draft: Send + Sync;
    const ENTITY: &'static str;
    fn draft(id: &str, name: &str, validity: ValidityPeriod, extra: ExtraFields) -> Self::Draft;
    async fn get(r: &Repositories, id: &str) -> Result<Option<Self::Entity>>;
    async fn list(
        r: &Repositories,
        id: Option<&str>,
        name: Option<&str>,
        valid_on: Option<DateTime<Utc>>,
        page: &PageSpec,
    ) -> Result<Page<Self::Entity>>;
    async fn create(r: &Repositories, d: &Self::Draft) -> Result<Self::Entity>;
    async fn update(r: &Repositories, d: &Self::Draft, version: i64) -> Result<Self::Entity>;
    async fn delete(r: &Repositories, id: &str, version: i64) -> Result<Self::Entity>;
    fn fields(e: &Self::Entity) -> Fields<'_>;
}

/// The fields both entities share.
struct Fields<'a> {
    id: &'a str,
    name: &'a str,
    valid: (DateTime<Utc>, DateTime<Utc>),
    extra: &'a ExtraFields,
    stamps: (DateTime<Utc>, DateTime<Utc>, i64, i64),
}

struct Customers;
struct Products;

#[async_trait]
impl MasterData for Customers {
    type Entity = Customer;
    type Draft = CustomerDraft;
    const ENTITY: &'static str = "customer";
    fn draft(id: &str, name: &str, validity: ValidityPeriod, extra: ExtraFields) -> CustomerDraft {
        CustomerDraft {
            id: EntityKey::parse("id", id).unwrap(),
            name: text(name),
            validity,
            extra_fields: extra,
        }
    }
    async fn get(r: &Repositories, id: &str) -> Result<Option<Customer>> {
        r.customers.get(id).await
    }
    async fn list(
        r: &Repositories,
        id: Option<&str>,
        name: Option<&str>,
        valid_on: Option<DateTime<Utc>>,
        page: &PageSpec,
    ) -> Result<Page<Customer>> {
        let f = CustomerFilter {
            id: id.map(Into::into),
            name: name.map(Into::into),
            valid_on,
        };
        r.customers.list(&f, page).await
    }
    async fn create(r: &Repositories, d: &CustomerDraft) -> Result<Customer> {
        r.customers
            .create(d, event::<Customer>(ActionType::Insert))
            .await
    }
    async fn update(r: &Repositories, d: &CustomerDraft, version: i64) -> Result<Customer> {
        r.customers
            .update(d, version, event::<Customer>(ActionType::Update))
            .await
    }
    async fn delete(r: &Repositories, id: &str, version: i64) -> Result<Customer> {
        r.customers
            .delete(id, version, event::<Customer>(ActionType::Delete))
            .await
    }
    fn fields(e: &Customer) -> Fields<'_> {
        Fields {
            id: &e.id,
            name: &e.name,
            valid: (e.valid_from, e.valid_thru),
            extra: &e.extra_fields,
            stamps: (e.created_at, e.updated_at, e.modified_by, e.version),
        }
    }
}

#[async_trait]
impl MasterData for Products {
    type Entity = Product;
    type Draft = ProductDraft;
    const ENTITY: &'static str = "product";
    fn draft(id: &str, name: &str, validity: ValidityPeriod, extra: ExtraFields) -> ProductDraft {
        ProductDraft {
            id: EntityKey::parse("id", id).unwrap(),
            name: text(name),
            hierarchy_level: Some(text("sku")),
            validity,
            extra_fields: extra,
        }
    }
    async fn get(r: &Repositories, id: &str) -> Result<Option<Product>> {
        r.products.get(id).await
    }
    async fn list(
        r: &Repositories,
        id: Option<&str>,
        name: Option<&str>,
        valid_on: Option<DateTime<Utc>>,
        page: &PageSpec,
    ) -> Result<Page<Product>> {
        let f = ProductFilter {
            id: id.map(Into::into),
            name: name.map(Into::into),
            valid_on,
            hierarchy_level: None,
        };
        r.products.list(&f, page).await
    }
    async fn create(r: &Repositories, d: &ProductDraft) -> Result<Product> {
        r.products
            .create(d, event::<Product>(ActionType::Insert))
            .await
    }
    async fn update(r: &Repositories, d: &ProductDraft, version: i64) -> Result<Product> {
        r.products
            .update(d, version, event::<Product>(ActionType::Update))
            .await
    }
    async fn delete(r: &Repositories, id: &str, version: i64) -> Result<Product> {
        r.products
            .delete(id, version, event::<Product>(ActionType::Delete))
            .await
    }
    fn fields(e: &Product) -> Fields<'_> {
        Fields {
            id: &e.id,
            name: &e.name,
            valid: (e.valid_from, e.valid_thru),
            extra: &e.extra_fields,
            stamps: (e.created_at, e.updated_at, e.modified_by, e.version),
        }
    }
}

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
    d.hierarchy_level = Some(text("cat"));
    let p = r
        .products
        .create(&d, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    assert_eq!(p.hierarchy_level.as_deref(), Some("cat"));
    d.hierarchy_level = None;
    let p = r
        .products
        .update(&d, 1, event::<Product>(ActionType::Update))
        .await
        .unwrap();
    assert_eq!(p.hierarchy_level, None);
}
/// Products: a taken id is a Duplicate conflict on `id`.
pub async fn products_duplicate_id(r: &Repositories) {
    duplicate_id::<Products>(r).await
}
/// Products: filters id, name, valid_on, hierarchy_level; pages by key.
pub async fn products_filters_and_pages(r: &Repositories) {
    filters_and_pages::<Products>(r).await;
    let mut d = Products::draft("zcat", "Z", period(2000, 2100), ExtraFields::new());
    d.hierarchy_level = Some(text("cat"));
    r.products
        .create(&d, event::<Product>(ActionType::Insert))
        .await
        .unwrap();
    let f = ProductFilter {
        hierarchy_level: Some("cat".into()),
        ..Default::default()
    };
    let page = r.products.list(&f, &PageSpec::first(10)).await.unwrap();
    assert_eq!(
        page.items.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["zcat"]
    );
}
/// Products: stale versions conflict, missing ids are NotFound.
pub async fn products_stale_and_missing(r: &Repositories) {
    stale_and_missing::<Products>(r).await
}
