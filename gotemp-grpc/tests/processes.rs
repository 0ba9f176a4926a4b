//! The `gotemp-grpc` binary as deployed apart: the user service in one process, the promotion
//! (and customer) service in another that knows no token secret and asks the user service;
//! both stop gracefully on SIGTERM.

mod common;

use common::{future, spawn, stop};

use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::promotion::{CreatePromotionRequest, GetPromotionRequest};
use gotemp_store::testing;

const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";

#[tokio::test]
async fn user_and_promotion_services_in_separate_processes_work_together() {
    let test = "user_and_promotion_services_in_separate_processes_work_together";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let (users, users_url) = spawn(&[
        ("GOTEMP_STORAGE", &store.url),
        ("GOTEMP_SERVICES", "user"),
        ("GOTEMP_JWT_SECRET", SECRET),
        ("GOTEMP_ADMIN_EMAIL", "ops@gotemp.example"),
        ("GOTEMP_ADMIN_PASSWORD", "ops password"),
        ("GOTEMP_SEED", "true"),
    ])
    .await;
    let (promotions, promotions_url) = spawn(&[
        ("GOTEMP_STORAGE", &store.url),
        ("GOTEMP_SERVICES", "promotion,customer"),
        ("GOTEMP_USER_SERVICE_URL", &users_url),
    ])
    .await;

    let mut login = GotempClient::connect(&users_url).await.unwrap();
    let token = login
        .login("ops@gotemp.example", "ops password")
        .await
        .unwrap()
        .token;
    let mut client = GotempClient::connect(&promotions_url).await.unwrap();
    client.set_token(&token).unwrap();
    let created = client
        .promotions()
        .create_promotion(CreatePromotionRequest {
            name: "Across processes".into(),
            valid_from: future(0),
            valid_thru: future(10),
            customer_id: "ducksrus".into(),
            ..Default::default()
        })
        .await
        .expect("a promotion created with a token the other process issued")
        .into_inner();
    assert_eq!(created.customer_name.as_deref(), Some("Ducks R Us"));
    client.set_token("not-a-token").unwrap();
    let refused = client
        .promotions()
        .get_promotion(GetPromotionRequest { id: created.id })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    stop(promotions).await;
    stop(users).await;
    store.finish().await;
}
