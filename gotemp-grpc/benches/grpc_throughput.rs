//! Get and Create over gRPC at concurrency 1, 8 and 32 (a benchmark, not a test): the server and
//! the client in one process on loopback (they share the machine's cores), PostgreSQL storage,
//! the in-process cache and audit pipeline running, every call authenticated.
//!
//! ```sh
//! cargo bench -p gotemp-grpc --bench grpc_throughput --features postgres   # GOTEMP_BENCH_CALLS=4000
//! ```

use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{CacheLayer, CacheSettings};
use gotemp::{Gotemp, SecretString};
use gotemp_grpc::auth::{Authenticator, LocalVerifier};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::customer::{CreateCustomerRequest, GetCustomerRequest};
use gotemp_grpc::pb::promotion::GetPromotionRequest;
use gotemp_grpc::server::{ServiceName, serve};
use gotemp_testing::{self as testing, measure};
use std::sync::Arc;

const SECRET: &str = "AQTGEHQ8g+2rPQl05RJuZfUSJp6FwpZt1YBSwsDZDY8=";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let calls: usize = std::env::var("GOTEMP_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let Some(store) = testing::postgres_store("grpc_throughput bench").await else {
        return;
    };
    let tokens =
        Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap());
    let cache = CacheLayer::new(
        Arc::new(gotemp::store::cache::MemoryCache::default()),
        CacheSettings::default(),
    );
    let app = Gotemp::builder()
        .repositories(store.repos.clone())
        .tokens(tokens.clone())
        .cache(cache)
        .build()
        .await
        .expect("the services are wired");
    let mut config = gotemp::Config::embedded(SecretString::from(SECRET));
    config.auth.admin_password = SecretString::from("bench password");
    app.seed(&config).await.unwrap();
    let pipeline = app.start_audit_pipeline();
    let promo = app
        .promotions()
        .list(
            &gotemp::domain::Actor::system(gotemp::domain::values::TenantId::default_tenant()),
            &Default::default(),
            &Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let server = tokio::spawn(serve(app, &ServiceName::ALL, auth, listener, async {
        let _ = stopped.await;
    }));
    let mut client = GotempClient::connect(&url).await.unwrap();
    client
        .login(&config.auth.admin_email, "bench password")
        .await
        .unwrap();
    let client = Arc::new(client);

    println!("gRPC, PostgreSQL, {calls} calls per row");
    for concurrency in [1, 8, 32] {
        let c = client.clone();
        measure("GetCustomer (cached)", concurrency, calls, move |_| {
            let c = c.clone();
            async move {
                c.customers()
                    .get_customer(GetCustomerRequest {
                        id: "ducksrus".into(),
                    })
                    .await
                    .unwrap();
            }
        })
        .await;
        let c = client.clone();
        measure(
            "GetPromotion (+ customer name)",
            concurrency,
            calls,
            move |_| {
                let c = c.clone();
                async move {
                    c.promotions()
                        .get_promotion(GetPromotionRequest { id: promo })
                        .await
                        .unwrap();
                }
            },
        )
        .await;
        let c = client.clone();
        let run = uuid::Uuid::now_v7().simple().to_string();
        measure("CreateCustomer (+ outbox)", concurrency, calls, move |i| {
            let c = c.clone();
            let id = format!("bench-{}-{i}", &run[20..]);
            async move {
                c.customers()
                    .create_customer(CreateCustomerRequest {
                        id: Some(id),
                        name: "Bench customer".into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
            }
        })
        .await;
    }
    let _ = stop.send(());
    let _ = server.await;
    pipeline.shutdown().await;
    store.finish().await;
}
