//! Promotions: a customer's discounts on products, with the customer's name looked up.

use super::common::visible_page;
use super::common::{expected_version, merged_period};
use crate::actor::Actor;
use crate::entities::{
    Customer, NewPromotion, Promotion, PromotionChanges, PromotionDraft, PromotionFilter,
    PromotionProduct,
};
use crate::error::{ConflictKind, Error, FieldError, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest};
use crate::policy::{
    Action, Object, Policy, Resource, RolePolicy, authorize, authorize_stored, may_read,
};
use crate::ports::{CustomerDirectory, PromotionRepository};
use crate::values::{self, EntityKey, TenantId, Text, ValidityPeriod};
use std::collections::HashMap;
use std::sync::Arc;

const NAME_MAX: usize = 50;
const DESCRIPTION_MAX: usize = 255;
use lines::check_products;

mod lines;

/// The promotion service.
#[derive(Clone)]
pub struct PromotionService {
    repo: Arc<dyn PromotionRepository>,
    customers: Arc<dyn CustomerDirectory>,
    hooks: HookChain<Promotion, PromotionDraft>,
    policy: Arc<dyn Policy>,
}

/// The fields of a promotion before checking, whether from a create or a merged update.
struct Fields<'a> {
    name: &'a str,
    description: Option<&'a str>,
    period: std::result::Result<ValidityPeriod, Vec<FieldError>>,
    active: bool,
    customer_id: &'a str,
    /// Whether the caller chose the customer (a create, or a change of `customer_id`): only
    /// then must it be one the caller may read. An approver changes a promotion's state without
    /// reading customers.
    customer_chosen: bool,
    products: Vec<PromotionProduct>,
    approval_status: i32,
    prev_approval_status: i32,
}

impl PromotionService {
    /// A service over `repo` that checks and names customers through `customers`.
    pub fn new(repo: Arc<dyn PromotionRepository>, customers: Arc<dyn CustomerDirectory>) -> Self {
        Self {
            repo,
            customers,
            hooks: HookChain::default(),
            policy: Arc::new(RolePolicy),
        }
    }

