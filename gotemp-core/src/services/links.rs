//! The rules of hierarchy links between two objects of one kind of master data.

use crate::actor::Actor;
use crate::entities::{
    Direction, Link, LinkDraft, LinkQuery, MasterEntity, NewLink, RELATED_MAX, Related, Relation,
};
use crate::error::{Error, FieldError, Result, Violations};
use crate::event::{ActionType, Auditable, PendingEvent};
use crate::policy::{Action, Policy, authorize, may_read};
use crate::ports::MasterRepository;
use crate::values::{self, EntityKey, TenantId, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Longest link kind accepted.
pub const KIND_MAX: usize = 50;

/// What one kind of link accepts.
pub(super) struct LinkRules {
    /// Object name of both ends (`customer`, `product`).
    pub entity: &'static str,
    /// The relation the link stands for.
    pub relation: Relation,
    /// The kinds allowed; empty: any text, and none is fine.
    pub kinds: &'static [&'static str],
}

impl LinkRules {
    /// The rules of parent links between two objects of kind `E`.
    pub fn parents<E: MasterEntity>() -> Self {
        Self {
            entity: E::OBJECT_NAME,
            relation: Relation::IsParentOf,
            kinds: E::PARENT_KINDS,
        }
    }

    /// The rules of component links (products): any kind, or none.
    pub fn components<E: MasterEntity>() -> Self {
        Self {
            entity: E::OBJECT_NAME,
            relation: Relation::IsComponentOf,
            kinds: &[],
        }
    }

    /// Checks every field of `input` (all failures at once) into a draft of `from → input.id`,
    /// or, with `reversed`, `input.id → to` (a component names itself as `from`).
    fn draft(
        &self,
        this: &str,
        input: NewLink,
        reversed: bool,
        now: DateTime<Utc>,
    ) -> Result<LinkDraft> {
        let mut v = Violations::default();
        let this_key = v.check(EntityKey::parse("id", this));
        let other = v.check(EntityKey::parse("id", &input.id));
        if this == input.id.trim() {
            v.push(FieldError::new(
                "id",
                "self_link",
                crate::tr!("field.self_link", entity = crate::i18n::entity(self.entity)),
            ));
        }
        let kind = match input.kind.as_deref().map(str::trim) {
            None | Some("") if self.kinds.is_empty() => Some(None),
            None | Some("") => {
                v.push(FieldError::new(
                    "kind",
                    "required",
                    crate::tr!("field.kind_required", kinds = self.kinds.join(", ")),
                ));
                None
            }
            Some(k) if !self.kinds.is_empty() && !self.kinds.contains(&k) => {
                v.push(FieldError::new(
                    "kind",
                    "invalid_kind",
                    crate::tr!("field.invalid_kind", kinds = self.kinds.join(", ")),
                ));
                None
            }
            Some(k) => v.check(Text::parse("kind", k, KIND_MAX)).map(Some),
        };
        let validity = v.check(ValidityPeriod::parse_or_default(
            input.valid_from,
            input.valid_thru,
            now,
        ));
        let (Some(this_key), Some(other), Some(kind), Some(validity), true) =
            (this_key, other, kind, validity, v.is_empty())
        else {
            return Err(v.into_error());
        };
        let (from, to) = match reversed {
            false => (this_key, other),
            true => (other, this_key),
        };
        Ok(LinkDraft {
            from,
            to,
            relation: self.relation,
            kind,
            validity,
        })
    }

    /// Refuses a link that would close a loop: `from → to` when `from` can already be reached
    /// from `to` (a customer that would become its own ancestor). Walks at most
    /// [`RELATED_MAX`] objects.
    async fn check_no_cycle<E: MasterEntity>(
        &self,
        draft: &LinkDraft,
        port: &dyn MasterRepository<E>,
        tenant: &TenantId,
    ) -> Result<()> {
        let (from, to) = (draft.from.as_str(), draft.to.as_str());
        let mut seen = HashSet::from([from.to_owned()]);
        let mut frontier = vec![from.to_owned()];
        while let Some(id) = frontier.pop() {
            for above in port.related(tenant, &id, &self.incoming()).await? {
                if above.link.from == to {
                    return Err(Error::invalid(FieldError::new(
                        "id",
                        "cycle",
                        crate::tr!(
                            "field.cycle",
                            from = from,
                            relation = self.relation.as_str(),
                            to = to
                        ),
                    )));
                }
                if seen.len() < RELATED_MAX as usize && seen.insert(above.link.from.clone()) {
                    frontier.push(above.link.from);
                }
            }
        }
        Ok(())
    }

