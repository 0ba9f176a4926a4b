use super::*;
use crate::page::{Page, PageRequest};
use crate::ports::{MockCustomerDirectory, MockPromotionRepository};
use crate::services::PromotionService;
use std::sync::Arc;

fn known_customers() -> MockCustomerDirectory {
    let mut d = MockCustomerDirectory::new();
    d.expect_customer().returning(|_, id| {
        Ok(match id {
            "ducksrus" => Some(named(id, "Ducks R Us")),
            "patoloco" => Some(named(id, "Pato Loco Inc")),
            _ => None,
        })
    });
    d
}

/// The customer `id` called `name`.
fn named(id: &str, name: &str) -> Customer {
    Customer {
        name: name.into(),
        ..customer(id, 1)
    }
}

fn new_promotion() -> NewPromotion {
    NewPromotion {
        name: "Promo1".into(),
        valid_from: Some(year(2000)),
        valid_thru: Some(year(2200)),
        customer_id: "ducksrus".into(),
        products: vec![PromotionProduct {
            product_id: "switch".into(),
            upc_code: None,
            discounts: vec![
                Discount {
                    id: 0,
                    value: 10.0,
                    kind: 1,
                    description: None,
                },
                Discount {
                    id: 5,
                    value: 2.0,
                    kind: 2,
                    description: None,
                },
                Discount {
                    id: 0,
                    value: 1.0,
                    kind: 2,
                    description: None,
                },
            ],
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn create_reports_every_rule_with_indexed_fields_and_skips_the_lookup() {
    let input = NewPromotion {
        name: "n".repeat(51),
        description: Some("d".repeat(256)),
        valid_from: None,
        valid_thru: Some(year(2000)),
        customer_id: "".into(),
        products: vec![PromotionProduct {
            product_id: "".into(),
            upc_code: None,
            discounts: vec![
                Discount {
                    id: 0,
                    value: 0.0,
                    kind: 1,
                    description: None,
                },
                Discount {
                    id: -1,
                    value: -3.0,
                    kind: 1,
                    description: None,
                },
            ],
        }],
        approval_status: -1,
        ..Default::default()
    };
    // No expectation on the directory: checking a customer for invalid input is wasted work.
    let svc = PromotionService::new(
        Arc::new(MockPromotionRepository::new()),
        Arc::new(MockCustomerDirectory::new()),
    );
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(
        fields(err),
        [
            "name",
            "description",
            "valid_from",
            "customer_id",
            "products[0].product_id",
            "products[0].discounts[0].value",
            "products[0].discounts[1].value",
            "products[0].discounts[1].id",
            "approval_status",
        ]
    );
}

#[tokio::test]
async fn create_needs_an_existing_customer() {
    let svc = PromotionService::new(
        Arc::new(MockPromotionRepository::new()),
        Arc::new(known_customers()),
    );
    let input = NewPromotion {
        customer_id: "ghost".into(),
        ..new_promotion()
    };
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(messages(err), ["customer_id: no customer ghost exists"]);
}

#[tokio::test]
async fn create_numbers_discounts_and_returns_the_customer_name() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_create()
        .withf(|_, d, e| {
            let ids: Vec<i64> = d.products[0].discounts.iter().map(|x| x.id).collect();
            ids == [6, 5, 7] && d.approval_status == 0 && e.action_func == "create_promotion"
        })
        .times(1)
        .returning(|_, _, _| Ok(promotion(1, 1, "ducksrus", 0)));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(known_customers()));
    let created = svc.create(&actor(), new_promotion()).await.unwrap();
    assert_eq!(created.customer_name.as_deref(), Some("Ducks R Us"));
}

/// Found by schemathesis: a discount numbered `i64::MAX` beside one left at 0 overflowed the
/// next number (a panic, a 500). Now it is a field error.
#[tokio::test]
async fn no_number_after_the_largest_id_is_a_field_error_not_a_panic() {
    let svc = PromotionService::new(
        Arc::new(MockPromotionRepository::new()),
        Arc::new(known_customers()),
    );
    let mut input = new_promotion();
    input.products[0].discounts[1].id = i64::MAX;
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(
        fields(err),
        ["products[0].discounts[0].id", "products[0].discounts[2].id"]
    );
}

#[tokio::test]
async fn a_failed_name_lookup_never_fails_the_read() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(promotion(id, 1, "ducksrus", 0))));
    let mut dir = MockCustomerDirectory::new();
    dir.expect_customer()
        .returning(|_, _| Err(Error::unavailable("customer service down")));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(dir));
    let p = svc.get(&actor(), 1).await.unwrap();
    assert_eq!(p.customer_name, None);
}

