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

pub use config::Config;
pub use gotemp_core as core;
pub use gotemp_events as events;
pub use gotemp_store as store;
pub use secrecy::SecretString;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use gotemp_core::auth::{Argon2Hasher, TokenService, TokenSettings};
use gotemp_core::ports::{CustomerDirectory, CustomerReferences, Repositories};
use gotemp_core::seed::{SeedReport, SeedSettings, SeedTargets};
use gotemp_core::services::*;
use gotemp_core::{Error, Result};
use gotemp_events::{AuditRecorder, InProcessBus, OutboxRelay, RelayHandle, RelaySettings};
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
}

impl Gotemp {
    /// Opens the store named by `config.storage` (migrating it) and builds the services.
    pub async fn open(config: &Config) -> Result<Self> {
        let repositories = open_store(&config.storage).await?;
        let mut token_settings = TokenSettings::new(config.jwt_secret.clone());
        token_settings.ttl = chrono::Duration::seconds(config.token_ttl_secs);
        let tokens = Arc::new(TokenService::new(token_settings)?);
        Ok(Self::with_repositories(repositories, tokens))
    }

    /// Builds the services over repositories an embedder made itself.
    pub fn with_repositories(repositories: Repositories, tokens: Arc<TokenService>) -> Self {
        let r = &repositories;
        let directory: Arc<dyn CustomerDirectory> = Arc::new(r.customers.clone());
        let references: Arc<dyn CustomerReferences> = Arc::new(r.promotions.clone());
        Self {
            users: UserService::new(r.users.clone(), Arc::new(Argon2Hasher::owasp()), tokens),
            customers: CustomerService::new(r.customers.clone()).with_references(references),
            products: ProductService::new(r.products.clone()),
            promotions: PromotionService::new(r.promotions.clone(), directory),
            audit: AuditService::new(r.audit.clone()),
            repositories,
        }
    }

    /// Starts the embedded audit pipeline: a relay drains the store's outbox into an in-process
    /// bus whose audit recorder stores every event once. Stop it with `shutdown` for a graceful
    /// exit (the relay finishes its batch); events left behind are sent at the next start.
    pub fn start_audit_pipeline(&self) -> RelayHandle {
        let bus = Arc::new(InProcessBus::new());
        bus.subscribe(Arc::new(AuditRecorder::new(self.audit.clone(), 5)));
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
        _ => Err(Error::Internal(format!(
            "storage URL must start with sqlite:// or postgres://, got {:?}",
            url.split("://").next().unwrap_or(url)
        ))),
    }
}
