//! The tenants of a multi-tenant deployment, managed by the platform's operators, and the gate
//! authentication passes: a closed tenant's users are refused within [`TenantGate::TTL`] of the
//! change, on every transport and in every process.

use super::UserService;
use crate::actor::Actor;
use crate::entities::{NewTenant, Tenant, TenantChanges, TenantDraft, User};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::page::{Page, PageRequest, PageSpec};
use crate::policy::{Action, Policy, Resource, Role, RolePolicy, Roles, authorize};
use crate::ports::{CustomerRepository, ProductRepository, PromotionRepository, TenantRepository};
use crate::values::{self, TenantId, Text, ValidityPeriod};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest tenant name, in characters.
pub const TENANT_NAME_MAX: usize = 100;

/// Whether a tenant is open (active and within its validity), remembered in this process for
/// [`TenantGate::TTL`] so authentication reads the store at most once a second per tenant.
pub struct TenantGate {
    repo: Arc<dyn TenantRepository>,
    seen: std::sync::Mutex<hashlink::LruCache<TenantId, (Instant, bool)>>,
}

impl TenantGate {
    /// How long an answer is trusted: a closed tenant's tokens are refused within this (and
    /// the 2 s revocation bound holds with the users' own memory, which is as long).
    pub const TTL: Duration = Duration::from_secs(1);
    /// Tenants remembered at most.
    const CAPACITY: usize = 10_000;

    /// A gate over the tenants in `repo`.
    pub fn new(repo: Arc<dyn TenantRepository>) -> Self {
        Self {
            repo,
            seen: std::sync::Mutex::new(hashlink::LruCache::new(Self::CAPACITY)),
        }
    }

    /// Whether `tenant` exists and is open now.
    pub async fn is_open(&self, tenant: &TenantId) -> Result<bool> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, open)) = seen.get(tenant)
                && at.elapsed() < Self::TTL
            {
                return Ok(*open);
            }
        }
        let open = (self.repo.get(tenant).await?).is_some_and(|t| t.is_open_at(values::now()));
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(tenant.clone(), (Instant::now(), open));
        Ok(open)
    }

    /// The tenants this gate reads (a sign-up that starts an organisation writes there).
    pub(in crate::services) fn repo(&self) -> &Arc<dyn TenantRepository> {
        &self.repo
    }

    /// Forgets what was remembered of `tenant` (it was changed in this process).
    pub fn forget(&self, tenant: &TenantId) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.remove(tenant);
    }
}

/// Where a tenant's data lives, to tell whether it still holds any before it is deleted.
#[derive(Clone)]
pub struct TenantData {
    /// Customers.
    pub customers: Arc<CustomerRepository>,
    /// Products.
    pub products: Arc<ProductRepository>,
    /// Promotions.
    pub promotions: Arc<dyn PromotionRepository>,
}

/// The tenants: list, read, create (with the first administrator), change and delete, each
/// allowed by the policy (`tenants:*`: the platform's operators), each change audited.
#[derive(Clone)]
pub struct TenantService {
    repo: Arc<dyn TenantRepository>,
    users: UserService,
    data: TenantData,
    gate: Arc<TenantGate>,
    policy: Arc<dyn Policy>,
}

impl TenantService {
    /// A service over `repo`, creating administrators through `users`, checking `data` before
    /// a delete and keeping `gate` (the one authentication asks) up to date.
    pub fn new(
        repo: Arc<dyn TenantRepository>,
        users: UserService,
        data: TenantData,
        gate: Arc<TenantGate>,
    ) -> Self {
        Self {
            repo,
            users,
            data,
            gate,
            policy: Arc::new(RolePolicy),
        }
    }

    /// Decides every call with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Tenants are the platform's whatever a policy says: only gotemp itself and users of the
    /// platform tenant get as far as asking the policy (an embedder's policy written before
    /// tenants, allowing everything to `admin`, must not hand every tenant's administrator the
    /// others).
    fn allow(&self, actor: &Actor, action: Action) -> Result<()> {
        if !actor.is_system() && actor.tenant.as_str() != TenantId::PLATFORM {
            let permission = format!("{}:{}", Resource::Tenants.as_str(), action.as_str());
            return Err(Error::PermissionDenied(crate::tr!(
                "denied.permission",
                permission = permission
            )));
        }
        authorize(&*self.policy, actor, action, Resource::Tenants, None)
    }

