//! gotemp: a Rust SDK for business microservices — users and authentication, customers,
//! products, promotions, and an audit trail of every change.
//!
//! This facade wires a [`Config`] into a store and the five services, so an application gets a
//! working system in a few lines. The pieces live in their own crates and are re-exported:
//! [`domain`] (gotemp-core: entities, services, ports; not `core`, which would shadow Rust's
//! own), [`store`] (SQLite, PostgreSQL, ArangoDB, caches) and [`events`].
//!
//! ```no_run
//! # async fn run() -> gotemp::domain::Result<()> {
//! let config = gotemp::Config::embedded(gotemp::SecretString::from(
//!     "a secret of at least thirty-two bytes!",
//! ));
//! let app = gotemp::Gotemp::open(&config).await?;
//! // In an application: `app.users().authenticate(token)`.
//! let clerk = gotemp::domain::Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
//! let customers = app.customers().list(&clerk, &Default::default(), &Default::default()).await?;
//! # Ok(()) }
//! ```

mod builder;
mod config;
pub mod logging;
#[cfg(feature = "prometheus")]
pub mod metrics;
mod open;
pub mod runner;
mod runtime;
mod seeding;
pub mod tenant_data;
#[cfg(feature = "tls")]
pub mod tls;

pub use builder::{GotempBuilder, Hooked};
pub use config::{
    AuditStore, AuthConfig, BackendUrl, CacheBackend, CacheConfig, Config, ConfigError, Discovery,
    EventBus, EventsConfig, GrpcConfig, HttpConfig, MasterDataStore, Registration, SecretSource,
    StorageConfig, Store, TlsConfig, redact_url,
};
pub use gotemp_core as domain;
pub use gotemp_events as events;
pub use gotemp_store as store;
pub use runner::Application;
pub use runtime::{EventPipeline, readiness, shutdown_signal};
pub use secrecy::SecretString;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use gotemp_core::auth::{Argon2Hasher, TokenService};
use gotemp_core::cache::CacheLayer;
use gotemp_core::policy::Policy;
use gotemp_core::ports::{
    CustomerDirectory, EventSink, PromotionsOfCustomer, References, Repositories,
};
use gotemp_core::services::*;
use gotemp_core::values::{Tenancy, TenantId};
use gotemp_core::{Error, Result};
use gotemp_events::{
    AuditRecorder, CacheInvalidator, InProcessBus, OutboxRelay, RelayHandle, RelaySettings,
};
use std::sync::Arc;

/// The five services over one set of backends, wired once by [`Gotemp::builder`] (or
/// [`Gotemp::open`]): every service sees the same repositories, cache and hooks. Cheap to clone.
#[derive(Clone)]
pub struct Gotemp {
    users: UserService,
    customers: CustomerService,
    products: ProductService,
    promotions: PromotionService,
    audit: AuditService,
    tenants: TenantService,
    tenancy: Tenancy,
    repositories: Repositories,
    cache: Option<CacheLayer>,
    tokens: Arc<TokenService>,
    sink: Option<Arc<dyn EventSink>>,
}

/// What the services are wired from.
struct Parts {
    repositories: Repositories,
    tokens: Arc<TokenService>,
    cache: Option<CacheLayer>,
    sink: Option<Arc<dyn EventSink>>,
    directory: Option<Arc<dyn CustomerDirectory>>,
    hooks: builder::EntityHooks,
    policy: Arc<dyn Policy>,
    registration: Registration,
    registration_roles: gotemp_core::policy::Roles,
    attempts: Option<Arc<dyn gotemp_core::throttle::SharedAttempts>>,
    tenancy: Tenancy,
}

impl Gotemp {
    /// Starts choosing backends, hooks, cache and event sink; see [`GotempBuilder`].
    pub fn builder() -> GotempBuilder {
        GotempBuilder::default()
    }

    /// Opens what `config` names (migrating the stores) and wires the services: the builder
    /// with nothing but the config.
    pub async fn open(config: &Config) -> Result<Self> {
        Self::builder().config(config).build().await
    }

