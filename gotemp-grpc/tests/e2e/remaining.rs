//! The remaining RPCs succeed, and lists page with tokens.

use crate::support::*;

#[tokio::test]
async fn the_remaining_rpcs_succeed_and_lists_page_with_tokens() {
    let Some((store, _app, running)) =
        fixture("the_remaining_rpcs_succeed_and_lists_page_with_tokens").await
    else {
        return;
    };
    let c = admin(&running.url).await;

    // Paging: every seeded customer exactly once, two at a time, following the tokens.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .customers()
            .list_customers(customer::ListCustomersRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.customers.len() <= 2);
        seen.extend(page.customers.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5), "{seen:?}");
    let bad_token = c
        .customers()
        .list_customers(customer::ListCustomersRequest {
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_token.code(), Code::InvalidArgument);

    // Customer: update then delete (nothing refers to it).
    let created = c
        .customers()
        .create_customer(customer::CreateCustomerRequest {
            name: "Short Lived Ltd".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let updated = c
        .customers()
        .update_customer(customer::UpdateCustomerRequest {
            id: created.id.clone(),
            version: Some(created.version),
            name: Some("Shorter Lived Ltd".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (updated.name.as_str(), updated.version),
        ("Shorter Lived Ltd", 2)
    );
    c.customers()
        .delete_customer(customer::DeleteCustomerRequest {
            id: created.id.clone(),
            version: Some(2),
        })
        .await
        .unwrap();
    let gone = c
        .customers()
        .get_customer(customer::GetCustomerRequest { id: created.id })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);

    // Product: get, update, delete.
    let switch = c
        .products()
        .get_product(product::GetProductRequest {
            id: "switch".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let temp = c
        .products()
        .create_product(product::CreateProductRequest {
            name: "Temporary".into(),
            hierarchy_level: "sku".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let renamed = c
        .products()
        .update_product(product::UpdateProductRequest {
            id: temp.id.clone(),
            name: Some("Still temporary".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name, "Still temporary");
    c.products()
        .delete_product(product::DeleteProductRequest {
            id: temp.id,
            version: Some(renamed.version),
        })
        .await
        .unwrap();

    // Promotion: get, list by product, delete in the initial state.
    let listed = c
        .promotions()
        .list_promotions(promotion::ListPromotionsRequest {
            customer_id: Some("ducksrus".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!listed.promotions.is_empty());
    let first = c
        .promotions()
        .get_promotion(promotion::GetPromotionRequest {
            id: listed.promotions[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.customer_name.as_deref(), Some("Ducks R Us"));
    let with_switch = c
        .promotions()
        .list_promotions(promotion::ListPromotionsRequest {
            product_id: Some(switch.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        with_switch
            .promotions
            .iter()
            .all(|p| p.products.iter().any(|x| x.product_id == switch.id))
    );
    c.promotions()
        .delete_promotion(promotion::DeletePromotionRequest {
            id: first.id,
            version: Some(first.version),
        })
        .await
        .unwrap();

    // User: get, then delete.
    let someone = c
        .users()
        .create_user(user::CreateUserRequest {
            first_name: "Temp".into(),
            last_name: "User".into(),
            email: "temp@users.example".into(),
            valid_from: future(-1),
            valid_thru: future(1),
            password: "temporary password".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got = c
        .users()
        .get_user(user::GetUserRequest { id: someone.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.email, "temp@users.example");
    c.users()
        .delete_user(user::DeleteUserRequest {
            id: someone.id,
            version: None,
        })
        .await
        .unwrap();
    let gone = c
        .users()
        .get_user(user::GetUserRequest { id: someone.id })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);

    running.stop().await;
    store.finish().await;
}
