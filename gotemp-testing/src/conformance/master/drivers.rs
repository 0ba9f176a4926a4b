//! The customer and product repositories behind one interface, so each case is written once.

use crate::conformance::tenant;
use crate::conformance::{event, text};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::entities::*;
use gotemp_core::event::{ActionType, Auditable};
use gotemp_core::page::{Page, PageSpec};
use gotemp_core::ports::Repositories;
use gotemp_core::values::{EntityKey, ValidityPeriod};
use std::fmt::Debug;

/// What the suite needs to drive customers and products alike.
#[async_trait]
pub(super) trait MasterData {
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
pub(super) struct Fields<'a> {
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) valid: (DateTime<Utc>, DateTime<Utc>),
    pub(super) extra: &'a ExtraFields,
    pub(super) stamps: (DateTime<Utc>, DateTime<Utc>, i64, i64),
}

pub(super) struct Customers;
pub(super) struct Products;

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
            extras: (),
        }
    }
    async fn get(r: &Repositories, id: &str) -> Result<Option<Customer>> {
        r.customers.get(&tenant(), id).await
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
        r.customers.list(&tenant(), &f, page).await
    }
    async fn create(r: &Repositories, d: &CustomerDraft) -> Result<Customer> {
        r.customers
            .create(&tenant(), d, event::<Customer>(ActionType::Insert))
            .await
    }
    async fn update(r: &Repositories, d: &CustomerDraft, version: i64) -> Result<Customer> {
        let event = event::<Customer>(ActionType::Update);
        // The stored object the draft was made from, as of `version`.
        let current = match r.customers.get(&tenant(), d.id.as_str()).await? {
            Some(found) => Customer { version, ..found },
            None => Customer::stored(d, event.occurred_at, &event, version),
        };
        r.customers.update(&tenant(), d, &current, event).await
    }
    async fn delete(r: &Repositories, id: &str, version: i64) -> Result<Customer> {
        r.customers
            .delete(
                &tenant(),
                id,
                version,
                event::<Customer>(ActionType::Delete),
            )
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
            extras: ProductExtras {
                hierarchy_level: text("sku"),
            },
            validity,
            extra_fields: extra,
        }
    }
    async fn get(r: &Repositories, id: &str) -> Result<Option<Product>> {
        r.products.get(&tenant(), id).await
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
        r.products.list(&tenant(), &f, page).await
    }
    async fn create(r: &Repositories, d: &ProductDraft) -> Result<Product> {
        r.products
            .create(&tenant(), d, event::<Product>(ActionType::Insert))
            .await
    }
    async fn update(r: &Repositories, d: &ProductDraft, version: i64) -> Result<Product> {
        let event = event::<Product>(ActionType::Update);
        // The stored object the draft was made from, as of `version`.
        let current = match r.products.get(&tenant(), d.id.as_str()).await? {
            Some(found) => Product { version, ..found },
            None => Product::stored(d, event.occurred_at, &event, version),
        };
        r.products.update(&tenant(), d, &current, event).await
    }
    async fn delete(r: &Repositories, id: &str, version: i64) -> Result<Product> {
        r.products
            .delete(&tenant(), id, version, event::<Product>(ActionType::Delete))
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
