//! The traits gotemp-core needs from the outside world. Adapters (gotemp-store, gotemp-events)
//! implement them; services only ever see these.
//!
//! Every write takes the [`PendingEvent`] that records it: the adapter completes it with the
//! stored object and writes it to its outbox in the same transaction as the change, so a
//! committed change always has its audit event and a failed one never does.
//!
//! Every method that reads or writes a tenant's data takes that tenant ([`TenantId`]) first, so
//! a query that forgets whose data it touches does not compile. An adapter answers a tenant
//! only with its own data: another tenant's object is as absent as one that never existed. The
//! exceptions cross tenants by design and say so: login finds a user by e-mail (unique across
//! the deployment), the audit consumer stores events of every tenant (each names its own), the
//! relay drains every tenant's outbox.

use crate::entities::*;
use crate::error::Result;
use crate::event::{AuditEvent, PendingEvent};
use crate::page::{Page, PageSpec};
use crate::values::{Email, PasswordHash, TenantId};
use async_trait::async_trait;
use std::sync::Arc;

mod audit;
mod outbox;
#[cfg(any(test, feature = "mocks"))]
pub use audit::MockAuditRepository;
pub use audit::{AuditRepository, DeadLetter, DeadLetterSource, MAX_UNVERIFIED_DEAD_LETTERS};
pub use outbox::{EventSink, OutboxEntry, OutboxStore, SetAside};
#[cfg(any(test, feature = "mocks"))]
pub use outbox::{MockEventSink, MockOutboxStore};

/// Storage of users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The user with `id`, if any.
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<User>>;
    /// Users matching every given filter, ordered by id.
    async fn list(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        page: &PageSpec,
    ) -> Result<Page<User>>;
    /// The user with this e-mail (any case), the version of its tokens and its stored hash, for
    /// login only.
    async fn credentials(&self, email: &Email) -> Result<Option<(AuthStatus, PasswordHash)>>;
    /// The user with `id` and the version of its tokens, to authenticate a call.
    async fn auth_status(&self, tenant: &TenantId, id: i64) -> Result<Option<AuthStatus>>;
    /// Stores a new user; `draft.password_hash` is always set on create.
    async fn create(
        &self,
        tenant: &TenantId,
        draft: &UserDraft,
        event: PendingEvent,
    ) -> Result<User>;
    /// Replaces a user's fields if its version is still `expected_version`, and increments the
    /// version of its tokens when `draft.revoke_tokens`. A change that would leave no active
    /// `admin` is a `Conflict` on `roles` and writes nothing, however many run at once.
    async fn update(
        &self,
        tenant: &TenantId,
        id: i64,
        draft: &UserDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User>;
    /// Deletes a user if its version is still `expected_version`; returns what was deleted.
    async fn delete(
        &self,
        tenant: &TenantId,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User>;
    /// Writes an access event (a login, a failed one, a lock-out) to the outbox on its own, for
    /// the audit trail like every change.
    async fn record_access(&self, event: &AuditEvent) -> Result<()>;
    /// Replaces the hash `replacing` with `hash` after login upgraded it (bcrypt → argon2id),
    /// only while `replacing` is still the stored one — a password reset that committed
    /// meanwhile is kept — and says whether it did. Not an audited change: no field a client
    /// can see changes.
    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        id: i64,
        hash: &PasswordHash,
        replacing: &PasswordHash,
    ) -> Result<bool>;
}

