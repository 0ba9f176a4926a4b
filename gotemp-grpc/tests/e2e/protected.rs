//! Every RPC that needs a token, and tokens re-signed to try to get around it.

use crate::support::*;

/// A version no object has: a change or delete naming it is refused (ABORTED) after the caller
/// was authorized, so an allowed caller changes nothing and a refused one sees PERMISSION_DENIED.
const STALE: Option<i64> = Some(999_999);

/// Calls every RPC that needs a token, with harmless arguments (existing objects, a stale
/// version); returns each outcome.
pub async fn every_protected_rpc(c: &GotempClient) -> Vec<(&'static str, Result<(), Status>)> {
    every_protected_rpc_on(c, &Targets::demo()).await
}

/// [`every_protected_rpc`] naming the objects `t` names.
pub async fn every_protected_rpc_on(
    c: &GotempClient,
    t: &Targets,
) -> Vec<(&'static str, Result<(), Status>)> {
    fn done<T>(r: Result<T, Status>) -> Result<(), Status> {
        r.map(|_| ())
    }
    vec![
        (
            "GetUser",
            done(
                c.users()
                    .get_user(user::GetUserRequest { id: t.user })
                    .await,
            ),
        ),
        (
            "ListUsers",
            done(
                c.users()
                    .list_users(user::ListUsersRequest::default())
                    .await,
            ),
        ),
        (
            "CreateUser",
            done(
                c.users()
                    .create_user(user::CreateUserRequest::default())
                    .await,
            ),
        ),
        (
            "UpdateUser",
            done(
                c.users()
                    .update_user(user::UpdateUserRequest::default())
                    .await,
            ),
        ),
        (
            "DeleteUser",
            done(
                c.users()
                    .delete_user(user::DeleteUserRequest::default())
                    .await,
            ),
        ),
        ("GetMe", done(c.users().get_me(user::GetMeRequest {}).await)),
        (
            "ChangePassword",
            done(
                c.users()
                    .change_password(user::ChangePasswordRequest::default())
                    .await,
            ),
        ),
        (
            "ValidateToken",
            done(
                c.users()
                    .validate_token(user::ValidateTokenRequest::default())
                    .await,
            ),
        ),
        (
            "GetCustomer",
            done(
                c.customers()
                    .get_customer(customer::GetCustomerRequest {
                        id: t.customer.into(),
                    })
                    .await,
            ),
        ),
        (
            "ListCustomers",
            done(
                c.customers()
                    .list_customers(customer::ListCustomersRequest::default())
                    .await,
            ),
        ),
        (
            "CreateCustomer",
            done(
                c.customers()
                    .create_customer(customer::CreateCustomerRequest::default())
                    .await,
            ),
        ),
        (
            "UpdateCustomer",
            done(
                c.customers()
                    .update_customer(customer::UpdateCustomerRequest {
                        id: t.changed_customer.into(),
                        version: STALE,
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "DeleteCustomer",
            done(
                c.customers()
                    .delete_customer(customer::DeleteCustomerRequest {
                        id: t.changed_customer.into(),
                        version: STALE,
                    })
                    .await,
            ),
        ),
        (
            "GetProduct",
            done(
                c.products()
                    .get_product(product::GetProductRequest {
                        id: t.product.into(),
                    })
                    .await,
            ),
        ),
        (
            "ListProducts",
            done(
                c.products()
                    .list_products(product::ListProductsRequest::default())
                    .await,
            ),
        ),
        (
            "CreateProduct",
            done(
                c.products()
                    .create_product(product::CreateProductRequest::default())
                    .await,
            ),
        ),
        (
            "UpdateProduct",
            done(
                c.products()
                    .update_product(product::UpdateProductRequest {
                        id: t.changed_product.into(),
                        version: STALE,
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "DeleteProduct",
            done(
                c.products()
                    .delete_product(product::DeleteProductRequest {
                        id: t.changed_product.into(),
                        version: STALE,
                    })
                    .await,
            ),
        ),
        (
            "GetPromotion",
            done(
                c.promotions()
                    .get_promotion(promotion::GetPromotionRequest { id: t.promotion })
                    .await,
            ),
        ),
        (
            "ListPromotions",
            done(
                c.promotions()
                    .list_promotions(promotion::ListPromotionsRequest::default())
                    .await,
            ),
        ),
        (
            "CreatePromotion",
            done(
                c.promotions()
                    .create_promotion(promotion::CreatePromotionRequest::default())
                    .await,
            ),
        ),
        (
            "UpdatePromotion",
            done(
                c.promotions()
                    .update_promotion(promotion::UpdatePromotionRequest {
                        id: t.promotion,
                        version: STALE,
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "DeletePromotion",
            done(
                c.promotions()
                    .delete_promotion(promotion::DeletePromotionRequest {
                        id: t.promotion,
                        version: STALE,
                    })
                    .await,
            ),
        ),
        (
            "GetAuditRecord",
            done(
                c.audit()
                    .get_audit_record(audit::GetAuditRecordRequest { id: t.audit })
                    .await,
            ),
        ),
        (
            "ListAuditRecords",
            done(
                c.audit()
                    .list_audit_records(audit::ListAuditRecordsRequest::default())
                    .await,
            ),
        ),
        (
            "CountAuditRecords",
            done(
                c.audit()
                    .count_audit_records(audit::CountAuditRecordsRequest {
                        width: Some(prost_types::Duration {
                            seconds: 3600,
                            nanos: 0,
                        }),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "VerifyAuditChain",
            done(
                c.audit()
                    .verify_audit_chain(audit::VerifyAuditChainRequest::default())
                    .await,
            ),
        ),
        (
            "GetCheckpoint",
            done(
                c.audit()
                    .get_checkpoint(audit::GetCheckpointRequest::default())
                    .await,
            ),
        ),
        (
            "GetCheckpointKeys",
            done(
                c.audit()
                    .get_checkpoint_keys(audit::GetCheckpointKeysRequest::default())
                    .await,
            ),
        ),
        (
            "ListDeadLetters",
            done(
                c.audit()
                    .list_dead_letters(audit::ListDeadLettersRequest::default())
                    .await,
            ),
        ),
        (
            "ReplayDeadLetter",
            done(
                c.audit()
                    .replay_dead_letter(audit::ReplayDeadLetterRequest { id: 999_999 })
                    .await,
            ),
        ),
        (
            "Customer.ListChildren",
            done(c.customers().list_children(linked(t.customer_parent)).await),
        ),
        (
            "Customer.ListParents",
            done(c.customers().list_parents(linked(t.customer_child)).await),
        ),
        (
            "Customer.AddChild",
            done(
                c.customers()
                    .add_child(hierarchy::AddLinkRequest::default())
                    .await,
            ),
        ),
        (
            "Customer.RemoveChild",
            done(
                c.customers()
                    .remove_child(hierarchy::RemoveLinkRequest::default())
                    .await,
            ),
        ),
        (
            "Product.ListChildren",
            done(c.products().list_children(linked(t.product_parent)).await),
        ),
        (
            "Product.ListParents",
            done(c.products().list_parents(linked(t.product_child)).await),
        ),
        (
            "Product.ListComponents",
            done(c.products().list_components(linked("switch")).await),
        ),
        (
            "Product.AddChild",
            done(
                c.products()
                    .add_child(hierarchy::AddLinkRequest::default())
                    .await,
            ),
        ),
        (
            "Product.RemoveChild",
            done(
                c.products()
                    .remove_child(hierarchy::RemoveLinkRequest::default())
                    .await,
            ),
        ),
        (
            "Product.AddComponent",
            done(
                c.products()
                    .add_component(hierarchy::AddLinkRequest::default())
                    .await,
            ),
        ),
        (
            "Product.RemoveComponent",
            done(
                c.products()
                    .remove_component(hierarchy::RemoveLinkRequest::default())
                    .await,
            ),
        ),
    ]
}

pub fn linked(id: &str) -> hierarchy::ListLinkedRequest {
    hierarchy::ListLinkedRequest {
        id: id.into(),
        valid_on: None,
    }
}

/// The same claims, signed with another algorithm (and the same secret), or with none.
pub fn resigned(token: &str, alg: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1).unwrap();
    if alg == "none" {
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        return format!("{header}.{payload}.");
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    let algorithm = match alg {
        "HS384" => jsonwebtoken::Algorithm::HS384,
        _ => jsonwebtoken::Algorithm::HS512,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(algorithm),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}