    /// The tenant with `key`.
    pub async fn get(&self, actor: &Actor, key: &str) -> Result<Tenant> {
        self.allow(actor, Action::Read)?;
        self.stored(&known_key(key)?).await
    }

    /// The stored tenant with `key`, whoever asks (each operation asked the policy first).
    async fn stored(&self, key: &TenantId) -> Result<Tenant> {
        (self.repo.get(key).await?).ok_or_else(|| Error::not_found("tenant", key))
    }

    /// The caller's own tenant, whoever the caller is: what a page shows as the organisation
    /// it works in. Needs no permission (it is where the caller already is).
    pub async fn own(&self, actor: &Actor) -> Result<Tenant> {
        self.stored(&actor.tenant).await
    }

    /// The tenants, by key, a page at a time.
    pub async fn list(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Tenant>> {
        self.allow(actor, Action::Read)?;
        self.repo.list(&PageSpec::parse(page)?).await
    }

    /// Creates a tenant, open, valid from now for a hundred years unless told otherwise, with
    /// its first administrator (the role `admin` in it), both or neither.
    pub async fn create(&self, actor: &Actor, input: NewTenant) -> Result<(Tenant, User)> {
        self.make(actor, input, false).await
    }

    /// The platform tenant itself, its administrator also an `operator`: what a multi-tenant
    /// deployment makes at its first start (`gotemp::Gotemp::ensure_platform`).
    pub async fn create_platform(&self, actor: &Actor, input: NewTenant) -> Result<(Tenant, User)> {
        if input.key != TenantId::PLATFORM {
            return Err(Error::internal(
                "create_platform makes the tenant platform only",
            ));
        }
        self.make(actor, input, true).await
    }

    async fn make(
        &self,
        actor: &Actor,
        input: NewTenant,
        platform: bool,
    ) -> Result<(Tenant, User)> {
        self.allow(actor, Action::Create)?;
        let now = values::now();
        let mut v = Violations::default();
        let key = v.check(TenantId::parse("key", &input.key));
        let name = v.check(Text::parse("name", &input.name, TENANT_NAME_MAX));
        let from = input.valid_from.unwrap_or(now);
        let thru = (input.valid_thru).unwrap_or(from + chrono::Duration::days(365 * 100));
        let validity = v.check_all(ValidityPeriod::parse(Some(from), Some(thru)));
        let roles = match platform {
            true => Roles::of(&[Role::Admin, Role::Operator]),
            false => Roles::of(&[Role::Admin]),
        };
        let admin = self
            .users
            .tenant_admin_draft(&mut v, input.admin, roles)
            .await?;
        let (Some(key), Some(name), Some(validity), Some(admin)) = (key, name, validity, admin)
        else {
            return Err(v.into_error());
        };
        // The platform itself is made by gotemp (`create_platform`); every reserved key else
        // is refused.
        if reserved(&key) && !(platform && key.as_str() == TenantId::PLATFORM) {
            return Err(Error::conflict(
                ConflictKind::Duplicate,
                Some("key"),
                crate::tr!("conflict.tenant_key_reserved", key = key.as_str()),
            ));
        }
        let draft = TenantDraft {
            key: key.clone(),
            name,
            active: true,
            validity,
        };
        let tenant_event = PendingEvent::new::<Tenant>(ActionType::Insert, actor, now);
        let in_tenant = Actor::new(key, actor.user_id, Roles::NONE);
        let admin_event = PendingEvent::new::<User>(ActionType::Insert, &in_tenant, now);
        let created = self
            .repo
            .create(&draft, &admin, (tenant_event, admin_event))
            .await;
        created.map_err(admin_email_taken)
    }

    /// Changes a tenant's name, state or validity; `active: false` closes it, refusing its
    /// users' tokens within [`TenantGate::TTL`] and keeping its data.
    pub async fn update(
        &self,
        actor: &Actor,
        key: &str,
        changes: TenantChanges,
        version: Option<i64>,
    ) -> Result<Tenant> {
        self.allow(actor, Action::Update)?;
        let key = known_key(key)?;
        let current = self.stored(&key).await?;
        let expected = super::common::expected_version("tenant", &key, version, current.version)?;
        let mut v = Violations::default();
        let name = changes.name.as_deref().unwrap_or(&current.name);
        let name = v.check(Text::parse("name", name, TENANT_NAME_MAX));
        let validity = v.check(super::common::merged_period(
            (current.valid_from, current.valid_thru),
            changes.valid_from,
            changes.valid_thru,
        ));
        let (Some(name), Some(validity)) = (name, validity) else {
            return Err(v.into_error());
        };
        let active = changes.active.unwrap_or(current.active);
        // The platform's operators must always be able to log in, to open anything again.
        let closes = !active || !validity.contains(values::now());
        if key.as_str() == TenantId::PLATFORM && closes {
            return Err(Error::conflict(
                ConflictKind::State,
                Some("active"),
                crate::tr!("conflict.platform_stays_open"),
            ));
        }
        let draft = TenantDraft {
            key: key.clone(),
            name,
            active,
            validity,
        };
        let event = PendingEvent::new::<Tenant>(ActionType::Update, actor, values::now());
        let updated = self.repo.update(&draft, expected, event).await?;
        self.gate.forget(&key);
        Ok(updated)
    }

    /// Deletes a tenant that holds no more data (its users, customers, products and
    /// promotions gone: `gotemp tenant purge` empties one deliberately); one that does is a
    /// conflict. The platform tenant stays.
    pub async fn delete(&self, actor: &Actor, key: &str, version: Option<i64>) -> Result<Tenant> {
        self.allow(actor, Action::Delete)?;
        let key = known_key(key)?;
        let current = self.stored(&key).await?;
        let expected = super::common::expected_version("tenant", &key, version, current.version)?;
        if key.as_str() == TenantId::PLATFORM || key.is_default() || self.holds_data(&key).await? {
            return Err(Error::conflict(
                ConflictKind::InUse,
                Some("key"),
                crate::tr!("conflict.tenant_holds_data", key = key.as_str()),
            ));
        }
        let event = PendingEvent::new::<Tenant>(ActionType::Delete, actor, values::now());
        let deleted = self.repo.delete(&key, expected, event).await?;
        self.gate.forget(&key);
        Ok(deleted)
    }

    /// Whether anything of `tenant` is still stored.
    async fn holds_data(&self, tenant: &TenantId) -> Result<bool> {
        let one = PageSpec::first(1);
        let users = self
            .users
            .repo
            .list(tenant, &Default::default(), &one)
            .await?;
        let customers = (self.data.customers.list(tenant, &Default::default(), &one)).await?;
        let products = (self.data.products.list(tenant, &Default::default(), &one)).await?;
        let promotions = (self.data.promotions.list(tenant, &Default::default(), &one)).await?;
        Ok(!(users.items.is_empty()
            && customers.items.is_empty()
            && products.items.is_empty()
            && promotions.items.is_empty()))
    }
}

/// The administrator's e-mail is taken (e-mails are unique across the deployment): said of
/// `admin.email`, the field the caller sent.
fn admin_email_taken(e: Error) -> Error {
    match e {
        Error::Conflict {
            kind: ConflictKind::Duplicate,
            field: Some(f),
            ..
        } if f == "email" => Error::conflict(
            ConflictKind::Duplicate,
            Some("admin.email"),
            crate::tr!("conflict.user_email"),
        ),
        other => other,
    }
}

/// Keys no tenant made through the API may take: `default` and `platform` (made by gotemp), and
/// the services' names, which event subjects carry in the tenant's place for `default`
/// (`gotemp.audit.customer.>` must not also match a tenant called `customer`).
pub(in crate::services) fn reserved(key: &TenantId) -> bool {
    const RESERVED: [&str; 8] = [
        TenantId::DEFAULT,
        TenantId::PLATFORM,
        "user",
        "customer",
        "product",
        "promotion",
        "audit",
        "tenant",
    ];
    RESERVED.contains(&key.as_str())
}

/// `key` as a tenant key; one that cannot be a key names no tenant (not found).
fn known_key(key: &str) -> Result<TenantId> {
    TenantId::parse("key", key).map_err(|_| Error::not_found("tenant", key))
}
