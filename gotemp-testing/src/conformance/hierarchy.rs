//! Hierarchy links of customers and products: stored with their audit event, listed both ways,
//! limited by validity, kept apart by relation, refused twice, and gone with either end.

use super::{event, pending_events, period, text, year};
use crate::conformance::tenant;
use gotemp_core::entities::*;
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::ports::Repositories;
use gotemp_core::values::EntityKey;

fn key(id: &str) -> EntityKey {
    EntityKey::parse("id", id).unwrap()
}

fn link(
    from: &str,
    to: &str,
    relation: Relation,
    kind: Option<&str>,
    years: (i32, i32),
) -> LinkDraft {
    LinkDraft {
        from: key(from),
        to: key(to),
        relation,
        kind: kind.map(text),
        validity: period(years.0, years.1),
    }
}

fn ids<T>(related: &[Related<T>], id: impl Fn(&T) -> &str) -> Vec<String> {
    related.iter().map(|r| id(&r.object).to_owned()).collect()
}

fn query(relation: Relation, direction: Direction, valid_on: Option<i32>) -> LinkQuery {
    LinkQuery {
        relation,
        direction,
        valid_on: valid_on.map(year),
    }
}

async fn customer(repos: &Repositories, id: &str) -> Customer {
    let draft = CustomerDraft {
        id: key(id),
        name: text(&format!("Customer {id}")),
        validity: period(2000, 2200),
        extra_fields: Default::default(),
        extras: (),
    };
    repos
        .customers
        .create(&tenant(), &draft, event::<Customer>(ActionType::Insert))
        .await
        .unwrap()
}

async fn product(repos: &Repositories, id: &str) -> Product {
    let draft = ProductDraft {
        id: key(id),
        name: text(&format!("Product {id}")),
        extras: ProductExtras {
            hierarchy_level: text("sku"),
        },
        validity: period(2000, 2200),
        extra_fields: Default::default(),
    };
    repos
        .products
        .create(&tenant(), &draft, event::<Product>(ActionType::Insert))
        .await
        .unwrap()
}

/// Customer links: both directions, validity, one event per change and none for a refused one,
/// duplicates refused, removal, and links gone with a deleted customer.
pub async fn customer_links(repos: &Repositories) {
    for id in ["ducksrus", "ducksrusd", "ducksrusb", "canard"] {
        customer(repos, id).await;
    }
    let r = &repos.customers;
    let before = pending_events(repos).await;
    let sold_to = link(
        "ducksrus",
        "ducksrusd",
        Relation::IsParentOf,
        Some("sold_to"),
        (2000, 2100),
    );
    let stored = r
        .link(
            &tenant(),
            &sold_to,
            event::<CustomerLink>(ActionType::Insert),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            stored.from.as_str(),
            stored.to.as_str(),
            stored.kind.as_deref()
        ),
        ("ducksrus", "ducksrusd", Some("sold_to"))
    );
    assert_eq!(
        (stored.valid_from, stored.valid_thru),
        (year(2000), year(2100))
    );
    assert_eq!(stored.modified_by, super::ACTOR);
    let pay_to = link(
        "ducksrus",
        "ducksrusb",
        Relation::IsParentOf,
        Some("pay_to"),
        (2000, 2010),
    );
    r.link(
        &tenant(),
        &pay_to,
        event::<CustomerLink>(ActionType::Insert),
    )
    .await
    .unwrap();
    assert_eq!(
        pending_events(repos).await,
        before + 2,
        "one event per link"
    );

    let events = repos.outbox.pending(100_000).await.unwrap();
    let last = &events.last().unwrap().event;
    assert_eq!(
        (
            last.object_name.as_str(),
            last.object_id.as_str(),
            last.service.as_str()
        ),
        (
            "customer_link",
            "ducksrus:is_parent_of:ducksrusb",
            "customer"
        )
    );

    match r
        .link(
            &tenant(),
            &sold_to,
            event::<CustomerLink>(ActionType::Insert),
        )
        .await
    {
        Err(Error::Conflict {
            kind: ConflictKind::Duplicate,
            ..
        }) => {}
        other => panic!("a second identical link must be a duplicate: {other:?}"),
    }
    assert_eq!(
        pending_events(repos).await,
        before + 2,
        "no event for a refused link"
    );

    let down = query(Relation::IsParentOf, Direction::Outgoing, None);
    let children = r.related(&tenant(), "ducksrus", &down).await.unwrap();
    assert_eq!(
        ids(&children, |c| &c.id),
        ["ducksrusb", "ducksrusd"],
        "ordered by id"
    );
    assert_eq!(
        children[1].object.name, "Customer ducksrusd",
        "the whole customer comes along"
    );
    assert_eq!(children[1].link, stored);
    let in_2050 = query(Relation::IsParentOf, Direction::Outgoing, Some(2050));
    assert_eq!(
        ids(
            &r.related(&tenant(), "ducksrus", &in_2050).await.unwrap(),
            |c| &c.id
        ),
        ["ducksrusd"]
    );
    let up = query(Relation::IsParentOf, Direction::Incoming, None);
    assert_eq!(
        ids(
            &r.related(&tenant(), "ducksrusd", &up).await.unwrap(),
            |c| &c.id
        ),
        ["ducksrus"]
    );
    assert!(
        r.related(&tenant(), "canard", &down)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        r.related(&tenant(), "nobody", &up)
            .await
            .unwrap()
            .is_empty()
    );

    let removed = r
        .unlink(
            &tenant(),
            "ducksrus",
            Relation::IsParentOf,
            "ducksrusb",
            event::<CustomerLink>(ActionType::Delete),
        )
        .await
        .unwrap();
    assert_eq!(removed.kind.as_deref(), Some("pay_to"));
    match r
        .unlink(
            &tenant(),
            "ducksrus",
            Relation::IsParentOf,
            "ducksrusb",
            event::<CustomerLink>(ActionType::Delete),
        )
        .await
    {
        Err(Error::NotFound { .. }) => {}
        other => panic!("removing a missing link is not found: {other:?}"),
    }
    assert_eq!(pending_events(repos).await, before + 3);

    let child = r.get(&tenant(), "ducksrusd").await.unwrap().unwrap();
    r.delete(
        &tenant(),
        "ducksrusd",
        child.version,
        event::<Customer>(ActionType::Delete),
    )
    .await
    .unwrap();
    assert!(
        r.related(&tenant(), "ducksrus", &down)
            .await
            .unwrap()
            .is_empty(),
        "a deleted customer's links go with it"
    );
}

