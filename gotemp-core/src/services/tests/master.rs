//! Customers and products.

use super::*;
use crate::page::PageRequest;
use crate::ports::{MockMasterRepository, MockReferences};
use crate::services::{CustomerService, ProductService};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn customer_create_generates_an_id_and_a_one_year_validity() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_create()
        .withf(|_, d, e| {
            d.id.as_str().starts_with("pato-loco-inc-")
                && d.validity.valid_thru() - d.validity.valid_from() >= chrono::Duration::days(365)
                && d.extra_fields["external_id"] == "9"
                && e.action_func == "create_customer"
        })
        .times(1)
        .returning(|_, d, _| Ok(customer(d.id.as_str(), 1)));
    let input = NewCustomer {
        name: "Pato Loco Inc".into(),
        extra_fields: json!({"external_id": "9"}).as_object().cloned(),
        ..Default::default()
    };
    CustomerService::new(Arc::new(repo))
        .create(&actor(), input)
        .await
        .unwrap();
}

#[tokio::test]
async fn customer_create_reports_every_invalid_field() {
    let big = json!({"blob": "x".repeat(70_000)}).as_object().cloned();
    let input = NewCustomer {
        id: Some("not/a key".into()),
        name: "".into(),
        valid_from: Some(year(2010)),
        valid_thru: Some(year(2000)),
        extra_fields: big,
    };
    let err = CustomerService::new(Arc::new(MockMasterRepository::<Customer>::new()))
        .create(&actor(), input)
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["name", "id", "valid_thru", "extra_fields"]);
}

#[tokio::test]
async fn customer_update_keeps_what_is_not_given() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(customer(id, 2))));
    repo.expect_update()
        .withf(|_, d, current, _| {
            current.version == 2
                && d.name.as_str() == "Ducks Are Us"
                && d.extra_fields["external_id"] == "1"
                && d.validity.valid_from() == year(2000)
                && d.validity.valid_thru() == year(2100)
        })
        .times(1)
        .returning(|_, d, _, _| Ok(customer(d.id.as_str(), 3)));
    let changes = CustomerChanges {
        name: Some("Ducks Are Us".into()),
        valid_thru: Some(year(2100)),
        ..Default::default()
    };
    let svc = CustomerService::new(Arc::new(repo));
    assert_eq!(
        svc.update(&actor(), "ducksrus", changes, Some(2))
            .await
            .unwrap()
            .version,
        3
    );
}

#[tokio::test]
async fn customer_update_rejects_a_period_that_ends_before_it_starts() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(customer(id, 1))));
    let changes = CustomerChanges {
        valid_from: Some(year(2300)),
        ..Default::default()
    };
    let err = CustomerService::new(Arc::new(repo))
        .update(&actor(), "c", changes, None)
        .await
        .unwrap_err();
    assert_eq!(messages(err), ["valid_thru must be after valid_from"]);
}

#[tokio::test]
async fn a_customer_named_by_promotions_cannot_be_deleted() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(customer(id, 1))));
    let mut refs = MockReferences::new();
    refs.expect_is_referenced()
        .withf(|_, id| id == "ducksrus")
        .returning(|_, _| Ok(true));
    refs.expect_holders().return_const("promotions");
    let svc = CustomerService::new(Arc::new(repo)).with_references(Arc::new(refs));
    let err = svc.delete(&actor(), "ducksrus", None).await.unwrap_err();
    assert_eq!(conflict_kind(&err), ConflictKind::InUse);
    assert_eq!(
        err.to_string(),
        "id: customer ducksrus is still named by promotions; delete or move them first"
    );
}

#[tokio::test]
async fn an_unreferenced_customer_is_deleted_at_the_version_read() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(customer(id, 4))));
    repo.expect_delete()
        .withf(|_, id, v, e| id == "canard" && *v == 4 && e.action_func == "delete_customer")
        .times(1)
        .returning(|_, id, _, _| Ok(customer(id, 4)));
    let mut refs = MockReferences::new();
    refs.expect_is_referenced().returning(|_, _| Ok(false));
    let svc = CustomerService::new(Arc::new(repo)).with_references(Arc::new(refs));
    svc.delete(&actor(), "canard", None).await.unwrap();
}

#[tokio::test]
async fn customer_get_and_list() {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get().returning(|_, _| Ok(None));
    repo.expect_list().returning(|_, _, _| {
        Ok(crate::page::Page {
            items: vec![],
            next_cursor: None,
        })
    });
    let svc = CustomerService::new(Arc::new(repo));
    assert!(matches!(
        svc.get(&actor(), "nope").await,
        Err(Error::NotFound {
            entity: "customer",
            ..
        })
    ));
    assert!(
        svc.list(
            &actor(),
            &CustomerFilter::default(),
            &PageRequest::default()
        )
        .await
        .is_ok()
    );
    let bad = PageRequest {
        limit: None,
        cursor: Some("???".into()),
    };
    assert_eq!(
        fields(
            svc.list(&actor(), &CustomerFilter::default(), &bad)
                .await
                .unwrap_err()
        ),
        ["cursor"]
    );
}

