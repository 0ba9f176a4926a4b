//! What one request costs in instructions through gotemp's HTTP stack — router, middleware,
//! authentication, service, store and cache — on PostgreSQL: a cached get, a cold get, a create
//! and an update. Instructions, not seconds: callgrind counts the same for the same binary and
//! input whatever else the machine is doing, so a change that makes a request dearer shows even on
//! a noisy machine. The database's own work happens in its server and is not counted.
//!
//! `scripts/bench` runs this once per operation under
//! `valgrind --tool=callgrind --toggle-collect='*instructions::counted*'`, divides the total by
//! the calls this prints, records the figures in benches/RESULTS.md and warns when one grew by
//! more than 10 %. `GOTEMP_BENCH_OP` names the operation (`cached_get`, `cold_get`, `create`,
//! `update`); without valgrind the same requests simply run.

use axum::body::Body;
use axum::http::Request;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{CacheLayer, CacheSettings};
use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing as testing;
use std::sync::Arc;
use tower::ServiceExt as _;

const SECRET: &str = "2LxNMaKSjh6JiSB0L6KzSLfHlGpvbYSKuC5EM4eY2uU=";
/// Calls counted per operation, after as many uncounted ones to warm every cache.
const CALLS: usize = 50;

fn main() {
    let op = std::env::var("GOTEMP_BENCH_OP").unwrap_or_else(|_| "cached_get".into());
    if !["cached_get", "cold_get", "create", "update"].contains(&op.as_str()) {
        eprintln!("GOTEMP_BENCH_OP must be cached_get, cold_get, create or update, not {op}");
        std::process::exit(2);
    }
    // One thread: everything a request sets off runs inside `counted`, where callgrind counts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some((router, token, pg)) = runtime.block_on(setup(&op)) else {
        eprintln!("skipped: the instruction counts need PostgreSQL (scripts/services starts it)");
        std::process::exit(1);
    };
    runtime.block_on(run(&router, &token, &op, 0));
    counted(&runtime, &router, &token, &op);
    println!("calls {CALLS}");
    runtime.block_on(pg.finish());
}

/// The counted calls; callgrind collects inside this function only.
#[inline(never)]
fn counted(runtime: &tokio::runtime::Runtime, router: &axum::Router, token: &str, op: &str) {
    runtime.block_on(run(router, token, op, CALLS));
}

/// `CALLS` requests of `op`, numbered from `from` (every create a new id, every update another
/// customer).
async fn run(router: &axum::Router, token: &str, op: &str, from: usize) {
    for n in from..from + CALLS {
        let request = match op {
            "cached_get" => Request::get(format!("/v1/customers/bench-{}", n % CALLS)),
            "cold_get" => Request::get(format!("/v1/customers/bench-{n}")),
            "create" => Request::post("/v1/customers"),
            _ => Request::put(format!("/v1/customers/bench-{n}")),
        };
        let body = match op {
            "create" => format!(r#"{{"id": "new-{n}", "name": "Counted"}}"#),
            "update" => format!(r#"{{"name": "Counted {n}"}}"#),
            _ => String::new(),
        };
        let request = request
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                9,
            ))))
            .body(Body::from(body))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(status.is_success(), "{op} {n}: {status} {bytes:?}");
    }
}

/// A gotemp on a fresh PostgreSQL database with customers `bench-0` … to read and update; the
/// cache on for the cached get only.
async fn setup(op: &str) -> Option<(axum::Router, String, testing::TestStore)> {
    let pg = testing::postgres_store("instruction counts").await?;
    let tokens = Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).ok()?);
    let cache = (op == "cached_get").then(|| {
        CacheLayer::new(
            Arc::new(gotemp::store::cache::MemoryCache::default()),
            CacheSettings::default(),
        )
    });
    let mut services = Gotemp::builder()
        .repositories(pg.repos.clone())
        .tokens(tokens);
    if let Some(cache) = cache {
        services = services.cache(cache);
    }
    let app = services.build().await.ok()?;
    let mut config = Config::embedded(SecretString::from(SECRET));
    config.auth.admin_password = SecretString::from("bench password");
    app.seed(&config).await.ok()?;
    let actor =
        gotemp::domain::actor::Actor::system(gotemp::domain::values::TenantId::default_tenant());
    for n in 0..2 * CALLS {
        let input = gotemp::domain::entities::NewCustomer {
            id: Some(format!("bench-{n}")),
            name: format!("Bench customer {n}"),
            ..Default::default()
        };
        app.customers().create(&actor, input).await.ok()?;
    }
    let token = app
        .users()
        .login("admin@gotemp.local", &config.auth.admin_password)
        .await
        .ok()?
        .token;
    let router = gotemp_http::router(app, None, &gotemp::HttpConfig::default());
    Some((router, token, pg))
}
