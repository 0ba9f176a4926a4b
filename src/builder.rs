//! [`GotempBuilder`]: everything an embedder chooses — backends (by URL or by value), tokens,
//! cache, event sink and hooks per entity — goes in before any service is wired, so each choice
//! reaches every path: direct calls, HTTP, gRPC, and one service calling another (the promotion
//! service reads customers through the same customer service an HTTP write goes through).

use crate::{Config, Gotemp, Registration, open};
use gotemp_core::Result;
use gotemp_core::auth::TokenService;
use gotemp_core::cache::CacheLayer;
use gotemp_core::entities::{Customer, CustomerDraft, Product, ProductDraft};
use gotemp_core::entities::{Promotion, PromotionDraft, User, UserDraft};
use gotemp_core::hooks::{HookChain, Hooks};
use gotemp_core::policy::{Policy, RolePolicy};
use gotemp_core::ports::{CustomerDirectory, EventSink, Repositories};
use gotemp_core::throttle::SharedAttempts;
use gotemp_core::values::Tenancy;
use std::sync::Arc;

/// Builds a [`Gotemp`]: `Gotemp::builder().config(&config).hook::<Customer>(…).build().await`.
/// What is not given comes from the [`Config`]; without a config, repositories and tokens must
/// be given by value.
#[derive(Default)]
pub struct GotempBuilder {
    config: Option<Config>,
    repositories: Option<Repositories>,
    tokens: Option<Arc<TokenService>>,
    cache: CacheChoice,
    sink: Option<Arc<dyn EventSink>>,
    directory: Option<Arc<dyn CustomerDirectory>>,
    hooks: EntityHooks,
    policy: Option<Arc<dyn Policy>>,
    attempts: Option<Arc<dyn SharedAttempts>>,
    tenancy: Option<Tenancy>,
}

/// Where the lookup cache comes from.
#[derive(Default)]
enum CacheChoice {
    /// The one the config names (none without a config).
    #[default]
    FromConfig,
    /// This one.
    Given(CacheLayer),
    /// None at all.
    Off,
}

/// The hooks of every entity, as registered. Public only so [`Hooked`] can name it; nothing
/// outside gotemp can make or read one.
#[doc(hidden)]
#[derive(Default, Clone)]
pub struct EntityHooks {
    pub(crate) users: HookChain<User, UserDraft>,
    pub(crate) customers: HookChain<Customer, CustomerDraft>,
    pub(crate) products: HookChain<Product, ProductDraft>,
    pub(crate) promotions: HookChain<Promotion, PromotionDraft>,
}

/// An entity an embedder can hook into (users, customers, products, promotions). Sealed: the
/// builder holds a chain for exactly these.
pub trait Hooked: sealed::Sealed + Sized + Sync + 'static {
    /// What its before-hooks see: the object after every built-in rule passed.
    type Draft: Sync + 'static;
    /// Its chain among all the hooks.
    #[doc(hidden)]
    fn chain(hooks: &mut EntityHooks) -> &mut HookChain<Self, Self::Draft>;
}

mod sealed {
    /// Only gotemp's entities are [`Hooked`](super::Hooked).
    pub trait Sealed {}
}

macro_rules! hooked {
    ($entity:ty, $draft:ty, $field:ident) => {
        impl sealed::Sealed for $entity {}
        impl Hooked for $entity {
            type Draft = $draft;
            fn chain(hooks: &mut EntityHooks) -> &mut HookChain<Self, Self::Draft> {
                &mut hooks.$field
            }
        }
    };
}
hooked!(User, UserDraft, users);
hooked!(Customer, CustomerDraft, customers);
hooked!(Product, ProductDraft, products);
hooked!(Promotion, PromotionDraft, promotions);

impl GotempBuilder {
    /// Backends, tokens and cache as `config` names them (URLs, secret, lifetimes); anything
    /// given by value as well wins over it.
    pub fn config(mut self, config: &Config) -> Self {
        self.config = Some(config.clone());
        self
    }

    /// Repositories an embedder opened or wrote itself, instead of the config's storage URLs.
    pub fn repositories(mut self, repositories: Repositories) -> Self {
        self.repositories = Some(repositories);
        self
    }

