//! Customers (master data).

use super::common::{
    evict_after_commit, expected_version, get_by_id, merged_period, parse_extra_fields,
};
use super::links::{self, LinkRules};
use crate::actor::Actor;
use crate::cache::CacheLayer;
use crate::entities::{
    Customer, CustomerChanges, CustomerDraft, CustomerFilter, CustomerLink, Direction, Link,
    NewCustomer, NewLink, Related, Relation,
};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest, PageSpec};
use crate::ports::{CustomerDirectory, CustomerReferences, CustomerRepository};
use crate::values::{self, EntityKey, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Longest customer name accepted.
pub const NAME_MAX: usize = 255;

/// Customer hierarchies: a parent is sold-to or pay-to of its children.
const HIERARCHY: LinkRules = LinkRules {
    entity: "customer",
    relation: Relation::IsParentOf,
    kinds: &["sold_to", "pay_to"],
};

/// The customer service.
#[derive(Clone)]
pub struct CustomerService {
    repo: Arc<dyn CustomerRepository>,
    references: Option<Arc<dyn CustomerReferences>>,
    hooks: HookChain<Customer, CustomerDraft>,
    cache: Option<CacheLayer>,
}

impl CustomerService {
    /// A service over `repo`. Without [`CustomerService::with_references`] a customer can be
    /// deleted even while promotions name it.
    pub fn new(repo: Arc<dyn CustomerRepository>) -> Self {
        Self {
            repo,
            references: None,
            hooks: HookChain::default(),
            cache: None,
        }
    }

    /// Refuses deleting a customer something still refers to.
    pub fn with_references(mut self, references: Arc<dyn CustomerReferences>) -> Self {
        self.references = Some(references);
        self
    }

    /// Adds hooks around customer writes.
    pub fn with_hooks(mut self, hooks: HookChain<Customer, CustomerDraft>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Serves [`get`](Self::get) through `cache` and evicts an entry once its change is
    /// committed. Writes always read the stored object, never the cached one.
    pub fn with_cache(mut self, cache: CacheLayer) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The customer with `id`.
    pub async fn get(&self, id: &str) -> Result<Customer> {
        get_by_id(self.cache.as_ref(), id, || self.repo.get(id)).await
    }

    /// The stored customer, bypassing the cache: what a write must start from.
    async fn load(&self, id: &str) -> Result<Customer> {
        get_by_id(None, id, || self.repo.get(id)).await
    }

    /// Customers matching `filter`, a page at a time.
    pub async fn list(
        &self,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>> {
        let spec = PageSpec::parse(page)?;
        super::common::check_filters(&[
            ("id", filter.id.as_deref()),
            ("name", filter.name.as_deref()),
        ])?;
        self.repo.list(filter, &spec).await
    }

    /// Creates a customer; the id is generated from the name when absent, the validity defaults
    /// to one year from now.
    pub async fn create(&self, actor: &Actor, input: NewCustomer) -> Result<Customer> {
        let now = values::now();
        let mut v = Violations::default();
        let name = v.check(Text::parse("name", &input.name, NAME_MAX));
        let id = match input.id.as_deref() {
            Some(id) if !id.trim().is_empty() => v.check(EntityKey::parse("id", id)),
            _ => Some(EntityKey::generate(&input.name)),
        };
        let validity = v.check(ValidityPeriod::parse_or_default(
            input.valid_from,
            input.valid_thru,
            now,
        ));
        let extra_fields = v.check(parse_extra_fields(input.extra_fields));
        let (Some(id), Some(name), Some(validity), Some(extra_fields)) =
            (id, name, validity, extra_fields)
        else {
            return Err(v.into_error());
        };
        let draft = CustomerDraft {
            id,
            name,
            validity,
            extra_fields,
        };
        self.hooks.before_create(actor, &draft).await?;
        let event = PendingEvent::new::<Customer>(ActionType::Insert, actor, now);
        let created = self.repo.create(&draft, event).await?;
        self.hooks.after_create(actor, &created).await;
        Ok(created)
    }

    /// Changes a customer; absent fields keep their value.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        changes: CustomerChanges,
        version: Option<i64>,
    ) -> Result<Customer> {
        let current = self.load(id).await?;
        let expected = expected_version("customer", id, version, current.version)?;
        let mut v = Violations::default();
        let name = v.check(Text::parse(
            "name",
            changes.name.as_deref().unwrap_or(&current.name),
            NAME_MAX,
        ));
        let validity = v.check(merged_period(
            (current.valid_from, current.valid_thru),
            changes.valid_from,
            changes.valid_thru,
        ));
        let extra_fields = v.check(parse_extra_fields(
            changes
                .extra_fields
                .or_else(|| Some(current.extra_fields.clone())),
        ));
        let (Some(name), Some(validity), Some(extra_fields)) = (name, validity, extra_fields)
        else {
            return Err(v.into_error());
        };
        let draft = CustomerDraft {
            id: EntityKey::parse("id", &current.id)?,
            name,
            validity,
            extra_fields,
        };
        self.hooks.before_update(actor, &current, &draft).await?;
        let event = PendingEvent::new::<Customer>(ActionType::Update, actor, values::now());
        let updated = self.repo.update(&draft, expected, event).await?;
        evict_after_commit::<Customer>(self.cache.as_ref(), id).await;
        self.hooks.after_update(actor, &current, &updated).await;
        Ok(updated)
    }

    /// Deletes a customer, unless promotions still name it.
    pub async fn delete(&self, actor: &Actor, id: &str, version: Option<i64>) -> Result<Customer> {
        let current = self.load(id).await?;
        let expected = expected_version("customer", id, version, current.version)?;
        if let Some(refs) = &self.references
            && refs.is_customer_referenced(id).await?
        {
            return Err(Error::conflict(
                ConflictKind::InUse,
                Some("id"),
                format!(
                    "id: customer {id} is still named by promotions; delete or move them first"
                ),
            ));
        }
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<Customer>(ActionType::Delete, actor, values::now());
        let deleted = self.repo.delete(id, expected, event).await?;
        evict_after_commit::<Customer>(self.cache.as_ref(), id).await;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// The repository as the link operations see it.
    fn links(&self) -> &dyn links::LinkPort<Object = Customer> {
        &self.repo
    }

    /// Makes `input.id` a child of `parent` (`kind` `sold_to` or `pay_to`). Both must exist, and
    /// a link that would make a customer its own ancestor is refused.
    pub async fn add_child(&self, actor: &Actor, parent: &str, input: NewLink) -> Result<Link> {
        links::add::<CustomerLink, _>(self.links(), &HIERARCHY, actor, parent, input, false).await
    }

    /// Removes the link between `parent` and `child`.
    pub async fn remove_child(&self, actor: &Actor, parent: &str, child: &str) -> Result<Link> {
        links::remove::<CustomerLink, _>(self.links(), actor, parent, Relation::IsParentOf, child)
            .await
    }

    /// The customers `id` is parent of, with their links; only links valid on `valid_on` when
    /// given.
    pub async fn children(
        &self,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Customer>>> {
        let (relation, direction) = (Relation::IsParentOf, Direction::Outgoing);
        links::neighbours(self.links(), "customer", id, relation, direction, valid_on).await
    }

    /// The customers that are parents of `id`, with their links.
    pub async fn parents(
        &self,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Customer>>> {
        let (relation, direction) = (Relation::IsParentOf, Direction::Incoming);
        links::neighbours(self.links(), "customer", id, relation, direction, valid_on).await
    }
}

/// The promotion service's view of customers, served through this service's cache when it has
/// one, so a renamed customer shows its new name as soon as the change is committed.
#[async_trait::async_trait]
impl CustomerDirectory for CustomerService {
    async fn customer_name(&self, id: &str) -> Result<Option<String>> {
        match self.get(id).await {
            Ok(customer) => Ok(Some(customer.name)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
