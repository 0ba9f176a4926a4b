//! gotemp: a Rust SDK for business microservices — users and authentication, customers,
//! products, promotions, and an audit trail of every change.
//!
//! This facade wires a [`Config`] into a store and the five services, so an application gets a
//! working system in a few lines. The pieces live in their own crates and are re-exported:
//! [`core`] (domain, services, ports) and [`store`] (SQLite, PostgreSQL).
//!
//! ```no_run
//! # async fn run() -> gotemp::core::Result<()> {
//! let config = gotemp::Config::embedded(gotemp::SecretString::from(
//!     "a secret of at least thirty-two bytes!",
//! ));
//! let app = gotemp::Gotemp::open(&config).await?;
//! let customers = app.customers.list(&Default::default(), &Default::default()).await?;
//! # Ok(()) }
//! ```

mod config;
mod runtime;

pub use config::{Config, SecretSource, redact_url};
pub use gotemp_core as core;
pub use gotemp_events as events;
pub use gotemp_store as store;
pub use runtime::{EventPipeline, shutdown_signal};
pub use secrecy::SecretString;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use gotemp_core::auth::{Argon2Hasher, TokenService, TokenSettings};
use gotemp_core::cache::{Cache, CacheLayer, CacheSettings};
use gotemp_core::ports::{CustomerDirectory, PromotionsOfCustomer, References, Repositories};
use gotemp_core::seed::{SeedReport, SeedSettings, SeedTargets};
use gotemp_core::services::*;
use gotemp_core::{Error, Result};
use gotemp_events::{
    AuditRecorder, CacheInvalidator, InProcessBus, OutboxRelay, RelayHandle, RelaySettings,
};
use std::sync::Arc;

/// The five services over one store.
#[derive(Clone)]
pub struct Gotemp {
    /// Users and authentication.
    pub users: UserService,
    /// Customers.
    pub customers: CustomerService,
    /// Products.
    pub products: ProductService,
    /// Promotions.
    pub promotions: PromotionService,
    /// Audit trail.
    pub audit: AuditService,
    /// The repositories underneath, for the outbox relay and for embedders.
    pub repositories: Repositories,
    /// The lookup cache the services share, if one is configured; change events must reach it
    /// (the embedded pipeline does that, `gotemp_events::nats::NatsCacheInvalidator` between
    /// processes).
    pub cache: Option<CacheLayer>,
    /// Issues and verifies tokens (the user service's; transports verify callers with it).
    pub tokens: Arc<TokenService>,
}

impl Gotemp {
    /// Opens the store named by `config.storage` (migrating it) and builds the services.
    pub async fn open(config: &Config) -> Result<Self> {
        let mut repositories = open_store(&config.storage).await?;
        if let Some(url) = config
            .audit_storage
            .as_deref()
            .filter(|u| *u != config.storage)
        {
            repositories.audit = open_store(url).await?.audit;
        }
        if let Some(url) = (config.master_data_storage.as_deref()).filter(|u| *u != config.storage)
        {
            // Customers and products commit with their events in their own store; one relay
            // drains both outboxes.
            let master = open_master_data(url).await?;
            repositories.customers = master.customers;
            repositories.products = master.products;
            repositories.outbox = Arc::new(gotemp_events::MergedOutbox::new(vec![
                repositories.outbox.clone(),
                master.outbox,
            ]));
        }
        let mut token_settings = TokenSettings::new(config.jwt_secret.clone());
        token_settings.ttl = chrono::Duration::seconds(config.token_ttl_secs);
        let tokens = Arc::new(TokenService::new(token_settings)?);
        let cache = open_cache(config)?.map(|cache| {
            let settings = CacheSettings {
                ttl: std::time::Duration::from_secs(config.cache_ttl_secs.max(1)),
                ..CacheSettings::default()
            };
            CacheLayer::new(cache, settings)
        });
        Ok(Self::with_parts(repositories, tokens, cache))
    }

    /// Builds the services over repositories an embedder made itself, without a cache.
    pub fn with_repositories(repositories: Repositories, tokens: Arc<TokenService>) -> Self {
        Self::with_parts(repositories, tokens, None)
    }

    /// Builds the services over an embedder's repositories and, optionally, a lookup cache for
    /// customers and products (the promotion service reads customer names through it).
    pub fn with_parts(
        repositories: Repositories,
        tokens: Arc<TokenService>,
        cache: Option<CacheLayer>,
    ) -> Self {
        let r = &repositories;
        let references: Arc<dyn References> = Arc::new(PromotionsOfCustomer(r.promotions.clone()));
        let mut customers = CustomerService::new(r.customers.clone()).with_references(references);
        let mut products = ProductService::new(r.products.clone());
        if let Some(cache) = &cache {
            customers = customers.with_cache(cache.clone());
            products = products.with_cache(cache.clone());
        }
        let directory: Arc<dyn CustomerDirectory> = Arc::new(customers.clone());
        Self {
            users: UserService::new(
                r.users.clone(),
                Arc::new(Argon2Hasher::owasp()),
                tokens.clone(),
            ),
            customers,
            products,
            promotions: PromotionService::new(r.promotions.clone(), directory),
            audit: AuditService::new(r.audit.clone()),
            repositories,
            cache,
            tokens,
        }
    }

