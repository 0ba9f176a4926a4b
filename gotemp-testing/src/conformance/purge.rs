//! Purging a tenant (`gotemp tenant purge`): every store removes all of one tenant's objects and
//! links, and nothing of another tenant's, though the keys are the same.

use super::{ACTOR, period, text};
use gotemp_core::actor::Actor;
use gotemp_core::entities::{
    Customer, CustomerDraft, CustomerLink, Direction, LinkDraft, LinkQuery, Relation,
};
use gotemp_core::event::{ActionType, Auditable, PendingEvent};
use gotemp_core::page::PageSpec;
use gotemp_core::ports::Repositories;
use gotemp_core::values::{EntityKey, TenantId, now};

fn event_in<T: Auditable>(tenant: &TenantId, action: ActionType) -> PendingEvent {
    PendingEvent::new::<T>(action, &Actor::admin(tenant.clone(), ACTOR), now())
}

/// `parent` and `child` in `tenant`, `parent` the parent of `child`.
async fn two_linked_customers(r: &Repositories, tenant: &TenantId) {
    for id in ["parent", "child"] {
        let draft = CustomerDraft {
            id: EntityKey::parse("id", id).unwrap(),
            name: text(&format!("{id} of {tenant}")),
            validity: period(2000, 2200),
            extra_fields: Default::default(),
            extras: (),
        };
        let insert = event_in::<Customer>(tenant, ActionType::Insert);
        r.customers.create(tenant, &draft, insert).await.unwrap();
    }
    let link = LinkDraft {
        from: EntityKey::parse("id", "parent").unwrap(),
        to: EntityKey::parse("id", "child").unwrap(),
        relation: Relation::IsParentOf,
        kind: Some(text("sold_to")),
        validity: period(2000, 2200),
    };
    let insert = event_in::<CustomerLink>(tenant, ActionType::Insert);
    r.customers.link(tenant, &link, insert).await.unwrap();
}

/// What `tenant` holds: its customers' ids and `parent`'s children.
async fn holdings(r: &Repositories, tenant: &TenantId) -> (Vec<String>, usize) {
    let page = (r
        .customers
        .list(tenant, &Default::default(), &PageSpec::first(10))
        .await)
        .unwrap();
    let down = LinkQuery {
        relation: Relation::IsParentOf,
        direction: Direction::Outgoing,
        valid_on: None,
    };
    let children = r.customers.related(tenant, "parent", &down).await.unwrap();
    (
        page.items.into_iter().map(|c| c.id).collect(),
        children.len(),
    )
}

/// Purging `ducks` removes its customers and their link, in every store; `geese`, with the same
/// keys, keeps all of its own; purging again finds nothing.
pub async fn purge_removes_one_tenant_only(r: &Repositories) {
    let ducks = TenantId::parse("tenant", "ducks").unwrap();
    let geese = TenantId::parse("tenant", "geese").unwrap();
    two_linked_customers(r, &ducks).await;
    two_linked_customers(r, &geese).await;
    assert!(!r.purge.is_empty(), "every store can purge");
    let mut removed = 0;
    for store in &r.purge {
        let counts = store.purge_tenant(&ducks).await.unwrap();
        removed += counts.iter().map(|(_, n)| n).sum::<u64>();
    }
    assert!(removed >= 3, "two customers and a link at least: {removed}");
    assert_eq!(holdings(r, &ducks).await, (vec![], 0));
    let kept = (vec!["child".to_owned(), "parent".to_owned()], 1);
    assert_eq!(
        holdings(r, &geese).await,
        kept,
        "another tenant's data stays"
    );
    for store in &r.purge {
        let again = store.purge_tenant(&ducks).await.unwrap();
        let leftover: u64 = again.iter().map(|(_, n)| n).sum();
        // The outbox of a store that keeps one per write may still hold the tenant's events
        // (ArangoDB's); none of its objects are left.
        assert!(
            again.iter().all(|(table, _)| table == "outbox") || leftover == 0,
            "purged twice: {again:?}"
        );
    }
}
