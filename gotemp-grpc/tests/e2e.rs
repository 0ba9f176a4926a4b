//! The gRPC services end to end: a server on port 0 over a fresh PostgreSQL database, called
//! through the typed client — happy paths, validation errors, not-found, conflicts, and every
//! protected RPC with a missing, expired, tampered or wrong-algorithm token.

use base64::Engine as _;
use gotemp::core::auth::{TokenService, TokenSettings};
use gotemp::{Config, Gotemp, SecretString};
use gotemp_grpc::auth::{Authenticator, LocalVerifier, RemoteVerifier};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::{audit, customer, hierarchy, product, promotion, user};
use gotemp_grpc::server::{ServiceName, serve};
use gotemp_store::testing::{self, TestStore};
use std::sync::Arc;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

const SECRET: &str = "grpc-test-secret-grpc-test-secret-grpc!";

fn config() -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.admin_email = "root@gotemp.example".into();
    c.admin_password = SecretString::from("root password");
    c
}

fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap())
}

struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

async fn start(app: Gotemp, services: &[ServiceName], auth: Authenticator) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let services = services.to_vec();
    let task = tokio::spawn(async move {
        serve(app, &services, auth, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("the server runs");
    });
    Running {
        url,
        stop: Some(tx),
        task,
    }
}

/// A seeded app over a fresh PostgreSQL database, serving all five services.
async fn fixture(test: &str) -> Option<(TestStore, Gotemp, Running)> {
    let store = testing::postgres_store(test).await?;
    let app = Gotemp::with_repositories(store.repos.clone(), tokens());
    app.seed(&config()).await.unwrap();
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(tokens())));
    let running = start(app.clone(), &ServiceName::ALL, auth).await;
    Some((store, app, running))
}

async fn admin(url: &str) -> GotempClient {
    let mut client = GotempClient::connect(url).await.unwrap();
    let c = config();
    use secrecy::ExposeSecret as _;
    client
        .login(&c.admin_email, c.admin_password.expose_secret())
        .await
        .unwrap();
    client
}

