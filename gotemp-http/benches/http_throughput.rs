//! Get and Create over HTTP/JSON at concurrency 1, 8 and 32 (a benchmark, not a test): the server
//! and the client in one process on loopback (they share the machine's cores), PostgreSQL
//! storage, the in-process cache and audit pipeline running, every request authenticated.
//!
//! ```sh
//! cargo bench -p gotemp-http --bench http_throughput --features postgres   # GOTEMP_BENCH_CALLS=4000
//! ```

use gotemp::HttpConfig;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{CacheLayer, CacheSettings};
use gotemp::{Gotemp, SecretString};
use gotemp_testing::{self as testing, measure};
use std::sync::Arc;

const SECRET: &str = "LdKD81/lP5feRPpYsbLW6AQ55uMbgzpTyGFobGNAW6E=";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let calls: usize = std::env::var("GOTEMP_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let Some(store) = testing::postgres_store("http_throughput bench").await else {
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
    let router = gotemp_http::router(app, None, &HttpConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let login: serde_json::Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"email": config.auth.admin_email, "password": "bench password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Arc<str> = login["token"].as_str().unwrap().into();

    println!("HTTP/1.1 JSON, PostgreSQL, {calls} requests per row");
    for concurrency in [1, 8, 32] {
        let (h, b, t) = (http.clone(), base.clone(), token.clone());
        measure(
            "GET /v1/customers/{id} (cached)",
            concurrency,
            calls,
            move |_| {
                let request = h.get(format!("{b}/v1/customers/ducksrus")).bearer_auth(&t);
                async move {
                    let r = request.send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                }
            },
        )
        .await;
        let (h, b, t) = (http.clone(), base.clone(), token.clone());
        measure("GET /v1/promotions/{id}", concurrency, calls, move |_| {
            let request = h.get(format!("{b}/v1/promotions/{promo}")).bearer_auth(&t);
            async move {
                let r = request.send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
            }
        })
        .await;
        let (h, b, t) = (http.clone(), base.clone(), token.clone());
        let run = uuid::Uuid::now_v7().simple().to_string();
        measure("POST /v1/customers (+ outbox)", concurrency, calls, move |i| {
            let body = serde_json::json!({"id": format!("bench-{}-{i}", &run[20..]), "name": "Bench customer"});
            let request = h.post(format!("{b}/v1/customers")).bearer_auth(&t).json(&body);
            async move {
                let r = request.send().await.unwrap();
                assert_eq!(r.status(), 201);
                r.bytes().await.unwrap();
            }
        })
        .await;
    }
    let _ = stop.send(());
    let _ = server.await;
    pipeline.shutdown().await;
    store.finish().await;
}
