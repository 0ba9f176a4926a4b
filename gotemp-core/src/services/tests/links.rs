//! Hierarchy links: the rules the services check before a repository sees a link.

use super::*;
use crate::entities::{Link, LinkDraft, NewLink, Related, Relation};
use crate::ports::MockMasterRepository;
use crate::services::{CustomerService, ProductService};
use std::sync::Arc;

fn stored(d: &LinkDraft) -> Link {
    Link {
        from: d.from.as_str().into(),
        to: d.to.as_str().into(),
        relation: d.relation,
        kind: d.kind.as_ref().map(|k| k.as_str().into()),
        valid_from: d.validity.valid_from(),
        valid_thru: d.validity.valid_thru(),
        created_at: year(2020),
        modified_by: 1,
    }
}

/// A customer repository where `existing` customers exist and `edges` (from, to) are stored.
fn customers(
    existing: &'static [&'static str],
    edges: &'static [(&'static str, &'static str)],
) -> MockMasterRepository<Customer> {
    let mut repo = MockMasterRepository::<Customer>::new();
    repo.expect_get()
        .returning(move |_, id| Ok(existing.contains(&id).then(|| customer(id, 1))));
    repo.expect_related().returning(move |_, id, q| {
        assert_eq!(
            q.direction,
            crate::entities::Direction::Incoming,
            "the loop check walks up"
        );
        Ok(edges
            .iter()
            .filter(|(_, to)| *to == id)
            .map(|(from, to)| Related {
                link: Link {
                    from: (*from).into(),
                    to: (*to).into(),
                    relation: Relation::IsParentOf,
                    kind: None,
                    valid_from: year(2000),
                    valid_thru: year(2100),
                    created_at: year(2000),
                    modified_by: 1,
                },
                object: customer(from, 1),
            })
            .collect())
    });
    repo
}

fn new_link(id: &str, kind: Option<&str>) -> NewLink {
    NewLink {
        id: id.into(),
        kind: kind.map(Into::into),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_customer_link_needs_a_known_kind_another_customer_and_an_ordered_period() {
    let service = CustomerService::new(Arc::new(MockMasterRepository::<Customer>::new()));
    let input = NewLink {
        id: "ducksrus".into(),
        kind: Some("bill_to".into()),
        valid_from: Some(year(2010)),
        valid_thru: Some(year(2000)),
    };
    let err = service
        .add_child(&actor(), "ducksrus", input)
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["id", "kind", "valid_thru"]);
    let err = service
        .add_child(&actor(), "ducksrus", new_link("ducksrusd", None))
        .await
        .unwrap_err();
    assert_eq!(messages(err), ["kind is required: one of sold_to, pay_to"]);
}

#[tokio::test]
async fn both_ends_must_exist() {
    let service = CustomerService::new(Arc::new(customers(&["ducksrus"], &[])));
    let err = service
        .add_child(&actor(), "nobody", new_link("ducksrus", Some("sold_to")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = service
        .add_child(&actor(), "ducksrus", new_link("nobody", Some("sold_to")))
        .await
        .unwrap_err();
    assert_eq!(messages(err), ["id: no customer nobody exists"]);
}

#[tokio::test]
async fn a_link_that_would_close_a_loop_is_refused() {
    // a → b → c stored; c → a would make a its own ancestor.
    let repo = customers(&["a", "b", "c"], &[("a", "b"), ("b", "c")]);
    let err = CustomerService::new(Arc::new(repo))
        .add_child(&actor(), "c", new_link("a", Some("sold_to")))
        .await
        .unwrap_err();
    assert_eq!(fields(err.clone()), ["id"]);
    assert!(messages(err)[0].contains("loop"));
}

#[tokio::test]
async fn a_valid_link_is_stored_with_its_event() {
    let mut repo = customers(&["a", "b", "c"], &[("a", "b")]);
    repo.expect_link()
        .withf(|_, d, e| {
            (d.from.as_str(), d.to.as_str()) == ("c", "a")
                && d.kind.as_ref().map(|k| k.as_str()) == Some("pay_to")
                && e.action_func == "create_customer_link"
                && e.object_name == "customer_link"
        })
        .times(1)
        .returning(|_, d, _| Ok(stored(d)));
    let link = CustomerService::new(Arc::new(repo))
        .add_child(&actor(), "c", new_link("a", Some("pay_to")))
        .await
        .unwrap();
    assert!(link.valid_thru > link.valid_from, "the period defaults");
}

#[tokio::test]
async fn a_component_link_points_from_the_component_to_the_product() {
    let mut repo = MockMasterRepository::<Product>::new();
    repo.expect_get().returning(|_, id| Ok(Some(product(id))));
    repo.expect_related().returning(|_, _, _| Ok(vec![]));
    repo.expect_link()
        .withf(|_, d, e| {
            (d.from.as_str(), d.to.as_str(), d.relation)
                == ("intamd", "switch", Relation::IsComponentOf)
                && d.kind.is_none()
                && e.action_func == "create_product_link"
        })
        .times(1)
        .returning(|_, d, _| Ok(stored(d)));
    repo.expect_unlink()
        .withf(|_, from, relation, to, e| {
            (from, *relation, to) == ("intamd", Relation::IsComponentOf, "switch")
                && e.action_func == "delete_product_link"
        })
        .times(1)
        .returning(|_, from, relation, to, _| {
            Ok(Link {
                from: from.into(),
                to: to.into(),
                relation,
                kind: None,
                valid_from: year(2000),
                valid_thru: year(2100),
                created_at: year(2000),
                modified_by: 1,
            })
        });
    let service = ProductService::new(Arc::new(repo));
    service
        .add_component(&actor(), "switch", new_link("intamd", None))
        .await
        .unwrap();
    service
        .remove_component(&actor(), "switch", "intamd")
        .await
        .unwrap();
}

#[tokio::test]
async fn listing_the_neighbours_of_an_unknown_object_is_not_found() {
    let mut repo = MockMasterRepository::<Product>::new();
    repo.expect_get().returning(|_, _| Ok(None));
    let err = ProductService::new(Arc::new(repo))
        .components(&actor(), "nothing", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

fn product(id: &str) -> crate::entities::Product {
    crate::entities::Product {
        id: id.into(),
        name: format!("Product {id}"),
        hierarchy_level: "sku".into(),
        valid_from: year(2000),
        valid_thru: year(2100),
        extra_fields: Default::default(),
        created_at: year(2000),
        updated_at: year(2000),
        modified_by: 1,
        version: 1,
    }
}
