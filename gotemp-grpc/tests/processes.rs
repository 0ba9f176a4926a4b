//! The `gotemp-grpc` binary as deployed apart: the user service in one process, the promotion
//! (and customer) service in another that knows no token secret and asks the user service;
//! both stop gracefully on SIGTERM; and a promotion process that asks a customer process for
//! customer names through the cache.

mod common;

use common::{SECRET, future, next_line, spawn, spawn_lines, stop, user_service};

use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::customer::UpdateCustomerRequest;
use gotemp_grpc::pb::promotion::{CreatePromotionRequest, GetPromotionRequest};
use gotemp_testing as testing;
use gotemp_testing::nats::NatsServer;

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
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
        ("GOTEMP_ADMIN_EMAIL", "ops@gotemp.example"),
        ("GOTEMP_ADMIN_PASSWORD", "ops password of the tests"),
        ("GOTEMP_SEED", "true"),
    ])
    .await;
    let (promotions, promotions_url) = spawn(&[
        ("GOTEMP_STORAGE", &store.url),
        ("GOTEMP_SERVICES", "promotion,customer"),
        ("GOTEMP_USER_SERVICE_URL", &users_url),
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
    ])
    .await;

    let mut login = GotempClient::connect(&users_url).await.unwrap();
    let token = login
        .login("ops@gotemp.example", "ops password of the tests")
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

/// `GetCustomer` calls the customer process has served, from its Prometheus figures.
async fn customer_calls(metrics: &str) -> u64 {
    let text = reqwest::get(metrics).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("gotemp_grpc_requests_total{") && l.contains("GetCustomer"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_process_asks_the_customer_process_once_per_customer() {
    let test = "a_promotion_process_asks_the_customer_process_once_per_customer";
    let Some(nats_server) = NatsServer::start(test).await else {
        return;
    };
    let Some(redis_server) = testing::redis_server(test).await else {
        return;
    };
    let (nats, redis) = (nats_server.url(), redis_server.url("redis"));
    let dir = std::env::temp_dir().join(format!("gotemp-lookups-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = |name: &str| format!("sqlite://{}/{name}.db", dir.display());
    let (users_db, customers_db, promotions_db) = (db("users"), db("customers"), db("promotions"));
    let shared = [
        ("GOTEMP_EVENTS", nats.as_str()),
        ("GOTEMP_CACHE", redis.as_str()),
    ];
    let mut env = user_service(&users_db);
    env.extend(shared);
    let (users, users_url) = spawn(&env).await;
    let mut env = vec![
        ("GOTEMP_STORAGE", customers_db.as_str()),
        ("GOTEMP_SERVICES", "customer"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
        ("GOTEMP_SEED", "true"),
        ("GOTEMP_METRICS_ADDR", "127.0.0.1:0"),
    ];
    env.extend(shared);
    let (customers, customers_url, mut output) = spawn_lines(&env).await;
    let metrics = next_line(&mut output).await;
    let metrics = metrics
        .strip_prefix("metrics on ")
        .expect("the metrics address");
    let metrics = metrics.to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = output.next_line().await {} });
    let mut env = vec![
        ("GOTEMP_STORAGE", promotions_db.as_str()),
        ("GOTEMP_SERVICES", "promotion"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
        ("GOTEMP_CUSTOMER_SERVICE_URL", customers_url.as_str()),
    ];
    env.extend(shared);
    let (promotions, promotions_url) = spawn(&env).await;

    let mut login = GotempClient::connect(&users_url).await.unwrap();
    let token = login
        .login("admin@gotemp.local", "ops password of the tests")
        .await;
    let token = token.unwrap().token;
    let mut client = GotempClient::connect(&promotions_url).await.unwrap();
    client.set_token(&token).unwrap();
    let seeded = ["ducksrus", "ducksrusd", "ducksrusb", "patoloco", "canard"];
    let mut ids = Vec::new();
    for customer in seeded {
        let request = CreatePromotionRequest {
            name: format!("For {customer}"),
            valid_from: future(0),
            valid_thru: future(10),
            customer_id: customer.into(),
            ..Default::default()
        };
        let created = client.promotions().create_promotion(request).await;
        ids.push(
            created
                .expect("a promotion of a seeded customer")
                .into_inner()
                .id,
        );
    }
    let before = customer_calls(&metrics).await;
    for read in 0..100 {
        let id = ids[read % ids.len()];
        let got = client
            .promotions()
            .get_promotion(GetPromotionRequest { id })
            .await;
        assert!(got.unwrap().into_inner().customer_name.is_some());
    }
    let calls = customer_calls(&metrics).await;
    assert!(
        (1..=5).contains(&calls),
        "5 creates and 100 reads over 5 customers asked the customer service {calls} times \
         ({before} before the reads)"
    );

    // A rename is seen on the next read: the customer process evicts the shared entry as it
    // commits.
    let mut customers_client = GotempClient::connect(&customers_url).await.unwrap();
    customers_client.set_token(&token).unwrap();
    let renamed = UpdateCustomerRequest {
        id: "canard".into(),
        name: Some("Canard Renamed".into()),
        ..Default::default()
    };
    customers_client
        .customers()
        .update_customer(renamed)
        .await
        .unwrap();
    let id = ids[4];
    let got = client
        .promotions()
        .get_promotion(GetPromotionRequest { id })
        .await;
    let name = got.unwrap().into_inner().customer_name;
    assert_eq!(name.as_deref(), Some("Canard Renamed"));
    assert_eq!(customer_calls(&metrics).await, calls + 1);

    stop(promotions).await;
    stop(customers).await;
    stop(users).await;
    let _ = std::fs::remove_dir_all(&dir);
}