    /// Decides every call with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    fn allow(&self, actor: &Actor, action: Action, object: Option<Object<'_>>) -> Result<()> {
        authorize(&*self.policy, actor, action, Resource::Promotions, object)
    }

    /// Whether `actor` may do `action` on the stored `promotion`; one it may not read is not
    /// found.
    fn allow_stored(&self, actor: &Actor, action: Action, promotion: &Promotion) -> Result<()> {
        let hidden = || Error::not_found("promotion", promotion.id);
        let object = Object::Promotion(promotion);
        authorize_stored(
            &*self.policy,
            actor,
            action,
            Resource::Promotions,
            object,
            hidden,
        )
    }

    /// Whether `actor` may read `promotion` (lists show only those).
    fn readable(&self, actor: &Actor, promotion: &Promotion) -> bool {
        may_read(
            &*self.policy,
            actor,
            Resource::Promotions,
            Object::Promotion(promotion),
        )
    }

    /// Adds hooks around promotion writes.
    pub fn with_hooks(mut self, hooks: HookChain<Promotion, PromotionDraft>) -> Self {
        self.hooks = hooks;
        self
    }

    /// The promotion with `id`, with its customer's name.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<Promotion> {
        self.allow(actor, Action::Read, None)?;
        let mut p = self.stored(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Read, &p)?;
        p.customer_name = self.customer_name(actor, &p.customer_id).await;
        self.hooks.after_read(&p).await;
        Ok(p)
    }

    /// Promotions matching `filter`, a page at a time, with their customers' names.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &PromotionFilter,
        page: &PageRequest,
    ) -> Result<Page<Promotion>> {
        self.allow(actor, Action::Read, None)?;
        super::common::check_filters(&[
            ("name", filter.name.as_deref()),
            ("product_id", filter.product_id.as_deref()),
            ("customer_id", filter.customer_id.as_deref()),
        ])?;
        let visible = |p: &Promotion| self.readable(actor, p);
        let read = |spec| async move { self.repo.list(&actor.tenant, filter, &spec).await };
        let mut page = visible_page(page, visible, read).await?;
        let ids: Vec<&String> = page.items.iter().map(|p| &p.customer_id).collect();
        let names = self.lookup_names(actor, &ids).await;
        for p in &mut page.items {
            p.customer_name = names.get(&p.customer_id).cloned();
        }
        Ok(page)
    }

    /// Creates a promotion for an existing customer.
    pub async fn create(&self, actor: &Actor, input: NewPromotion) -> Result<Promotion> {
        self.allow(actor, Action::Create, None)?;
        if input.approval_status != 0 {
            // Created already past its initial state: that is an approval.
            self.allow(actor, Action::Approve, None)?;
        }
        let draft = self
            .draft(
                actor,
                Fields {
                    name: &input.name,
                    description: input.description.as_deref(),
                    period: ValidityPeriod::parse(input.valid_from, input.valid_thru),
                    active: input.active,
                    customer_id: &input.customer_id,
                    customer_chosen: true,
                    products: input.products,
                    approval_status: input.approval_status,
                    prev_approval_status: 0,
                },
            )
            .await?;
        let now = values::now();
        let event = PendingEvent::new::<Promotion>(ActionType::Insert, actor, now);
        let new = draft.stored(0, now, &event, 1);
        self.allow(actor, Action::Create, Some(Object::Promotion(&new)))?;
        self.hooks.before_create(actor, &draft).await?;
        let mut created = self.repo.create(&actor.tenant, &draft, event).await?;
        self.hooks.after_create(actor, &created).await;
        created.customer_name = self.customer_name(actor, &created.customer_id).await;
        Ok(created)
    }

    /// Changes a promotion; a new approval status moves the old one to `prev_approval_status`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        changes: PromotionChanges,
        version: Option<i64>,
    ) -> Result<Promotion> {
        // A caller who may neither change nor approve promotions learns nothing of this one.
        if let Err(refused) = self.allow(actor, Action::Update, None)
            && self.allow(actor, Action::Approve, None).is_err()
        {
            return Err(refused);
        }
        let current = self.stored(&actor.tenant, id).await?;
        let moves = changes
            .approval_status
            .filter(|s| *s != current.approval_status);
        // Approving alone needs `promotions:approve`, anything else `promotions:update` too: an
        // approver need not be an editor, and an editor cannot approve its own promotion. Each
        // is asked of the promotion as stored and, once the change is checked, as it would be.
        let mut needs = Vec::with_capacity(2);
        if moves.is_none() || changes.changes_more_than_approval() {
            needs.push(Action::Update);
        }
        if moves.is_some() {
            needs.push(Action::Approve);
        }
        for action in &needs {
            self.allow_stored(actor, *action, &current)?;
        }
        let expected = expected_version("promotion", id, version, current.version)?;
        let (approval_status, prev_approval_status) = match moves {
            Some(s) if s < current.approval_status => {
                return Err(Error::conflict(
                    ConflictKind::State,
                    Some("approval_status"),
                    crate::tr!(
                        "conflict.approval_backwards",
                        from = current.approval_status,
                        to = s
                    ),
                ));
            }
            Some(s) => (s, current.approval_status),
            None => (current.approval_status, current.prev_approval_status),
        };
        let description = values::merged_optional(current.description.clone(), changes.description);
        let draft = self
            .draft(
                actor,
                Fields {
                    name: changes.name.as_deref().unwrap_or(&current.name),
                    description: description.as_deref(),
                    period: merged_period(
                        (current.valid_from, current.valid_thru),
                        changes.valid_from,
                        changes.valid_thru,
                    )
                    .map_err(|e| vec![e]),
                    active: changes.active.unwrap_or(current.active),
                    customer_id: changes
                        .customer_id
                        .as_deref()
                        .unwrap_or(&current.customer_id),
                    customer_chosen: (changes.customer_id.as_deref())
                        .is_some_and(|id| id.trim() != current.customer_id),
                    products: changes.products.unwrap_or_else(|| current.products.clone()),
                    approval_status,
                    prev_approval_status,
                },
            )
            .await?;
        let event = PendingEvent::new::<Promotion>(ActionType::Update, actor, values::now());
        let result = draft.stored(id, current.created_at, &event, current.version + 1);
        for action in needs {
            self.allow(actor, action, Some(Object::Promotion(&result)))?;
        }
        self.hooks.before_update(actor, &current, &draft).await?;
        let mut updated = (self.repo.update(&actor.tenant, id, &draft, expected, event)).await?;
        self.hooks.after_update(actor, &current, &updated).await;
        updated.customer_name = self.customer_name(actor, &updated.customer_id).await;
        Ok(updated)
    }

    /// Deletes a promotion that is still in its initial approval state.
    pub async fn delete(&self, actor: &Actor, id: i64, version: Option<i64>) -> Result<Promotion> {
        self.allow(actor, Action::Delete, None)?;
        let current = self.stored(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Delete, &current)?;
        let expected = expected_version("promotion", id, version, current.version)?;
        if current.approval_status != 0 {
            return Err(Error::conflict(
                ConflictKind::State,
                Some("approval_status"),
                crate::tr!("conflict.promotion_state"),
            ));
        }
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<Promotion>(ActionType::Delete, actor, values::now());
        let deleted = (self.repo.delete(&actor.tenant, id, expected, event)).await?;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    async fn stored(&self, tenant: &TenantId, id: i64) -> Result<Promotion> {
        self.repo
            .get(tenant, id)
            .await?
            .ok_or_else(|| Error::not_found("promotion", id))
    }

    /// Checks every field, then that the customer exists (only once the rest is valid, so bad
    /// input costs no look-up); a customer `actor` chose and may not read is as unknown as a
    /// missing one.
    async fn draft(&self, actor: &Actor, f: Fields<'_>) -> Result<PromotionDraft> {
        let mut v = Violations::default();
        let name = v.check(Text::parse("name", f.name, NAME_MAX));
        let description = v.check(Text::parse_optional(
            "description",
            f.description,
            DESCRIPTION_MAX,
        ));
        let validity = v.check_all(f.period);
        let customer_id = v.check(EntityKey::parse("customer_id", f.customer_id));
        let products = check_products(&mut v, f.products);
        for (field, status) in [
            ("approval_status", f.approval_status),
            ("prev_approval_status", f.prev_approval_status),
        ] {
            if status < 0 {
                v.push(FieldError::new(
                    field,
                    "out_of_range",
                    crate::tr!("field.negative", field = field),
                ));
            }
        }
        let (Some(name), Some(description), Some(validity), Some(customer_id), Some(products)) =
            (name, description, validity, customer_id, products)
        else {
            return Err(v.into_error());
        };
        if !v.is_empty() {
            return Err(v.into_error());
        }
        let customer = self.customers.customer(actor, customer_id.as_str()).await?;
        if !customer.is_some_and(|c| !f.customer_chosen || self.may_read_customer(actor, &c)) {
            return Err(Error::invalid(FieldError::new(
                "customer_id",
                "unknown_customer",
                crate::tr!("field.unknown_customer", id = customer_id),
            )));
        }
        Ok(PromotionDraft {
            name,
            description,
            validity,
            active: f.active,
            customer_id,
            products,
            approval_status: f.approval_status,
            prev_approval_status: f.prev_approval_status,
        })
    }

    /// Whether the policy lets `actor` read `customer` (and so see its name or choose it).
    fn may_read_customer(&self, actor: &Actor, customer: &Customer) -> bool {
        may_read(
            &*self.policy,
            actor,
            Resource::Customers,
            Object::Customer(customer),
        )
    }

    /// The name of one customer as `actor` may see it (see [`Self::lookup_names`]).
    async fn customer_name(&self, actor: &Actor, id: &String) -> Option<String> {
        self.lookup_names(actor, &[id]).await.remove(id)
    }

    /// Looks up the names of customers `actor` may read: the others' are left out, as are those
    /// whose look-up failed (logged; it never fails the request).
    async fn lookup_names(&self, actor: &Actor, ids: &[&String]) -> HashMap<String, String> {
        let mut names = HashMap::new();
        let mut asked = std::collections::HashSet::new();
        for id in ids {
            if !asked.insert(*id) {
                continue;
            }
            match self.customers.customer(actor, id).await {
                Ok(Some(customer)) if self.may_read_customer(actor, &customer) => {
                    names.insert((*id).clone(), customer.name);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(customer_id = %id, error = %e, "customer name look-up failed")
                }
            }
        }
        names
    }
}