fn product(id: &str, version: i64) -> Product {
    Product {
        id: id.into(),
        name: "Play Switch Console".into(),
        hierarchy_level: "sku".into(),
        valid_from: year(2000),
        valid_thru: year(2200),
        extra_fields: Default::default(),
        created_at: year(2020),
        updated_at: year(2020),
        modified_by: 1,
        version,
    }
}

#[tokio::test]
async fn product_create_checks_its_fields() {
    let input = NewProduct {
        id: Some("switch".into()),
        name: " ".into(),
        hierarchy_level: "l".repeat(51),
        ..Default::default()
    };
    let err = ProductService::new(Arc::new(MockMasterRepository::<Product>::new()))
        .create(&actor(), input)
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["name", "hierarchy_level"]);
}

#[tokio::test]
async fn product_level_is_required_and_kept_when_absent_from_an_update() {
    let refused = ProductService::new(Arc::new(MockMasterRepository::<Product>::new()))
        .create(
            &actor(),
            NewProduct {
                name: "No level".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(refused), ["hierarchy_level"]);
    let mut repo = MockMasterRepository::<Product>::new();
    repo.expect_create()
        .withf(|_, d, _| d.id.as_str() == "switch" && d.extras.hierarchy_level.as_str() == "sku")
        .returning(|_, d, _| Ok(product(d.id.as_str(), 1)));
    repo.expect_get()
        .returning(|_, id| Ok(Some(product(id, 1))));
    repo.expect_update()
        .withf(|_, d, current, e| {
            d.extras.hierarchy_level.as_str() == "sku"
                && current.version == 1
                && e.action_func == "update_product"
        })
        .times(1)
        .returning(|_, d, _, _| Ok(product(d.id.as_str(), 2)));
    repo.expect_delete()
        .withf(|_, id, v, _| id == "switch" && *v == 1)
        .returning(|_, id, _, _| Ok(product(id, 1)));
    let svc = ProductService::new(Arc::new(repo));
    let input = NewProduct {
        id: Some("switch".into()),
        name: "Switch".into(),
        hierarchy_level: "sku".into(),
        ..Default::default()
    };
    svc.create(&actor(), input).await.unwrap();
    let cleared = ProductChanges {
        hierarchy_level: Some(" ".into()),
        ..Default::default()
    };
    let refused = svc.update(&actor(), "switch", cleared, None).await;
    assert_eq!(fields(refused.unwrap_err()), ["hierarchy_level"]);
    let renamed = ProductChanges {
        name: Some("Switch 2".into()),
        ..Default::default()
    };
    svc.update(&actor(), "switch", renamed, None).await.unwrap();
    svc.delete(&actor(), "switch", Some(1)).await.unwrap();
}

/// Ids 1.. in pages: the cursor is the last id, `limit` rows a read.
async fn numbers(spec: crate::page::PageSpec) -> crate::Result<crate::page::Page<i64>> {
    let from = spec.after_int()?.unwrap_or(0);
    let rows = (from + 1..=from + spec.fetch_limit()).collect();
    Ok(spec.into_page(rows, |id| crate::page::Cursor::Int(*id)))
}

#[tokio::test]
async fn a_page_the_policy_thinned_fills_up_from_the_rows_after_it() {
    use crate::services::common::visible_page;
    let even = |id: &i64| id % 2 == 0;
    let page = visible_page(&PageRequest::first(5), even, numbers)
        .await
        .unwrap();
    assert_eq!(page.items, [2, 4, 6, 8, 10]);
    // The next page starts after the last row read, seen or not: nothing repeats or is skipped.
    let next = PageRequest::first(5).after(&page).unwrap();
    let page = visible_page(&next, even, numbers).await.unwrap();
    assert_eq!(page.items, [12, 14, 16, 18, 20]);
}

#[tokio::test]
async fn a_page_the_policy_emptied_stops_after_a_bounded_number_of_reads() {
    use crate::services::common::{MAX_FILL_READS, visible_page};
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let read = |spec| {
        reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        numbers(spec)
    };
    let page = visible_page(&PageRequest::first(50), |_: &i64| false, read)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(reads.into_inner(), MAX_FILL_READS);
    // A short (here empty) page still says where to go on.
    let cursor = crate::page::Cursor::decode(&page.next_cursor.unwrap()).unwrap();
    assert_eq!(cursor, crate::page::Cursor::Int(50 * MAX_FILL_READS as i64));
}