/// Storage of one kind of master data (`MasterRepository<Customer>`,
/// `MasterRepository<Product>`): the objects and the hierarchy links between two of them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MasterRepository<E: MasterEntity>: Send + Sync {
    /// The object with `id`, if any.
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<Option<E>>;
    /// Objects matching every given filter, ordered by id.
    async fn list(&self, tenant: &TenantId, filter: &E::Filter, page: &PageSpec)
    -> Result<Page<E>>;
    /// Stores a new object; a taken id is a Duplicate conflict.
    async fn create(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        event: PendingEvent,
    ) -> Result<E>;
    /// Replaces the fields of `current` (the stored object the draft was made from) with the
    /// draft's, if its version is still `current`'s; else a stale-version conflict, or not found.
    /// Given the object, a store can write the change and its event in one statement.
    async fn update(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        current: &E,
        event: PendingEvent,
    ) -> Result<E>;
    /// Deletes an object if its version is still `expected_version`.
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<E>;
    /// Stores a link between two objects; an existing one (same ends and relation) is a
    /// Duplicate conflict.
    async fn link(&self, tenant: &TenantId, draft: &LinkDraft, event: PendingEvent)
    -> Result<Link>;
    /// Removes the link `from` `relation` `to`; returns what was removed.
    async fn unlink(
        &self,
        tenant: &TenantId,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link>;
    /// The neighbours of `id` along `query`, ordered by id, at most [`RELATED_MAX`].
    async fn related(
        &self,
        tenant: &TenantId,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<E>>>;
}

/// Storage of customers.
pub type CustomerRepository = dyn MasterRepository<Customer>;

/// Storage of products.
pub type ProductRepository = dyn MasterRepository<Product>;

/// Storage of promotions.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PromotionRepository: Send + Sync {
    /// The promotion with `id`, if any (without `customer_name`).
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<Promotion>>;
    /// Promotions matching every given filter, ordered by id.
    async fn list(
        &self,
        tenant: &TenantId,
        filter: &PromotionFilter,
        page: &PageSpec,
    ) -> Result<Page<Promotion>>;
    /// Stores a new promotion.
    async fn create(
        &self,
        tenant: &TenantId,
        draft: &PromotionDraft,
        event: PendingEvent,
    ) -> Result<Promotion>;
    /// Replaces a promotion's fields if its version is still `expected_version`.
    async fn update(
        &self,
        tenant: &TenantId,
        id: i64,
        draft: &PromotionDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion>;
    /// Deletes a promotion if its version is still `expected_version`.
    async fn delete(
        &self,
        tenant: &TenantId,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion>;
}

/// The tenants of a deployment. Platform-level, so its methods take no tenant: only the
/// operators' [`TenantService`](crate::services::TenantService) reaches it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// The tenant with `key`, if any.
    async fn get(&self, key: &TenantId) -> Result<Option<Tenant>>;
    /// Tenants ordered by key.
    async fn list(&self, page: &PageSpec) -> Result<Page<Tenant>>;
    /// Creates a tenant and its first administrator in one transaction, each with its event
    /// (the tenant's in the trail of whoever creates it, the administrator's in the new
    /// tenant's): both or neither.
    async fn create(
        &self,
        draft: &TenantDraft,
        admin: &UserDraft,
        events: (PendingEvent, PendingEvent),
    ) -> Result<(Tenant, User)>;
    /// Changes a tenant's name, state or validity, if it is still at `expected_version`.
    async fn update(
        &self,
        draft: &TenantDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Tenant>;
    /// Deletes a tenant, if it is still at `expected_version`; its data must be gone already.
    async fn delete(
        &self,
        key: &TenantId,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Tenant>;
}

/// What the promotion service needs to know of a customer: that it exists, its name, and what
/// a policy decides on (the promotion service asks its policy whether the caller may read the
/// customer before it shows the name or accepts the key). Separate from
/// [`CustomerRepository`] so it can be served by a cache or a remote customer service.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CustomerDirectory: Send + Sync {
    /// The customer, or `None` when no such customer exists, asked on behalf of `caller` (a
    /// directory in another process asks with the caller's credentials).
    async fn customer(&self, caller: &crate::actor::Actor, id: &str) -> Result<Option<Customer>>;
}

#[async_trait]
impl CustomerDirectory for Arc<CustomerRepository> {
    async fn customer(&self, caller: &crate::actor::Actor, id: &str) -> Result<Option<Customer>> {
        self.get(&caller.tenant, id).await
    }
}

/// Answers whether something still refers to an object, so deleting it would leave dangling
/// references. Separate from the object's own repository so its service can run apart from
/// whatever refers to it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait References: Send + Sync {
    /// What refers to objects, for the message that refuses a delete (`promotions`).
    fn holders(&self) -> &'static str;
    /// Whether anything refers to the object with this id.
    async fn is_referenced(&self, tenant: &TenantId, id: &str) -> Result<bool>;
}

/// The promotions that name a customer: a customer they name cannot be deleted.
pub struct PromotionsOfCustomer(pub Arc<dyn PromotionRepository>);

#[async_trait]
impl References for PromotionsOfCustomer {
    fn holders(&self) -> &'static str {
        "promotions"
    }

    async fn is_referenced(&self, tenant: &TenantId, customer_id: &str) -> Result<bool> {
        let filter = PromotionFilter {
            customer_id: Some(customer_id.to_owned()),
            ..Default::default()
        };
        let page = self.0.list(tenant, &filter, &PageSpec::first(1)).await?;
        Ok(!page.items.is_empty())
    }
}

