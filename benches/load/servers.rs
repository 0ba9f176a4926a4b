//! The servers the load benchmark measures, started in this process, and what it reads of the
//! process while they run.

use crate::{SECRET, SEEDED, external};
use gotemp::Gotemp;
use gotemp::HttpConfig;
use gotemp::SecretString;
use gotemp::domain::actor::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::cache::{CacheLayer, CacheSettings};
use gotemp::domain::entities::NewCustomer;
use gotemp_grpc::auth::{Authenticator, LocalVerifier};
use gotemp_grpc::server::{ServiceName, serve};
use std::sync::Arc;
use std::time::Instant;

pub fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap())
}

pub fn memory_cache() -> CacheLayer {
    CacheLayer::new(
        Arc::new(gotemp::store::cache::MemoryCache::default()),
        CacheSettings::default(),
    )
}

pub async fn seed(app: &Gotemp) {
    seed_in(app, &gotemp::domain::values::TenantId::default_tenant()).await;
}

/// [`seed`] in `tenant`.
pub async fn seed_in(app: &Gotemp, tenant: &gotemp::domain::values::TenantId) {
    let actor = Actor::system(tenant.clone());
    for n in 1..=SEEDED {
        let input = NewCustomer {
            id: Some(format!("bench-{n}")),
            name: format!("Bench customer {n}"),
            ..Default::default()
        };
        app.customers().create(&actor, input).await.unwrap();
    }
}

/// An HTTP server of `app` on a free port; its base URL.
pub async fn http(app: Gotemp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = gotemp_http::router(app, None, &HttpConfig::default());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// A gRPC server of `app`'s customer service on a free port; its URL.
pub async fn grpc(app: Gotemp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    tokio::spawn(async move {
        serve(
            app,
            &[ServiceName::Customer],
            auth,
            listener,
            std::future::pending(),
        )
        .await
        .unwrap()
    });
    url
}

/// CPU used during a row, to tell a server that is slow from a load generator that takes the
/// cores: the servers' (this process) and the load generator's (a child that ended).
pub struct Usage {
    started: Instant,
    servers: f64,
    generator: f64,
}

impl Usage {
    pub fn start() -> Self {
        let (servers, generator) = external::cpu_seconds();
        Self {
            started: Instant::now(),
            servers,
            generator,
        }
    }

    /// Cores used on average: (how, c, servers, load generator).
    pub fn stop(self, how: &'static str, c: usize) -> (&'static str, usize, f64, f64) {
        let (servers, generator) = external::cpu_seconds();
        let wall = self.started.elapsed().as_secs_f64();
        (
            how,
            c,
            (servers - self.servers) / wall,
            (generator - self.generator) / wall,
        )
    }
}

pub fn rss_kib(field: &str) -> u64 {
    crate::server_process::status_kib("self", field)
}

/// A multi-tenant deployment over `repositories`: the tenant `bench`, with customers of the
/// same keys as `default`'s and an administrator of its own, served as a single-tenant
/// deployment serves `default`. Its events go through the same outbox. The services, and its
/// administrator's token.
pub async fn many_tenants(
    repositories: gotemp::domain::ports::Repositories,
    config: &gotemp::Config,
) -> (Gotemp, String) {
    use gotemp::domain::entities::{NewTenant, NewTenantAdmin};
    use gotemp::domain::values::{Tenancy, TenantId};
    let multi = Gotemp::builder()
        .repositories(repositories)
        .tokens(tokens())
        .cache(memory_cache())
        .tenancy(Tenancy::Multi)
        .build()
        .await
        .expect("the services are wired");
    let mut operator = config.clone();
    operator.auth.admin_email = "operator@bench.example".into();
    multi.ensure_platform(&operator).await.unwrap();
    let bench = TenantId::parse("tenant", "bench").unwrap();
    let admin = NewTenantAdmin {
        email: "admin@bench.example".into(),
        first_name: "Bench".into(),
        last_name: "Admin".into(),
        password: config.auth.admin_password.clone(),
    };
    let new = NewTenant {
        key: bench.to_string(),
        name: "Bench".into(),
        valid_from: None,
        valid_thru: None,
        admin,
    };
    let platform = Actor::system(TenantId::platform());
    multi.tenants().create(&platform, new).await.unwrap();
    seed_in(&multi, &bench).await;
    let login = multi
        .users()
        .login("admin@bench.example", &config.auth.admin_password);
    let token = login.await.unwrap().token;
    (multi, token)
}

/// Reads every seeded customer once through the HTTP server at `base`, so its cache holds them.
pub async fn warm_cache(client: &reqwest::Client, base: &str, token: &str) {
    for n in 1..=SEEDED {
        let url = format!("{base}/v1/customers/bench-{n}");
        client.get(&url).bearer_auth(token).send().await.unwrap();
    }
}
