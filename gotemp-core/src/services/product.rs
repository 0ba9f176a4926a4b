//! Products and product categories (master data).

use super::common::{
    evict_after_commit, expected_version, get_by_id, merged_optional, merged_period,
    parse_extra_fields,
};
use super::links::{self, LinkRules};
use crate::actor::Actor;
use crate::cache::CacheLayer;
use crate::entities::{
    Direction, Link, NewLink, NewProduct, Product, ProductChanges, ProductDraft, ProductFilter,
    ProductLink, Related, Relation,
};
use crate::error::{Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest, PageSpec};
use crate::ports::ProductRepository;
use crate::values::{self, EntityKey, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Longest product name accepted.
pub const NAME_MAX: usize = 255;

/// Categories above products (`elec` is parent of `tele`); any kind, or none.
const CATEGORIES: LinkRules = LinkRules {
    entity: "product",
    relation: Relation::IsParentOf,
    kinds: &[],
};

/// Components inside products (`intamd` is a component of `switch`); any kind, or none.
const COMPONENTS: LinkRules = LinkRules {
    entity: "product",
    relation: Relation::IsComponentOf,
    kinds: &[],
};
/// Longest hierarchy level accepted.
pub const LEVEL_MAX: usize = 50;

/// The product service.
#[derive(Clone)]
pub struct ProductService {
    repo: Arc<dyn ProductRepository>,
    hooks: HookChain<Product, ProductDraft>,
    cache: Option<CacheLayer>,
}

impl ProductService {
    /// A service over `repo`.
    pub fn new(repo: Arc<dyn ProductRepository>) -> Self {
        Self {
            repo,
            hooks: HookChain::default(),
            cache: None,
        }
    }

    /// Adds hooks around product writes.
    pub fn with_hooks(mut self, hooks: HookChain<Product, ProductDraft>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Serves [`get`](Self::get) through `cache` and evicts an entry once its change is
    /// committed. Writes always read the stored object, never the cached one.
    pub fn with_cache(mut self, cache: CacheLayer) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The product with `id`.
    pub async fn get(&self, id: &str) -> Result<Product> {
        get_by_id(self.cache.as_ref(), id, || self.repo.get(id)).await
    }

    /// The stored product, bypassing the cache: what a write must start from.
    async fn load(&self, id: &str) -> Result<Product> {
        get_by_id(None, id, || self.repo.get(id)).await
    }

    /// Products matching `filter`, a page at a time.
    pub async fn list(&self, filter: &ProductFilter, page: &PageRequest) -> Result<Page<Product>> {
        let spec = PageSpec::parse(page)?;
        super::common::check_filters(&[
            ("id", filter.id.as_deref()),
            ("name", filter.name.as_deref()),
            ("hierarchy_level", filter.hierarchy_level.as_deref()),
        ])?;
        self.repo.list(filter, &spec).await
    }

    /// Creates a product; the id is generated from the name when absent, the validity defaults
    /// to one year from now.
    pub async fn create(&self, actor: &Actor, input: NewProduct) -> Result<Product> {
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
        let level = v.check(Text::parse_optional(
            "hierarchy_level",
            input.hierarchy_level.as_deref(),
            LEVEL_MAX,
        ));
        let (Some(id), Some(name), Some(validity), Some(extra_fields), Some(hierarchy_level)) =
            (id, name, validity, extra_fields, level)
        else {
            return Err(v.into_error());
        };
        let draft = ProductDraft {
            id,
            name,
            hierarchy_level,
            validity,
            extra_fields,
        };
        self.hooks.before_create(actor, &draft).await?;
        let event = PendingEvent::new::<Product>(ActionType::Insert, actor, now);
        let created = self.repo.create(&draft, event).await?;
        self.hooks.after_create(actor, &created).await;
        Ok(created)
    }

    /// Changes a product; absent fields keep their value.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        changes: ProductChanges,
        version: Option<i64>,
    ) -> Result<Product> {
        let current = self.load(id).await?;
        let expected = expected_version("product", id, version, current.version)?;
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
        let level = v.check(Text::parse_optional(
            "hierarchy_level",
            merged_optional(current.hierarchy_level.clone(), changes.hierarchy_level).as_deref(),
            LEVEL_MAX,
        ));
        let (Some(name), Some(validity), Some(extra_fields), Some(hierarchy_level)) =
            (name, validity, extra_fields, level)
        else {
            return Err(v.into_error());
        };
        let draft = ProductDraft {
            id: EntityKey::parse("id", &current.id)?,
            name,
            hierarchy_level,
            validity,
            extra_fields,
        };
        self.hooks.before_update(actor, &current, &draft).await?;
        let event = PendingEvent::new::<Product>(ActionType::Update, actor, values::now());
        let updated = self.repo.update(&draft, expected, event).await?;
        evict_after_commit::<Product>(self.cache.as_ref(), id).await;
        self.hooks.after_update(actor, &current, &updated).await;
        Ok(updated)
    }

    /// Deletes a product.
    pub async fn delete(&self, actor: &Actor, id: &str, version: Option<i64>) -> Result<Product> {
        let current = self.load(id).await?;
        let expected = expected_version("product", id, version, current.version)?;
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<Product>(ActionType::Delete, actor, values::now());
        let deleted = self.repo.delete(id, expected, event).await?;
        evict_after_commit::<Product>(self.cache.as_ref(), id).await;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// The repository as the link operations see it.
    fn links(&self) -> &dyn links::LinkPort<Object = Product> {
        &self.repo
    }

    /// Makes `input.id` a child of `parent` (a product in a category). Both must exist, and a
    /// link that would make a product its own ancestor is refused.
    pub async fn add_child(&self, actor: &Actor, parent: &str, input: NewLink) -> Result<Link> {
        links::add::<ProductLink, _>(self.links(), &CATEGORIES, actor, parent, input, false).await
    }

    /// Removes the link between `parent` and `child`.
    pub async fn remove_child(&self, actor: &Actor, parent: &str, child: &str) -> Result<Link> {
        links::remove::<ProductLink, _>(self.links(), actor, parent, Relation::IsParentOf, child)
            .await
    }

    /// Makes `input.id` a component of `product`.
    pub async fn add_component(
        &self,
        actor: &Actor,
        product: &str,
        input: NewLink,
    ) -> Result<Link> {
        links::add::<ProductLink, _>(self.links(), &COMPONENTS, actor, product, input, true).await
    }

    /// Removes `component` from `product`.
    pub async fn remove_component(
        &self,
        actor: &Actor,
        product: &str,
        component: &str,
    ) -> Result<Link> {
        let relation = Relation::IsComponentOf;
        links::remove::<ProductLink, _>(self.links(), actor, component, relation, product).await
    }

    /// The products `id` is parent of, with their links; only links valid on `valid_on` when
    /// given.
    pub async fn children(
        &self,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Product>>> {
        let (relation, direction) = (Relation::IsParentOf, Direction::Outgoing);
        links::neighbours(self.links(), "product", id, relation, direction, valid_on).await
    }

    /// The products (categories) that are parents of `id`.
    pub async fn parents(
        &self,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Product>>> {
        let (relation, direction) = (Relation::IsParentOf, Direction::Incoming);
        links::neighbours(self.links(), "product", id, relation, direction, valid_on).await
    }

    /// The components of `id`.
    pub async fn components(
        &self,
        id: &str,
        valid_on: Option<DateTime<Utc>>,
    ) -> Result<Vec<Related<Product>>> {
        let (relation, direction) = (Relation::IsComponentOf, Direction::Incoming);
        links::neighbours(self.links(), "product", id, relation, direction, valid_on).await
    }
}