    /// The token service, instead of one made from the config's secret.
    pub fn tokens(mut self, tokens: Arc<TokenService>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// The lookup cache customers and products are read through (and the promotion service's
    /// customer names), instead of the config's.
    pub fn cache(mut self, cache: CacheLayer) -> Self {
        self.cache = CacheChoice::Given(cache);
        self
    }

    /// No lookup cache, whatever the config says.
    pub fn without_cache(mut self) -> Self {
        self.cache = CacheChoice::Off;
        self
    }

    /// Where [`Gotemp::start_audit_pipeline`] publishes committed changes, instead of the
    /// in-process bus that stores them in the audit trail and evicts the cache: a sink of your
    /// own takes over both (`gotemp_events::InProcessBus` with an `AuditRecorder` among its
    /// handlers keeps the audit trail).
    pub fn event_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Where the promotion service looks customers up, instead of this process's customer
    /// service: a remote customer service when customers run in a process of their own. With a
    /// lookup cache, its answers are cached (one call per customer, evicted by the customer's
    /// change events).
    pub fn customer_directory(mut self, directory: Arc<dyn CustomerDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// Adds a hook for entity `E` after the ones already added: `hook::<Customer>(Arc::new(…))`.
    /// It runs on every path that writes or reads `E` by id, in registration order.
    pub fn hook<E: Hooked>(mut self, hook: Arc<dyn Hooks<E, E::Draft>>) -> Self {
        E::chain(&mut self.hooks).push(hook);
        self
    }

    /// Where every replica counts password attempts, instead of the config's (the cache's
    /// Redis when it is one): so that replicas do not multiply an account's budget.
    pub fn shared_attempts(mut self, store: Arc<dyn SharedAttempts>) -> Self {
        self.attempts = Some(store);
        self
    }

    /// Who may do what, instead of the built-in roles' table ([`RolePolicy`]): every service
    /// asks it on every call, whichever transport the call came through. Wrap `RolePolicy` to
    /// add rules to it.
    pub fn policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// One organisation or many, instead of the config's `tenancy` (single without a config).
    /// In `Multi`, [`Gotemp::ensure_platform`] must make the platform tenant before an
    /// operator can log in: `build` does it when it has a config.
    pub fn tenancy(mut self, tenancy: Tenancy) -> Self {
        self.tenancy = Some(tenancy);
        self
    }

    /// Opens what the config names (migrating the stores) and wires every service; in a
    /// multi-tenant deployment with a config, makes the platform tenant at the first start.
    pub async fn build(self) -> Result<Gotemp> {
        let config = self.config.as_ref();
        let tenancy = (self.tenancy)
            .or(config.map(|c| c.auth.tenancy))
            .unwrap_or_default();
        let registration = config.map_or(Registration::Closed, |c| c.auth.registration);
        if let Some(config) = config {
            gotemp_core::event::set_max_event_bytes(config.events.max_event_bytes);
        }
        let repositories = match (self.repositories, config) {
            (Some(given), _) => given,
            (None, Some(config)) => open::repositories(config).await?,
            (None, None) => return Err(missing("repositories (or a config naming storage)")),
        };
        let tokens = match (self.tokens, config) {
            (Some(given), _) => given,
            (None, Some(config)) => open::tokens(config)?,
            (None, None) => return Err(missing("tokens (or a config with a jwt_secret)")),
        };
        let cache = match (self.cache, config) {
            (CacheChoice::Given(cache), _) => Some(cache),
            (CacheChoice::FromConfig, Some(config)) => open::cache(config)?,
            (CacheChoice::FromConfig, None) | (CacheChoice::Off, _) => None,
        };
        let attempts = match (self.attempts, config) {
            (Some(given), _) => Some(given),
            (None, Some(config)) => open::shared_attempts(config)?,
            (None, None) => None,
        };

        let parts = crate::Parts {
            tenancy,
            attempts,
            repositories,
            tokens,
            cache,
            sink: self.sink,
            directory: self.directory,
            hooks: self.hooks,
            policy: self.policy.unwrap_or_else(|| Arc::new(RolePolicy)),
            registration,
            registration_roles: config.map_or(gotemp_core::policy::Roles::NONE, |c| {
                c.auth.registration_roles
            }),
        };
        let gotemp = Gotemp::wire(parts);
        if let (Tenancy::Multi, Some(config)) = (tenancy, config) {
            gotemp.ensure_platform(config).await?;
        }
        Ok(gotemp)
    }
}

fn missing(what: &str) -> gotemp_core::Error {
    crate::config::config_error(format!("Gotemp::builder() needs {what}"))
}