/// Product links: categories and components are separate relations over the same products.
pub async fn product_links(repos: &Repositories) {
    for id in ["switch", "tele", "intamd", "elec"] {
        product(repos, id).await;
    }
    let r = &repos.products;
    let drafts = [
        link("elec", "tele", Relation::IsParentOf, None, (2000, 2200)),
        link("elec", "switch", Relation::IsParentOf, None, (2000, 2200)),
        link(
            "intamd",
            "switch",
            Relation::IsComponentOf,
            None,
            (2000, 2200),
        ),
        link(
            "intamd",
            "tele",
            Relation::IsComponentOf,
            Some("cpu"),
            (2000, 2200),
        ),
        // Same ends as a category link, another relation: a separate link.
        link(
            "elec",
            "intamd",
            Relation::IsComponentOf,
            None,
            (2000, 2200),
        ),
    ];
    for d in &drafts {
        r.link(&tenant(), d, event::<ProductLink>(ActionType::Insert))
            .await
            .unwrap();
    }
    let children = query(Relation::IsParentOf, Direction::Outgoing, None);
    assert_eq!(
        ids(
            &r.related(&tenant(), "elec", &children).await.unwrap(),
            |p| &p.id
        ),
        ["switch", "tele"]
    );
    let components = query(Relation::IsComponentOf, Direction::Incoming, None);
    assert_eq!(
        ids(
            &r.related(&tenant(), "switch", &components).await.unwrap(),
            |p| &p.id
        ),
        ["intamd"]
    );
    assert_eq!(
        ids(
            &r.related(&tenant(), "intamd", &components).await.unwrap(),
            |p| &p.id
        ),
        ["elec"]
    );
    let part_of = query(Relation::IsComponentOf, Direction::Outgoing, None);
    let used_in = r.related(&tenant(), "intamd", &part_of).await.unwrap();
    assert_eq!(ids(&used_in, |p| &p.id), ["switch", "tele"]);
    assert_eq!(used_in[1].link.kind.as_deref(), Some("cpu"));
    assert_eq!(used_in[1].object.hierarchy_level, "sku");
    let parents = query(Relation::IsParentOf, Direction::Incoming, None);
    assert_eq!(
        ids(
            &r.related(&tenant(), "tele", &parents).await.unwrap(),
            |p| &p.id
        ),
        ["elec"]
    );

    r.unlink(
        &tenant(),
        "elec",
        Relation::IsParentOf,
        "tele",
        event::<ProductLink>(ActionType::Delete),
    )
    .await
    .unwrap();
    assert_eq!(
        ids(
            &r.related(&tenant(), "elec", &children).await.unwrap(),
            |p| &p.id
        ),
        ["switch"]
    );
    let component = r.get(&tenant(), "intamd").await.unwrap().unwrap();
    r.delete(
        &tenant(),
        "intamd",
        component.version,
        event::<Product>(ActionType::Delete),
    )
    .await
    .unwrap();
    assert!(
        r.related(&tenant(), "switch", &components)
            .await
            .unwrap()
            .is_empty()
    );
}