    /// The query for the objects linking to an object along this relation.
    fn incoming(&self) -> LinkQuery {
        LinkQuery {
            relation: self.relation,
            direction: Direction::Incoming,
            valid_on: None,
        }
    }
}

/// What the policy says of the objects at a link's ends, asked by the service of their kind:
/// whether the caller may read one (one it may not is treated as missing), and whether it may
/// change one (linking changes both ends).
pub(super) struct Ends<'a> {
    /// The service's policy.
    pub policy: &'a dyn Policy,
    /// Who links or reads.
    pub actor: &'a Actor,
}

impl Ends<'_> {
    fn readable<E: MasterEntity>(&self, object: &E) -> bool {
        may_read(self.policy, self.actor, E::RESOURCE, object.policy_object())
    }

    fn changeable<E: MasterEntity>(&self, object: &E) -> Result<()> {
        let object = Some(object.policy_object());
        authorize(self.policy, self.actor, Action::Update, E::RESOURCE, object)
    }
}

/// The object with `id`, if it exists and the caller may read it.
async fn visible<E: MasterEntity>(
    repo: &dyn MasterRepository<E>,
    ends: &Ends<'_>,
    id: &str,
) -> Result<Option<E>> {
    // What cannot be a key names no object (and must not reach a store as one).
    if EntityKey::parse("id", id).is_err() {
        return Ok(None);
    }
    Ok((repo.get(&ends.actor.tenant, id).await?).filter(|o| ends.readable(o)))
}

/// Links `this` and `input.id` (`this → other`, or `other → this` when `reversed`): checks every
/// field, that both ends exist for the caller (an unknown `this` is NotFound, an unknown other
/// end a field error) and that it may change both, that no loop forms, then stores the link
/// with its audit event.
pub(super) async fn add<E: MasterEntity>(
    port: &dyn MasterRepository<E>,
    rules: &LinkRules,
    (this, input): (&str, NewLink),
    reversed: bool,
    ends: &Ends<'_>,
) -> Result<Link> {
    let now = values::now();
    let draft = rules.draft(this, input, reversed, now)?;
    let Some(this_end) = visible(port, ends, this).await? else {
        return Err(Error::not_found(rules.entity, this));
    };
    let other = if reversed { &draft.from } else { &draft.to };
    let Some(other_end) = visible(port, ends, other.as_str()).await? else {
        return Err(Error::invalid(FieldError::new(
            "id",
            "unknown",
            crate::tr!(
                "field.unknown_object",
                entity = crate::i18n::entity(rules.entity),
                id = other.as_str()
            ),
        )));
    };
    ends.changeable(&this_end)?;
    ends.changeable(&other_end)?;
    rules
        .check_no_cycle(&draft, port, &ends.actor.tenant)
        .await?;
    let event = PendingEvent::new::<E::Link>(ActionType::Insert, ends.actor, now);
    port.link(&ends.actor.tenant, &draft, event).await
}

/// Removes the link `from relation to` with its audit event, if the caller may change both
/// ends; a link to an end it may not read is not found, like one that does not exist.
pub(super) async fn remove<E: MasterEntity>(
    port: &dyn MasterRepository<E>,
    (from, relation, to): (&str, Relation, &str),
    ends: &Ends<'_>,
) -> Result<Link> {
    for end in [from, to] {
        match visible(port, ends, end).await? {
            Some(object) => ends.changeable(&object)?,
            None => {
                let link = format!("{from} {} {to}", relation.as_str());
                return Err(Error::not_found(<E::Link as Auditable>::OBJECT_NAME, link));
            }
        }
    }
    let event = PendingEvent::new::<E::Link>(ActionType::Delete, ends.actor, values::now());
    port.unlink(&ends.actor.tenant, from, relation, to, event)
        .await
}

/// The neighbours of `id` (NotFound when `id` does not exist for the caller) along `relation`
/// in `direction`: those the caller may read.
pub(super) async fn neighbours<E: MasterEntity>(
    port: &dyn MasterRepository<E>,
    (id, relation, direction): (&str, Relation, Direction),
    valid_on: Option<DateTime<Utc>>,
    ends: &Ends<'_>,
) -> Result<Vec<Related<E>>> {
    if visible(port, ends, id).await?.is_none() {
        return Err(Error::not_found(E::OBJECT_NAME, id));
    }
    let query = LinkQuery {
        relation,
        direction,
        valid_on,
    };
    let mut related = port.related(&ends.actor.tenant, id, &query).await?;
    related.retain(|r| ends.readable(&r.object));
    Ok(related)
}