#[tokio::test]
async fn list_looks_each_customer_up_once() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_list().returning(|_, _, _| {
        Ok(Page {
            items: vec![
                promotion(1, 1, "ducksrus", 0),
                promotion(2, 1, "patoloco", 0),
                promotion(3, 1, "ducksrus", 0),
            ],
            next_cursor: None,
        })
    });
    let mut dir = MockCustomerDirectory::new();
    dir.expect_customer()
        .times(2)
        .returning(|_, id| Ok(Some(named(id, &format!("name of {id}")))));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(dir));
    let page = svc
        .list(
            &actor(),
            &PromotionFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    let names: Vec<_> = page
        .items
        .iter()
        .map(|p| p.customer_name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["name of ducksrus", "name of patoloco", "name of ducksrus"]
    );
}

#[tokio::test]
async fn only_promotions_in_their_initial_state_can_be_deleted() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get().returning(|_, id| {
        Ok(Some(promotion(
            id,
            1,
            "ducksrus",
            if id == 1 { 1 } else { 0 },
        )))
    });
    repo.expect_delete()
        .withf(|_, id, v, _| *id == 2 && *v == 1)
        .times(1)
        .returning(|_, id, _, _| Ok(promotion(id, 1, "ducksrus", 0)));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(known_customers()));
    let err = svc.delete(&actor(), 1, None).await.unwrap_err();
    assert_eq!(conflict_kind(&err), ConflictKind::State);
    assert_eq!(
        err.to_string(),
        "approval_status: only promotions in their initial state can be deleted"
    );
    svc.delete(&actor(), 2, None).await.unwrap();
}

#[tokio::test]
async fn a_new_approval_status_moves_the_old_one_to_prev() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(promotion(id, 3, "ducksrus", 1))));
    repo.expect_update()
        .withf(|_, _, d, v, _| {
            d.approval_status == 2
                && d.prev_approval_status == 1
                && *v == 3
                && d.customer_id.as_str() == "patoloco"
        })
        .times(1)
        .returning(|_, id, _, _, _| Ok(promotion(id, 4, "patoloco", 2)));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(known_customers()));
    let changes = PromotionChanges {
        approval_status: Some(2),
        customer_id: Some("patoloco".into()),
        ..Default::default()
    };
    let updated = svc.update(&actor(), 9, changes, Some(3)).await.unwrap();
    assert_eq!(updated.customer_name.as_deref(), Some("Pato Loco Inc"));
}

#[tokio::test]
async fn update_to_an_unknown_customer_is_rejected() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(promotion(id, 1, "ducksrus", 0))));
    let svc = PromotionService::new(Arc::new(repo), Arc::new(known_customers()));
    let changes = PromotionChanges {
        customer_id: Some("ghost".into()),
        ..Default::default()
    };
    assert_eq!(
        fields(svc.update(&actor(), 1, changes, None).await.unwrap_err()),
        ["customer_id"]
    );
}

/// A policy that keeps customer `hidden` from everyone and lets promotions change only while
/// they are for customer `ours`.
struct Scoped {
    hidden: &'static str,
    ours: &'static str,
}

impl crate::policy::Policy for Scoped {
    fn allows(&self, r: &crate::policy::Request<'_>) -> bool {
        use crate::policy::{Action, Object};
        match r.object {
            Some(Object::Customer(c)) => c.id != self.hidden,
            Some(Object::Promotion(p)) if r.action != Action::Read => p.customer_id == self.ours,
            _ => true,
        }
    }
}

fn scoped(repo: MockPromotionRepository, hidden: &'static str) -> PromotionService {
    let policy = Arc::new(Scoped {
        hidden,
        ours: "ducksrus",
    });
    PromotionService::new(Arc::new(repo), Arc::new(known_customers())).with_policy(policy)
}

#[tokio::test]
async fn a_customer_the_caller_may_not_read_is_neither_named_nor_accepted() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(promotion(id, 1, "patoloco", 0))));
    let svc = scoped(repo, "patoloco");
    let p = svc.get(&actor(), 1).await.unwrap();
    assert_eq!(
        (p.customer_id.as_str(), p.customer_name),
        ("patoloco", None)
    );
    // Choosing it is as refused as choosing a customer that does not exist (no write expected).
    let input = NewPromotion {
        customer_id: "patoloco".into(),
        ..new_promotion()
    };
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(fields(err), ["customer_id"]);
}

#[tokio::test]
async fn a_change_is_asked_of_its_result_too() {
    let mut repo = MockPromotionRepository::new();
    repo.expect_get()
        .returning(|_, id| Ok(Some(promotion(id, 1, "ducksrus", 0))));
    // The caller may change this promotion and read the other customer, but not hold a
    // promotion for it: moving it there is refused, and nothing is written.
    let svc = scoped(repo, "nobody");
    let to_patoloco = PromotionChanges {
        customer_id: Some("patoloco".into()),
        ..Default::default()
    };
    let err = svc
        .update(&actor(), 1, to_patoloco, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
    let create = NewPromotion {
        customer_id: "patoloco".into(),
        ..new_promotion()
    };
    let err = svc.create(&actor(), create).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
}