    /// Starts the embedded audit pipeline: a relay drains the store's outbox into an in-process
    /// bus whose audit recorder stores every event once (and whose cache invalidator evicts each
    /// changed customer or product). Stop it with `shutdown` for a graceful
    /// exit (the relay finishes its batch); events left behind are sent at the next start.
    pub fn start_audit_pipeline(&self) -> RelayHandle {
        let bus = Arc::new(InProcessBus::new());
        bus.subscribe(Arc::new(AuditRecorder::new(self.audit.clone(), 5)));
        if let Some(cache) = &self.cache {
            bus.subscribe(Arc::new(CacheInvalidator::new(cache.clone())));
        }
        OutboxRelay::new(
            self.repositories.outbox.clone(),
            bus,
            RelaySettings::default(),
        )
        .spawn()
    }

    /// Waits until every committed change has left the outbox (with the embedded pipeline: is in
    /// the audit trail), or `limit` passed. For demos, tests and orderly shutdowns.
    pub async fn wait_for_audit(&self, limit: std::time::Duration) -> Result<()> {
        let started = std::time::Instant::now();
        loop {
            let backlog = self.repositories.outbox.backlog().await?;
            if backlog == 0 {
                return Ok(());
            }
            if started.elapsed() >= limit {
                return Err(Error::Unavailable(format!(
                    "{backlog} audit events still unsent"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Applies the demo data (administrator from `config`), leaving existing objects alone.
    pub async fn seed(&self, config: &Config) -> Result<SeedReport> {
        let settings = SeedSettings {
            admin_email: config.admin_email.clone(),
            admin_password: config.admin_password.clone(),
            demo_password: config.demo_password.clone(),
        };
        let targets = SeedTargets {
            users: &self.users,
            customers: &self.customers,
            products: &self.products,
            promotions: &self.promotions,
        };
        gotemp_core::seed::apply(&targets, &settings).await
    }
}

/// Opens the store of customers and products: ArangoDB for `http(s)://`, else a SQL store.
async fn open_master_data(url: &str) -> Result<gotemp_store::MasterData> {
    if url.starts_with("http://") || url.starts_with("https://") {
        #[cfg(feature = "arango")]
        return Ok(gotemp_store::ArangoStore::connect(url).await?.master_data());
        #[cfg(not(feature = "arango"))]
        return Err(Error::Internal(
            "http:// (ArangoDB) master data storage needs gotemp's `arango` feature".into(),
        ));
    }
    let store = open_store(url).await?;
    Ok(gotemp_store::MasterData {
        customers: store.customers,
        products: store.products,
        outbox: store.outbox,
    })
}

/// Opens the store a URL names; the scheme picks the adapter.
async fn open_store(url: &str) -> Result<Repositories> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => {
            #[cfg(feature = "sqlite")]
            return Ok(gotemp_store::SqliteStore::connect(url)
                .await?
                .repositories());
            #[cfg(not(feature = "sqlite"))]
            return Err(Error::Internal(
                "sqlite:// storage needs gotemp's `sqlite` feature".into(),
            ));
        }
        "postgres" | "postgresql" => {
            #[cfg(feature = "postgres")]
            return Ok(gotemp_store::PgStore::connect(url).await?.repositories());
            #[cfg(not(feature = "postgres"))]
            return Err(Error::Internal(
                "postgres:// storage needs gotemp's `postgres` feature".into(),
            ));
        }
        "http" | "https" => Err(Error::Internal(
            "ArangoDB (http://) holds customers and products only: name it in master_data_storage (GOTEMP_MASTER_DATA_STORAGE) and keep storage on sqlite:// or postgres://".into(),
        )),
        _ => Err(Error::Internal(format!(
            "storage URL must start with sqlite:// or postgres://, got {:?}",
            url.split("://").next().unwrap_or(url)
        ))),
    }
}

/// Opens the cache `config.cache` names: `memory`, `redis://…`, or `none`.
fn open_cache(config: &Config) -> Result<Option<Arc<dyn Cache>>> {
    let setting = config.cache.trim();
    if setting.is_empty() || setting == "none" {
        return Ok(None);
    }
    if setting == "memory" {
        #[cfg(feature = "memory-cache")]
        return Ok(Some(Arc::new(gotemp_store::cache::MemoryCache::default())));
        #[cfg(not(feature = "memory-cache"))]
        return Err(Error::Internal(
            "cache `memory` needs gotemp's `memory-cache` feature".into(),
        ));
    }
    if setting.starts_with("redis://") || setting.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        {
            let redis: Arc<dyn Cache> = Arc::new(gotemp_store::cache::RedisCache::new(
                setting,
                &Default::default(),
            )?);
            return Ok(Some(tiered(redis, config.cache_near_ttl_secs)));
        }
        #[cfg(not(feature = "redis"))]
        return Err(Error::Internal(
            "redis:// cache needs gotemp's `redis` feature".into(),
        ));
    }
    Err(Error::Internal(format!(
        "cache must be `memory`, `none` or a redis:// URL, got {:?}",
        config::redact_url(setting)
    )))
}

/// Puts an in-process tier in front of `far` when `near_ttl_secs` asks for one.
#[cfg(feature = "redis")]
fn tiered(far: Arc<dyn Cache>, near_ttl_secs: u64) -> Arc<dyn Cache> {
    #[cfg(feature = "memory-cache")]
    if near_ttl_secs > 0 {
        let near = Arc::new(gotemp_store::cache::MemoryCache::default());
        let ttl = std::time::Duration::from_secs(near_ttl_secs);
        return Arc::new(gotemp_core::cache::TieredCache::new(near, far, ttl));
    }
    #[cfg(not(feature = "memory-cache"))]
    if near_ttl_secs > 0 {
        tracing::warn!("cache_near_ttl_secs needs the `memory-cache` feature; using Redis alone");
    }
    far
}