    fn wire(parts: Parts) -> Self {
        let Parts {
            repositories,
            tokens,
            cache,
            sink,
            directory,
            hooks,
            policy,
            registration,
            registration_roles,
            attempts,
            tenancy,
        } = parts;
        let r = &repositories;
        let references: Arc<dyn References> = Arc::new(PromotionsOfCustomer(r.promotions.clone()));
        let mut customers = CustomerService::new(r.customers.clone())
            .with_references(references)
            .with_hooks(hooks.customers)
            .with_policy(policy.clone());
        let mut products = ProductService::new(r.products.clone())
            .with_hooks(hooks.products)
            .with_policy(policy.clone());
        let mut users = UserService::new(
            r.users.clone(),
            Arc::new(Argon2Hasher::owasp()),
            tokens.clone(),
        )
        .with_hooks(hooks.users)
        .with_policy(policy.clone())
        .with_registration(registration == Registration::Open)
        .with_registration_roles(registration_roles);
        if let Some(attempts) = attempts {
            users = users.with_shared_attempts(attempts);
        }
        if let Some(cache) = &cache {
            customers = customers.with_cache(cache.clone());
            products = products.with_cache(cache.clone());
        }
        // One tenant is always open; many are each asked at every authentication.
        let gate = Arc::new(TenantGate::new(r.tenants.clone()));
        // What concerns no tenant's user goes to the operators of a multi-tenant deployment.
        let home = match tenancy {
            Tenancy::Single => TenantId::default_tenant(),
            Tenancy::Multi => TenantId::platform(),
        };
        if tenancy == Tenancy::Multi {
            users = users.with_tenant_gate(gate.clone());
        }
        users = users.with_home_tenant(home.clone());
        let data = TenantData {
            customers: r.customers.clone(),
            products: r.products.clone(),
            promotions: r.promotions.clone(),
        };
        let tenants = TenantService::new(r.tenants.clone(), users.clone(), data, gate)
            .with_policy(policy.clone());
        // The promotion service reads customers through the very service the transports write
        // through (same cache, same hooks), unless they live in another process.
        // A directory in another process is asked through the cache, evicted by customer events.
        let directory: Arc<dyn CustomerDirectory> = match (directory, &cache) {
            (None, _) => Arc::new(customers.clone()),
            (Some(remote), Some(cache)) => Arc::new(
                gotemp_core::cache::CachedCustomerDirectory::new(remote, cache.clone()),
            ),
            (Some(remote), None) => remote,
        };
        Self {
            users,
            customers,
            products,
            promotions: PromotionService::new(r.promotions.clone(), directory)
                .with_hooks(hooks.promotions)
                .with_policy(policy.clone()),
            audit: AuditService::new(r.audit.clone())
                .with_policy(policy)
                .with_outbox(r.outbox.clone())
                .with_home_tenant(home),
            tenants,
            tenancy,
            repositories,
            cache,
            tokens,
            sink,
        }
    }

    /// Users and authentication.
    pub fn users(&self) -> &UserService {
        &self.users
    }

    /// Customers.
    pub fn customers(&self) -> &CustomerService {
        &self.customers
    }

    /// Products.
    pub fn products(&self) -> &ProductService {
        &self.products
    }

    /// Promotions.
    pub fn promotions(&self) -> &PromotionService {
        &self.promotions
    }

    /// The audit trail.
    pub fn audit(&self) -> &AuditService {
        &self.audit
    }

    /// The tenants (managed by the platform's operators in a multi-tenant deployment).
    pub fn tenants(&self) -> &TenantService {
        &self.tenants
    }

    /// One organisation or many.
    pub fn tenancy(&self) -> Tenancy {
        self.tenancy
    }

    /// The repositories underneath, for the outbox relay, readiness checks and embedders that
    /// need a store directly.
    pub fn repositories(&self) -> &Repositories {
        &self.repositories
    }

    /// The lookup cache the services share, if any; change events must reach it (the embedded
    /// pipeline does that, `gotemp_events::nats::NatsCacheInvalidator` between processes).
    pub fn cache(&self) -> Option<&CacheLayer> {
        self.cache.as_ref()
    }

    /// Issues and verifies tokens (the user service's; transports verify callers with it).
    pub fn tokens(&self) -> &Arc<TokenService> {
        &self.tokens
    }

    /// Starts the embedded audit pipeline: a relay drains the store's outbox into an in-process
    /// bus whose audit recorder stores every event once (and whose cache invalidator evicts each
    /// changed customer or product). Stop it with `shutdown` for a graceful
    /// exit (the relay finishes its batch); events left behind are sent at the next start.
    pub fn start_audit_pipeline(&self) -> RelayHandle {
        let sink = self.sink.clone().unwrap_or_else(|| {
            let bus = Arc::new(InProcessBus::new());
            bus.subscribe(Arc::new(AuditRecorder::new(self.audit.clone(), 5)));
            if let Some(cache) = &self.cache {
                bus.subscribe(Arc::new(CacheInvalidator::new(cache.clone())));
            }
            bus
        });
        OutboxRelay::new(
            self.repositories.outbox.clone(),
            sink,
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
                return Err(Error::unavailable(format!(
                    "{backlog} audit events still unsent"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
