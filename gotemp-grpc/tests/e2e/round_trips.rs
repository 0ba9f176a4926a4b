//! Every service round-trips and maps its errors to status codes.

use crate::support::*;

#[tokio::test]
async fn every_service_round_trips_and_maps_its_errors() {
    let Some((store, app, running)) =
        fixture("every_service_round_trips_and_maps_its_errors").await
    else {
        return;
    };
    let pipeline = app.start_audit_pipeline();
    let c = admin(&running.url).await;

    // Users: create, find by e-mail, update with the version, stale version, login, validate, delete.
    let created = c
        .users()
        .create_user(user::CreateUserRequest {
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            email: "grace@navy.example".into(),
            valid_from: future(-1),
            valid_thru: future(30),
            active: true,
            password: "a long enough password".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.name, "Grace Hopper");
    let found = c
        .users()
        .list_users(user::ListUsersRequest {
            email: Some("GRACE@navy.example".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.users.len(), 1);
    let renamed = c
        .users()
        .update_user(user::UpdateUserRequest {
            id: created.id,
            version: Some(created.version),
            company: Some("US Navy".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.company.as_deref(), Some("US Navy"));
    let stale = c
        .users()
        .update_user(user::UpdateUserRequest {
            id: created.id,
            version: Some(created.version),
            company: Some("again".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    let duplicate = c
        .users()
        .create_user(user::CreateUserRequest {
            first_name: "G".into(),
            last_name: "H".into(),
            email: "Grace@Navy.example".into(),
            valid_from: future(-1),
            valid_thru: future(30),
            password: "a long enough password".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Code::AlreadyExists, "{duplicate:?}");
    let mut grace = GotempClient::connect(&running.url).await.unwrap();
    let login = grace
        .login("grace@navy.example", "a long enough password")
        .await
        .unwrap();
    assert_eq!(login.user.unwrap().id, created.id);
    let validated = grace
        .users()
        .validate_token(user::ValidateTokenRequest {
            token: login.token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(validated.valid && validated.user_id == created.id);
    let not_valid = grace
        .users()
        .validate_token(user::ValidateTokenRequest {
            token: "x.y.z".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!not_valid.valid);

    // Validation: every broken field, named, in the message and in BadRequest details.
    let invalid = c
        .customers()
        .create_customer(customer::CreateCustomerRequest {
            name: String::new(),
            valid_from: future(10),
            valid_thru: future(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let fields: Vec<String> = invalid
        .get_details_bad_request()
        .expect("field violations in the details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert!(fields.contains(&"name".to_string()), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("valid_")), "{fields:?}");

    // Customers with extra fields; not found; in use.
    let mut extra = prost_types::Struct::default();
    extra.fields.insert(
        "tier".into(),
        prost_types::Value {
            kind: Some(prost_types::value::Kind::StringValue("gold".into())),
        },
    );
    let geese = c
        .customers()
        .create_customer(customer::CreateCustomerRequest {
            id: Some("geese".into()),
            name: "Geese Inc".into(),
            extra_fields: Some(extra.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(geese.extra_fields, Some(extra));
    let missing = c
        .customers()
        .get_customer(customer::GetCustomerRequest {
            id: "nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let in_use = c
        .customers()
        .delete_customer(customer::DeleteCustomerRequest {
            id: "ducksrus".into(),
            version: None,
        })
        .await
        .unwrap_err();
    assert_eq!(in_use.code(), Code::FailedPrecondition, "{in_use:?}");

    // Products: the hierarchy level is required, as in the original.
    let no_level = c
        .products()
        .create_product(product::CreateProductRequest {
            name: "Levelless".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(no_level.code(), Code::InvalidArgument);
    assert!(no_level.message().contains("hierarchy_level is required"));
    let duck = c
        .products()
        .create_product(product::CreateProductRequest {
            id: Some("rubber-duck".into()),
            name: "Rubber duck".into(),
            hierarchy_level: "L3".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let listed = c
        .products()
        .list_products(product::ListProductsRequest {
            hierarchy_level: Some("L3".into()),
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.products.iter().any(|p| p.id == duck.id));

    // Promotions: the customer's name, products replaced, deletion only in the initial state.
    let promo = c
        .promotions()
        .create_promotion(promotion::CreatePromotionRequest {
            name: "Spring".into(),
            valid_from: future(0),
            valid_thru: future(30),
            customer_id: "geese".into(),
            products: vec![promotion::PromotionProduct {
                product_id: "rubber-duck".into(),
                upc_code: None,
                discounts: vec![promotion::Discount {
                    id: 0,
                    value: 10.0,
                    r#type: 1,
                    description: None,
                }],
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(promo.customer_name.as_deref(), Some("Geese Inc"));
    assert_eq!(promo.products[0].discounts[0].id, 1, "discount numbered");
    let approved = c
        .promotions()
        .update_promotion(promotion::UpdatePromotionRequest {
            id: promo.id,
            approval_status: Some(1),
            products: Some(promotion::PromotionProducts { items: vec![] }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(approved.products.is_empty() && approved.prev_approval_status == 0);
    let refused = c
        .promotions()
        .delete_promotion(promotion::DeletePromotionRequest {
            id: promo.id,
            version: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    // Audit: the history of the promotion, and counts per hour.
    app.wait_for_audit(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let history = c
        .audit()
        .list_audit_records(audit::ListAuditRecordsRequest {
            filter: Some(audit::AuditFilter {
                object_name: Some("promotion".into()),
                object_id: Some(promo.id.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<&str> = history
        .records
        .iter()
        .map(|r| r.action_type.as_str())
        .collect();
    assert_eq!(kinds, ["update", "insert"], "newest first");
    let one = c
        .audit()
        .get_audit_record(audit::GetAuditRecordRequest {
            id: history.records[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.event_id, history.records[0].event_id);
    let counts = c
        .audit()
        .count_audit_records(audit::CountAuditRecordsRequest {
            filter: None,
            width: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(counts.buckets.iter().map(|b| b.count).sum::<i64>() > 0);
    let bad_filter = c
        .audit()
        .list_audit_records(audit::ListAuditRecordsRequest {
            filter: Some(audit::AuditFilter {
                action_type: Some("upsert".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_filter.code(), Code::InvalidArgument);
    assert!(bad_filter.message().contains("action_type"));
    let users_text = format!(
        "{:?}",
        c.users()
            .list_users(user::ListUsersRequest::default())
            .await
            .unwrap()
    );
    assert!(!users_text.contains("argon2"), "no hash in any response");

    pipeline.shutdown().await;
    running.stop().await;
    store.finish().await;
}
