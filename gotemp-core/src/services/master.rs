//! Master data (customers, products), written once over [`MasterEntity`]: every rule, hook,
//! cache step and audit event of a create, update, delete or hierarchy link is the same for
//! both kinds; what a kind adds is decided by its entity.

use super::common::{
    check_filters, evict_after_commit, expected_version, get_by_id, merged_period,
    parse_extra_fields, visible_page,
};
use super::links::{self, LinkRules};
use crate::actor::Actor;
use crate::cache::CacheLayer;
use crate::entities::{
    Customer, Direction, Link, MasterDraft, MasterEntity, MasterInput, NewLink, Product, Related,
    Relation,
};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest};
use crate::policy::{Action, Policy, RolePolicy, authorize, authorize_stored, may_read};
use crate::ports::{CustomerDirectory, MasterRepository, References};
use crate::values::{self, EntityKey, TenantId, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Longest name of master data accepted.
pub const NAME_MAX: usize = 255;

/// The service of one kind of master data.
pub struct MasterDataService<E: MasterEntity> {
    repo: Arc<dyn MasterRepository<E>>,
    references: Option<Arc<dyn References>>,
    hooks: HookChain<E, MasterDraft<E>>,
    cache: Option<CacheLayer>,
    policy: Arc<dyn Policy>,
}

/// The customer service.
pub type CustomerService = MasterDataService<Customer>;

/// The product service.
pub type ProductService = MasterDataService<Product>;

impl<E: MasterEntity> Clone for MasterDataService<E> {
    fn clone(&self) -> Self {
        Self {
            repo: self.repo.clone(),
            references: self.references.clone(),
            hooks: self.hooks.clone(),
            cache: self.cache.clone(),
            policy: self.policy.clone(),
        }
    }
}

impl<E: MasterEntity> MasterDataService<E> {
    /// A service over `repo`. Without [`MasterDataService::with_references`] an object can be
    /// deleted even while something names it.
    pub fn new(repo: Arc<dyn MasterRepository<E>>) -> Self {
        Self {
            repo,
            references: None,
            hooks: HookChain::default(),
            cache: None,
            policy: Arc::new(RolePolicy),
        }
    }

    /// Decides every call with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Whether `actor` may do `action`, on `object` when there is one.
    fn allow(&self, actor: &Actor, action: Action, object: Option<&E>) -> Result<()> {
        let object = object.map(E::policy_object);
        authorize(&*self.policy, actor, action, E::RESOURCE, object)
    }

    /// Whether `actor` may do `action` on the stored `object`; one it may not read is not
    /// found.
    fn allow_stored(&self, actor: &Actor, action: Action, object: &E) -> Result<()> {
        let hidden = || Error::not_found(E::OBJECT_NAME, object.id());
        let policy_object = object.policy_object();
        authorize_stored(
            &*self.policy,
            actor,
            action,
            E::RESOURCE,
            policy_object,
            hidden,
        )
    }

    /// Whether `actor` may read `object` (lists and hierarchies show only those).
    fn readable(&self, actor: &Actor, object: &E) -> bool {
        may_read(&*self.policy, actor, E::RESOURCE, object.policy_object())
    }

    /// The policy's view of a link's ends, for `actor`.
    fn ends<'a>(&'a self, actor: &'a Actor) -> links::Ends<'a> {
        links::Ends {
            policy: &*self.policy,
            actor,
        }
    }

    /// Refuses deleting an object something still refers to (customers named by promotions).
    pub fn with_references(mut self, references: Arc<dyn References>) -> Self {
        self.references = Some(references);
        self
    }

    /// Adds hooks around writes.
    pub fn with_hooks(mut self, hooks: HookChain<E, MasterDraft<E>>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Serves [`get`](Self::get) through `cache` and evicts an entry once its change is
    /// committed. Writes always read the stored object, never the cached one.
    pub fn with_cache(mut self, cache: CacheLayer) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The object with `id`.
    pub async fn get(&self, actor: &Actor, id: &str) -> Result<E> {
        self.allow(actor, Action::Read, None)?;
        let found = self.find(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Read, &found)?;
        Ok(found)
    }

    /// The object with `id`, for gotemp's own lookups (a promotion's customer name): served
    /// through the cache, seen by read hooks, not a caller's request.
    async fn find(&self, tenant: &TenantId, id: &str) -> Result<E> {
        let found = get_by_id(self.cache.as_ref(), tenant, id, || {
            self.repo.get(tenant, id)
        })
        .await?;
        self.hooks.after_read(&found).await;
        Ok(found)
    }

    /// The stored object, bypassing the cache: what a write must start from.
    async fn load(&self, tenant: &TenantId, id: &str) -> Result<E> {
        get_by_id(None, tenant, id, || self.repo.get(tenant, id)).await
    }

    /// Objects matching `filter`, a page at a time.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &E::Filter,
        page: &PageRequest,
    ) -> Result<Page<E>> {
        self.allow(actor, Action::Read, None)?;
        check_filters(&E::text_filters(filter))?;
        let visible = |object: &E| self.readable(actor, object);
        visible_page(page, visible, |spec| async move {
            self.repo.list(&actor.tenant, filter, &spec).await
        })
        .await
    }

    /// Creates an object; the id is generated from the name when absent, the validity defaults
    /// to one year from now.
    pub async fn create(&self, actor: &Actor, input: E::New) -> Result<E> {
        self.allow(actor, Action::Create, None)?;
        let now = values::now();
        let (input, extras) = E::split_new(input);
        let name_input = input.name.unwrap_or_default();
        let mut v = Violations::default();
        let name = v.check(Text::parse("name", &name_input, NAME_MAX));
        let id = match input.id.as_deref() {
            Some(id) if !id.trim().is_empty() => v.check(EntityKey::parse("id", id)),
            _ => Some(EntityKey::generate(&name_input)),
        };
        let validity = v.check(ValidityPeriod::parse_or_default(
            input.valid_from,
            input.valid_thru,
            now,
        ));
        let extra_fields = v.check(parse_extra_fields(input.extra_fields));
        let extras = E::parse_extras(&mut v, extras, None);
        let (Some(id), Some(name), Some(validity), Some(extra_fields), Some(extras)) =
            (id, name, validity, extra_fields, extras)
        else {
            return Err(v.into_error());
        };
        let draft = MasterDraft {
            id,
            name,
            validity,
            extra_fields,
            extras,
        };
        let event = PendingEvent::new::<E>(ActionType::Insert, actor, now);
        self.allow(
            actor,
            Action::Create,
            Some(&E::stored(&draft, now, &event, 1)),
        )?;
        self.hooks.before_create(actor, &draft).await?;
        let created = self.repo.create(&actor.tenant, &draft, event).await?;
        self.hooks.after_create(actor, &created).await;
        Ok(created)
    }

    /// Changes an object; absent fields keep their value.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        changes: E::Changes,
        version: Option<i64>,
    ) -> Result<E> {
        self.allow(actor, Action::Update, None)?;
        let current = self.load(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Update, &current)?;
        expected_version(E::OBJECT_NAME, id, version, current.version())?;
        let (changes, extras) = E::split_changes(changes);
        let draft = Self::changed(&current, changes, extras)?;
        let event = PendingEvent::new::<E>(ActionType::Update, actor, values::now());
        let result = E::stored(&draft, current.created_at(), &event, current.version() + 1);
        self.allow(actor, Action::Update, Some(&result))?;
        self.hooks.before_update(actor, &current, &draft).await?;
        let updated = (self.repo.update(&actor.tenant, &draft, &current, event)).await?;
        evict_after_commit::<E>(self.cache.as_ref(), &actor.tenant, id).await;
        self.hooks.after_update(actor, &current, &updated).await;
        Ok(updated)
    }

    /// The draft of `current` after `changes`, with every broken rule at once.
    fn changed(current: &E, changes: MasterInput, extras: E::RawExtras) -> Result<MasterDraft<E>> {
        let mut v = Violations::default();
        let name = changes.name.as_deref().unwrap_or(current.name());
        let name = v.check(Text::parse("name", name, NAME_MAX));
        let validity = v.check(merged_period(
            current.validity(),
            changes.valid_from,
            changes.valid_thru,
        ));
        let extra_fields = v.check(parse_extra_fields(
            changes
                .extra_fields
                .or_else(|| Some(current.extra_fields().clone())),
        ));
        let extras = E::parse_extras(&mut v, extras, Some(current));
        let (Some(name), Some(validity), Some(extra_fields), Some(extras)) =
            (name, validity, extra_fields, extras)
        else {
            return Err(v.into_error());
        };
        Ok(MasterDraft {
            id: EntityKey::parse("id", current.id())?,
            name,
            validity,
            extra_fields,
            extras,
        })
    }

    /// Deletes an object, unless something still names it.
    pub async fn delete(&self, actor: &Actor, id: &str, version: Option<i64>) -> Result<E> {
        self.allow(actor, Action::Delete, None)?;
        let current = self.load(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Delete, &current)?;
        let expected = expected_version(E::OBJECT_NAME, id, version, current.version())?;
        if let Some(refs) = &self.references
            && refs.is_referenced(&actor.tenant, id).await?
        {
            let (object, holders) = (E::OBJECT_NAME, refs.holders());
            return Err(Error::conflict(
                ConflictKind::InUse,
                Some("id"),
                crate::tr!(
                    "conflict.in_use",
                    entity = crate::i18n::entity(object),
                    id = id,
                    holders = crate::i18n::entity(holders)
                ),
            ));
        }
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<E>(ActionType::Delete, actor, values::now());
        let deleted = (self.repo.delete(&actor.tenant, id, expected, event)).await?;
        evict_after_commit::<E>(self.cache.as_ref(), &actor.tenant, id).await;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// Makes `input.id` a child of `parent` (customers: `kind` `sold_to` or `pay_to`; products:
    /// a product in a category). Both must exist, and a link that would make an object its own
    /// ancestor is refused.
    pub async fn add_child(&self, actor: &Actor, parent: &str, input: NewLink) -> Result<Link> {
        self.allow(actor, Action::Update, None)?;
        let rules = LinkRules::parents::<E>();
        let ends = self.ends(actor);
        links::add(&*self.repo, &rules, (parent, input), false, &ends).await
    }

    /// Removes the link between `parent` and `child`.
    pub async fn remove_child(&self, actor: &Actor, parent: &str, child: &str) -> Result<Link> {
        self.allow(actor, Action::Update, None)?;
        let link = (parent, Relation::IsParentOf, child);
        links::remove(&*self.repo, link, &self.ends(actor)).await
    }

    /// The objects `id` is parent of, with their links; only links valid on `valid_on` when
    /// given.
    pub async fn children(
        &self,
        actor: &Actor,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<E>>> {
        self.allow(actor, Action::Read, None)?;
        let along = (id, Relation::IsParentOf, Direction::Outgoing);
        links::neighbours(&*self.repo, along, valid_on, &self.ends(actor)).await
    }

    /// The objects that are parents of `id` (customers above it, categories of a product), with
    /// their links.
    pub async fn parents(
        &self,
        actor: &Actor,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<E>>> {
        self.allow(actor, Action::Read, None)?;
        let along = (id, Relation::IsParentOf, Direction::Incoming);
        links::neighbours(&*self.repo, along, valid_on, &self.ends(actor)).await
    }
}

/// Components are products' own addition to hierarchies: a product made of other products.
impl MasterDataService<Product> {
    /// Makes `input.id` a component of `product`.
    pub async fn add_component(
        &self,
        actor: &Actor,
        product: &str,
        input: NewLink,
    ) -> Result<Link> {
        self.allow(actor, Action::Update, None)?;
        let rules = LinkRules::components::<Product>();
        let ends = self.ends(actor);
        links::add(&*self.repo, &rules, (product, input), true, &ends).await
    }

    /// Removes `component` from `product`.
    pub async fn remove_component(
        &self,
        actor: &Actor,
        product: &str,
        component: &str,
    ) -> Result<Link> {
        self.allow(actor, Action::Update, None)?;
        let link = (component, Relation::IsComponentOf, product);
        links::remove(&*self.repo, link, &self.ends(actor)).await
    }

    /// The components of `id`.
    pub async fn components(
        &self,
        actor: &Actor,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Product>>> {
        self.allow(actor, Action::Read, None)?;
        let along = (id, Relation::IsComponentOf, Direction::Incoming);
        links::neighbours(&*self.repo, along, valid_on, &self.ends(actor)).await
    }
}

/// The promotion service's view of customers, served through this service's cache when it has
/// one, so a renamed customer shows its new name as soon as the change is committed. Whether a
/// caller may see it is the promotion service's question to the policy.
#[async_trait::async_trait]
impl CustomerDirectory for MasterDataService<Customer> {
    async fn customer(&self, caller: &Actor, id: &str) -> Result<Option<Customer>> {
        match self.find(&caller.tenant, id).await {
            Ok(customer) => Ok(Some(customer)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