/// Calls every RPC that needs a token, with harmless arguments; returns each outcome.
async fn every_protected_rpc(c: &GotempClient) -> Vec<(&'static str, Result<(), Status>)> {
    fn done<T>(r: Result<T, Status>) -> Result<(), Status> {
        r.map(|_| ())
    }
    vec![
        (
            "GetUser",
            done(c.users().get_user(user::GetUserRequest { id: 1 }).await),
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
                        id: "ducksrus".into(),
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
                    .update_customer(customer::UpdateCustomerRequest::default())
                    .await,
            ),
        ),
        (
            "DeleteCustomer",
            done(
                c.customers()
                    .delete_customer(customer::DeleteCustomerRequest::default())
                    .await,
            ),
        ),
        (
            "GetProduct",
            done(
                c.products()
                    .get_product(product::GetProductRequest {
                        id: "switch".into(),
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
                    .update_product(product::UpdateProductRequest::default())
                    .await,
            ),
        ),
        (
            "DeleteProduct",
            done(
                c.products()
                    .delete_product(product::DeleteProductRequest::default())
                    .await,
            ),
        ),
        (
            "GetPromotion",
            done(
                c.promotions()
                    .get_promotion(promotion::GetPromotionRequest { id: 1 })
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
                    .update_promotion(promotion::UpdatePromotionRequest::default())
                    .await,
            ),
        ),
        (
            "DeletePromotion",
            done(
                c.promotions()
                    .delete_promotion(promotion::DeletePromotionRequest::default())
                    .await,
            ),
        ),
        (
            "GetAuditRecord",
            done(
                c.audit()
                    .get_audit_record(audit::GetAuditRecordRequest { id: 1 })
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
                    .count_audit_records(audit::CountAuditRecordsRequest::default())
                    .await,
            ),
        ),
        (
            "Customer.ListChildren",
            done(c.customers().list_children(linked("ducksrus")).await),
        ),
        (
            "Customer.ListParents",
            done(c.customers().list_parents(linked("ducksrusd")).await),
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
            done(c.products().list_children(linked("elec")).await),
        ),
        (
            "Product.ListParents",
            done(c.products().list_parents(linked("tele")).await),
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

fn linked(id: &str) -> hierarchy::ListLinkedRequest {
    hierarchy::ListLinkedRequest {
        id: id.into(),
        valid_on: None,
    }
}

/// The same claims, signed with another algorithm (and the same secret), or with none.
fn resigned(token: &str, alg: &str) -> String {
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

#[tokio::test]
async fn every_protected_rpc_refuses_bad_tokens() {
    let Some((store, app, running)) = fixture("every_protected_rpc_refuses_bad_tokens").await
    else {
        return;
    };
    let good = admin(&running.url).await;
    // A valid token works on every RPC (whatever the outcome, it is not UNAUTHENTICATED).
    for (rpc, outcome) in every_protected_rpc(&good).await {
        if let Err(status) = outcome {
            assert_ne!(
                status.code(),
                Code::Unauthenticated,
                "{rpc} with a valid token: {status:?}"
            );
        }
    }

    let admin_id = app
        .users
        .list(&Default::default(), &Default::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let valid = tokens().issue(admin_id, chrono::Utc::now()).unwrap().token;
    let expired = tokens()
        .issue(admin_id, chrono::Utc::now() - chrono::Duration::days(2))
        .unwrap()
        .token;
    let mut tampered = valid.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("not-a-token".into())),
        ("expired", Some(expired)),
        ("tampered signature", Some(tampered)),
        (
            "HS384 with the same secret",
            Some(resigned(&valid, "HS384")),
        ),
        (
            "HS512 with the same secret",
            Some(resigned(&valid, "HS512")),
        ),
        ("alg none", Some(resigned(&valid, "none"))),
    ];
    for (case, token) in cases {
        let mut client = GotempClient::connect(&running.url).await.unwrap();
        if let Some(token) = token {
            client.set_token(&token).unwrap();
        }
        for (rpc, outcome) in every_protected_rpc(&client).await {
            let status = outcome.expect_err(&format!("{rpc} accepted {case}"));
            assert_eq!(
                status.code(),
                Code::Unauthenticated,
                "{rpc} with {case}: {status:?}"
            );
        }
    }
    // Login itself needs no token, and a wrong password is UNAUTHENTICATED without detail.
    let anonymous = GotempClient::connect(&running.url).await.unwrap();
    let status = anonymous
        .users()
        .login(user::LoginRequest {
            email: "root@gotemp.example".into(),
            password: "wrong password".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    running.stop().await;
    store.finish().await;
}

fn future(days: i64) -> Option<prost_types::Timestamp> {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

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

    // Products.
    let duck = c
        .products()
        .create_product(product::CreateProductRequest {
            id: Some("rubber-duck".into()),
            name: "Rubber duck".into(),
            hierarchy_level: Some("L3".into()),
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

#[tokio::test]
async fn a_service_deployed_apart_verifies_tokens_with_the_user_service() {
    let test = "a_service_deployed_apart_verifies_tokens_with_the_user_service";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let users_app = Gotemp::with_repositories(store.repos.clone(), tokens());
    users_app.seed(&config()).await.unwrap();
    let local = Authenticator::new(Arc::new(LocalVerifier::new(tokens())));
    let users = start(users_app, &[ServiceName::User], local).await;

    // The promotion side knows no secret: it asks the user service.
    let other_secret = SecretString::from("a-different-secret-a-different-secret!!");
    let other_tokens = Arc::new(TokenService::new(TokenSettings::new(other_secret)).unwrap());
    let promotions_app = Gotemp::with_repositories(store.open_again().await, other_tokens);
    let channel = tonic::transport::Endpoint::from_shared(users.url.clone())
        .unwrap()
        .connect_lazy();
    let remote = Authenticator::new(Arc::new(RemoteVerifier::new(channel)));
    let promotions = start(
        promotions_app,
        &[ServiceName::Promotion, ServiceName::Customer],
        remote,
    )
    .await;

    let mut login = admin(&users.url).await;
    let token = login
        .users()
        .login(user::LoginRequest {
            email: config().admin_email,
            password: "root password".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .token;
    let mut client = GotempClient::connect(&promotions.url).await.unwrap();
    client.set_token(&token).unwrap();
    let promo = client
        .promotions()
        .create_promotion(promotion::CreatePromotionRequest {
            name: "Remote".into(),
            valid_from: future(0),
            valid_thru: future(5),
            customer_id: "ducksrus".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(promo.customer_name.as_deref(), Some("Ducks R Us"));
    // Answers are cached until the token expires: the user service may even go away.
    users.stop().await;
    client
        .promotions()
        .get_promotion(promotion::GetPromotionRequest { id: promo.id })
        .await
        .expect("a verified token is remembered");
    let mut forged = token.clone();
    forged.push('x');
    client.set_token(&forged).unwrap();
    let refused = client
        .promotions()
        .get_promotion(promotion::GetPromotionRequest { id: promo.id })
        .await
        .unwrap_err();
    assert_ne!(refused.code(), Code::Ok);
    assert!(
        matches!(refused.code(), Code::Unauthenticated | Code::Unavailable),
        "an unknown token is never let through: {refused:?}"
    );
    login.clear_token();
    promotions.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn health_and_reflection_let_standard_tools_find_everything() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let test = "health_and_reflection_let_standard_tools_find_everything";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let app = Gotemp::with_repositories(store.repos.clone(), tokens());
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(tokens())));
    let running = start(app, &[ServiceName::User, ServiceName::Promotion], auth).await;
    let channel = tonic::transport::Endpoint::from_shared(running.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();

    let mut health = HealthClient::new(channel.clone());
    for service in [
        "",
        "gotemp.user.v1.UserService",
        "gotemp.promotion.v1.PromotionService",
    ] {
        let mut status = ServingStatus::Unknown;
        for _ in 0..50 {
            let answer = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .map(|r| r.into_inner().status());
            if let Ok(s) = answer {
                status = s;
                if s == ServingStatus::Serving {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, ServingStatus::Serving, "health of {service:?}");
    }
    let not_served = health
        .check(HealthCheckRequest {
            service: "gotemp.audit.v1.AuditService".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        not_served.code(),
        Code::NotFound,
        "only the served services are known"
    );

    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream_once(request))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().expect("one answer");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "gotemp.user.v1.UserService",
        "gotemp.promotion.v1.PromotionService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n.contains("Audit") || n.contains("Customer")),
        "only what this process serves: {names:?}"
    );
    running.stop().await;
    store.finish().await;
}

/// A request stream of one message.
fn tokio_stream_once<T: Send + 'static>(item: T) -> impl futures::Stream<Item = T> {
    futures::stream::once(async move { item })
}

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

#[tokio::test]
async fn hierarchies_are_listed_linked_and_unlinked() {
    let Some((store, _app, running)) =
        fixture("grpc_hierarchies_are_listed_linked_and_unlinked").await
    else {
        return;
    };
    let c = admin(&running.url).await;
    let children = c
        .customers()
        .list_children(linked("ducksrus"))
        .await
        .unwrap();
    let ids: Vec<_> = children
        .into_inner()
        .items
        .into_iter()
        .map(|i| (i.customer.unwrap().id, i.link.unwrap().kind.unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("ducksrusb".to_owned(), "pay_to".to_owned()),
            ("ducksrusd".to_owned(), "sold_to".to_owned())
        ]
    );
    let parts = c.products().list_components(linked("tele")).await.unwrap();
    let ids: Vec<_> = parts
        .into_inner()
        .items
        .into_iter()
        .map(|i| i.product.unwrap().id)
        .collect();
    assert_eq!(ids, ["intamd"]);

    let add = |id: &str, other: &str, kind: Option<&str>| hierarchy::AddLinkRequest {
        id: id.into(),
        other_id: other.into(),
        kind: kind.map(Into::into),
        ..Default::default()
    };
    let link = c
        .products()
        .add_component(add("fridge", "intamd", None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (link.from.as_str(), link.relation.as_str()),
        ("intamd", "is_component_of")
    );
    let again = c
        .products()
        .add_component(add("fridge", "intamd", None))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    let looped = c
        .products()
        .add_child(add("tele", "elec", None))
        .await
        .unwrap_err();
    assert_eq!(looped.code(), Code::InvalidArgument, "{looped:?}");
    let bad_kind = c
        .customers()
        .add_child(add("canard", "patoloco", Some("bill_to")))
        .await
        .unwrap_err();
    assert_eq!(bad_kind.code(), Code::InvalidArgument);
    let missing = c
        .customers()
        .list_parents(linked("nobody"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let removed = c
        .products()
        .remove_component(hierarchy::RemoveLinkRequest {
            id: "fridge".into(),
            other_id: "intamd".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed, link);
    store.finish().await;
}