/// Keeps work that must not run in two processes at once — seeding the demo data, when several
/// replicas start together — to one process at a time. Within one process callers serialise
/// themselves.
#[async_trait]
pub trait ExclusiveSection: Send + Sync {
    /// Waits until no other process is in the section `name`, and holds it until the returned
    /// guard is dropped.
    async fn enter(&self, name: &str) -> Result<SectionGuard>;
}

/// Held while in an [`ExclusiveSection`]; dropping it leaves.
pub struct SectionGuard(#[allow(dead_code)] Option<Box<dyn std::any::Any + Send + Sync>>);

impl SectionGuard {
    /// A guard holding `held` (a connection whose session holds a lock, say) until dropped.
    pub fn holding(held: impl std::any::Any + Send + Sync) -> Self {
        Self(Some(Box::new(held)))
    }

    /// A guard for a store where one process is all there is (nothing to hold).
    pub fn none() -> Self {
        Self(None)
    }
}

/// A store that can remove everything one tenant keeps in it: what `gotemp tenant purge` does
/// deliberately, so a closed tenant can then be deleted. Bypasses the services (no rules, no
/// events): the tenant's own trail goes with it.
#[async_trait]
pub trait TenantPurge: Send + Sync {
    /// Deletes every row or document of `tenant` here, in one transaction where the store has
    /// them; how many, per table or collection (those with none left out).
    async fn purge_tenant(&self, tenant: &TenantId) -> Result<Vec<(String, u64)>>;
}

/// Every repository of one store, as an adapter hands them out.
#[derive(Clone)]
pub struct Repositories {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Customers.
    pub customers: Arc<CustomerRepository>,
    /// Products.
    pub products: Arc<ProductRepository>,
    /// Promotions.
    pub promotions: Arc<dyn PromotionRepository>,
    /// The tenants (kept beside the users).
    pub tenants: Arc<dyn TenantRepository>,
    /// Audit trail.
    pub audit: Arc<dyn AuditRepository>,
    /// The outbox the writes above fill.
    pub outbox: Arc<dyn OutboxStore>,
    /// The connection pools behind them, with what each serves (`main`, `audit`,
    /// `master_data`), for the pool-usage metric; empty for stores without pools.
    pub pools: Vec<(&'static str, Arc<dyn ConnectionPool>)>,
    /// Sections only one process at a time may be in.
    pub exclusive: Arc<dyn ExclusiveSection>,
    /// The stores behind them, each able to remove a tenant's data (one entry per store).
    pub purge: Vec<Arc<dyn TenantPurge>>,
}

/// A store's connection pool, as operators watch it: a pool always full means requests wait
/// for connections.
pub trait ConnectionPool: Send + Sync {
    /// The database it connects to (`postgresql`, `sqlite`).
    fn system(&self) -> &'static str;
    /// Connections open now, and how many of them are idle.
    fn connections(&self) -> (u32, u32);
}
