//! Tenants: the same keys live in two tenants, and a repository asked for one tenant answers
//! only with that tenant's data — another tenant's object is as absent as one that never
//! existed (not found, empty lists, never "stale" or "taken"), whatever the operation.

use super::{ACTOR, period, text, year};
use gotemp_core::actor::Actor;
use gotemp_core::entities::{
    AuditFilter, Customer, CustomerDraft, CustomerLink, Direction, LinkDraft, LinkQuery, Promotion,
    PromotionDraft, PromotionFilter, Relation, User, UserFilter,
};
use gotemp_core::error::Error;
use gotemp_core::event::{ActionType, AuditEvent, Auditable, PendingEvent};
use gotemp_core::page::PageSpec;
use gotemp_core::ports::{DeadLetter, DeadLetterSource, Repositories};
use gotemp_core::values::{EntityKey, TenantId, now};
use uuid::Uuid;

fn ducks() -> TenantId {
    TenantId::parse("tenant", "ducks").unwrap()
}

fn geese() -> TenantId {
    TenantId::parse("tenant", "geese").unwrap()
}

fn event_in<T: Auditable>(tenant: &TenantId, action: ActionType) -> PendingEvent {
    PendingEvent::new::<T>(action, &Actor::admin(tenant.clone(), ACTOR), now())
}

fn customer(id: &str, name: &str) -> CustomerDraft {
    CustomerDraft {
        id: EntityKey::parse("id", id).unwrap(),
        name: text(name),
        validity: period(2000, 2200),
        extra_fields: Default::default(),
        extras: (),
    }
}

fn is_not_found<T: std::fmt::Debug>(result: gotemp_core::Result<T>, what: &str) {
    assert!(
        matches!(result, Err(Error::NotFound { .. })),
        "{what}: another tenant's object must be not found, got {result:?}"
    );
}

/// Two tenants each keep a customer `ducksrus`: each reads, lists, changes, links and deletes
/// only its own; asked through the other tenant, an object is not found.
pub async fn master_data_stays_in_its_tenant(r: &Repositories) {
    let (a, b) = (ducks(), geese());
    let insert = |t: &TenantId| event_in::<Customer>(t, ActionType::Insert);
    let (ducks_co, geese_co) = (
        customer("ducksrus", "Ducks R Us"),
        customer("ducksrus", "Geese Inc"),
    );
    let mine = r.customers.create(&a, &ducks_co, insert(&a)).await.unwrap();
    let theirs = (r.customers.create(&b, &geese_co, insert(&b)).await)
        .expect("the same key in another tenant is free");
    r.customers
        .create(&a, &customer("child", "Child"), insert(&a))
        .await
        .unwrap();
    assert_eq!(
        r.customers.get(&a, "ducksrus").await.unwrap().unwrap().name,
        "Ducks R Us"
    );
    assert_eq!(
        r.customers.get(&b, "ducksrus").await.unwrap().unwrap().name,
        "Geese Inc"
    );
    assert_eq!(r.customers.get(&b, "child").await.unwrap(), None);
    let (everything, first) = (Default::default(), PageSpec::first(10));
    let listed = r.customers.list(&b, &everything, &first).await.unwrap();
    let listed: Vec<String> = listed.items.into_iter().map(|c| c.id).collect();
    assert_eq!(listed, ["ducksrus"], "geese list only their own");

    // A rename in one tenant leaves the other's object as it was.
    let renamed = customer("ducksrus", "Ducks Renamed");
    let update = event_in::<Customer>(&a, ActionType::Update);
    r.customers
        .update(&a, &renamed, &mine, update)
        .await
        .unwrap();
    assert_eq!(
        r.customers.get(&b, "ducksrus").await.unwrap().unwrap(),
        theirs
    );
    // Through the wrong tenant: not found, never stale.
    let update = event_in::<Customer>(&b, ActionType::Update);
    let child = r.customers.get(&a, "child").await.unwrap().unwrap();
    let changed = customer("child", "X");
    is_not_found(
        r.customers.update(&b, &changed, &child, update).await,
        "update",
    );
    let delete = event_in::<Customer>(&b, ActionType::Delete);
    is_not_found(r.customers.delete(&b, "child", 1, delete).await, "delete");

    // Links: between a tenant's own objects only, seen only by it.
    let link = LinkDraft {
        from: EntityKey::parse("id", "ducksrus").unwrap(),
        to: EntityKey::parse("id", "child").unwrap(),
        relation: Relation::IsParentOf,
        kind: Some(text("sold_to")),
        validity: period(2000, 2200),
    };
    let linked = r
        .customers
        .link(&a, &link, event_in::<CustomerLink>(&a, ActionType::Insert));
    linked.await.unwrap();
    let down = LinkQuery {
        relation: Relation::IsParentOf,
        direction: Direction::Outgoing,
        valid_on: None,
    };
    assert_eq!(
        r.customers
            .related(&a, "ducksrus", &down)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        r.customers
            .related(&b, "ducksrus", &down)
            .await
            .unwrap()
            .is_empty()
    );
    let unlink = event_in::<CustomerLink>(&b, ActionType::Delete);
    let wrong = r
        .customers
        .unlink(&b, "ducksrus", Relation::IsParentOf, "child", unlink);
    is_not_found(wrong.await, "unlink");
    let delete = event_in::<Customer>(&b, ActionType::Delete);
    r.customers
        .delete(&b, "ducksrus", theirs.version, delete)
        .await
        .unwrap();
    assert!(
        r.customers.get(&a, "ducksrus").await.unwrap().is_some(),
        "ducks keep theirs"
    );
    assert_eq!(
        r.customers
            .related(&a, "ducksrus", &down)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Users and promotions are numbered across the deployment, but read, changed and deleted only
/// in their tenant; login finds a user's tenant by its e-mail; each tenant keeps an
/// administrator of its own.
pub async fn users_and_promotions_stay_in_their_tenant(r: &Repositories) {
    let (a, b) = (ducks(), geese());
    let mut draft = super::users::draft("Ann", "Duck", "ann@ducks.example", None);
    draft.roles = gotemp_core::policy::Roles::of(&[gotemp_core::policy::Role::Admin]);
    let ann = r
        .users
        .create(&a, &draft, event_in::<User>(&a, ActionType::Insert));
    let ann = ann.await.unwrap();
    let (status, _) = (r.users.credentials(&draft.email).await.unwrap()).unwrap();
    assert_eq!(status.tenant, a, "login learns the user's tenant");
    assert_eq!(r.users.get(&b, ann.id).await.unwrap(), None);
    assert_eq!(r.users.auth_status(&b, ann.id).await.unwrap(), None);
    assert_eq!(
        r.users
            .auth_status(&a, ann.id)
            .await
            .unwrap()
            .unwrap()
            .tenant,
        a
    );
    let (everyone, first) = (UserFilter::default(), PageSpec::first(10));
    let none = r.users.list(&b, &everyone, &first).await.unwrap();
    assert!(none.items.iter().all(|u| u.id != ann.id));
    let update = event_in::<User>(&b, ActionType::Update);
    is_not_found(
        r.users
            .update(&b, ann.id, &draft, ann.version, update)
            .await,
        "user update",
    );
    let delete = event_in::<User>(&b, ActionType::Delete);
    is_not_found(
        r.users.delete(&b, ann.id, ann.version, delete).await,
        "user delete",
    );
    let hash = gotemp_core::values::PasswordHash::new("$argon2id$other");
    let stored = draft.password_hash.clone().unwrap();
    assert!(
        !r.users
            .set_password_hash(&b, ann.id, &hash, &stored)
            .await
            .unwrap()
    );

    // Geese have an administrator, but ducks' only one cannot be demoted for it.
    let mut gus = super::users::draft("Gus", "Goose", "gus@geese.example", None);
    gus.roles = draft.roles;
    let gus = r
        .users
        .create(&b, &gus, event_in::<User>(&b, ActionType::Insert));
    gus.await.unwrap();
    let mut demoted = draft.clone();
    demoted.roles = gotemp_core::policy::Roles::default_for_new_user();
    demoted.password_hash = None;
    let update = event_in::<User>(&a, ActionType::Update);
    let refused = r
        .users
        .update(&a, ann.id, &demoted, ann.version, update)
        .await;
    assert!(
        matches!(refused, Err(Error::Conflict { .. })),
        "a tenant keeps an administrator of its own: {refused:?}"
    );

    let promotion = PromotionDraft {
        name: text("Spring"),
        description: None,
        validity: period(2000, 2200),
        active: true,
        customer_id: EntityKey::parse("customer_id", "ducksrus").unwrap(),
        products: Vec::new(),
        approval_status: 0,
        prev_approval_status: 0,
    };
    let insert = event_in::<Promotion>(&a, ActionType::Insert);
    let spring = r.promotions.create(&a, &promotion, insert).await.unwrap();
    assert_eq!(r.promotions.get(&b, spring.id).await.unwrap(), None);
    let by_customer = PromotionFilter {
        customer_id: Some("ducksrus".into()),
        ..Default::default()
    };
    let first = PageSpec::first(10);
    let listed = r.promotions.list(&b, &by_customer, &first).await.unwrap();
    assert!(listed.items.is_empty());
    let update = event_in::<Promotion>(&b, ActionType::Update);
    let wrong = r
        .promotions
        .update(&b, spring.id, &promotion, spring.version, update);
    is_not_found(wrong.await, "promotion update");
    let delete = event_in::<Promotion>(&b, ActionType::Delete);
    let wrong = r.promotions.delete(&b, spring.id, spring.version, delete);
    is_not_found(wrong.await, "promotion delete");
    assert!(r.promotions.get(&a, spring.id).await.unwrap().is_some());
}

fn audit_event(tenant: &TenantId, id: &str) -> AuditEvent {
    let pending = event_in::<Customer>(tenant, ActionType::Insert);
    let stored = Customer {
        id: id.into(),
        name: format!("Customer {id}"),
        valid_from: year(2000),
        valid_thru: year(2200),
        extra_fields: Default::default(),
        created_at: year(2024),
        updated_at: year(2024),
        modified_by: ACTOR,
        version: 1,
    };
    let mut event = pending.complete(&stored).unwrap();
    event.occurred_at = year(2024);
    event
}

/// Each tenant reads, counts and replays only its own audit records and dead letters; the
/// operators' count spans every tenant.
pub async fn audit_trail_stays_in_its_tenant(r: &Repositories) {
    let (a, b) = (ducks(), geese());
    let events = [
        audit_event(&a, "c1"),
        audit_event(&a, "c2"),
        audit_event(&b, "c1"),
    ];
    assert_eq!(r.audit.record_batch(&events, now()).await.unwrap(), 3);
    let all = AuditFilter::default();
    let mine = r
        .audit
        .list(&a, &all, &PageSpec::first(10))
        .await
        .unwrap()
        .items;
    let theirs = r
        .audit
        .list(&b, &all, &PageSpec::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!((mine.len(), theirs.len()), (2, 1));
    assert_eq!(r.audit.get(&a, theirs[0].id).await.unwrap(), None);
    assert!(r.audit.get(&b, theirs[0].id).await.unwrap().is_some());
    let history = AuditFilter {
        object_id: Some("c1".into()),
        ..Default::default()
    };
    let found = r
        .audit
        .list(&b, &history, &PageSpec::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(found.len(), 1, "geese find only their own c1's history");
    let counted = r.audit.count_by_bucket(&a, &all, chrono::Duration::days(1));
    let counted: i64 = counted.await.unwrap().iter().map(|c| c.count).sum();
    assert_eq!(counted, 2);

    let letter = |tenant: &TenantId| DeadLetter {
        id: 0,
        tenant: tenant.clone(),
        event_id: Some(Uuid::now_v7()),
        subject: "gotemp.audit.customer.insert".into(),
        payload: "{}".into(),
        reason: "test".into(),
        attempts: 1,
        failed_at: now(),
        source: DeadLetterSource::Audit,
    };
    r.audit.park(&letter(&a)).await.unwrap();
    r.audit.park(&letter(&b)).await.unwrap();
    let geese_letters = r.audit.dead_letters(&b, 10).await.unwrap();
    assert_eq!(geese_letters.len(), 1);
    let theirs = geese_letters[0].id;
    assert_eq!(r.audit.dead_letter(&a, theirs).await.unwrap(), None);
    assert!(!r.audit.remove_dead_letter(&a, theirs).await.unwrap());
    assert_eq!(r.audit.dead_letter_count(Some(a.clone())).await.unwrap(), 1);
    assert_eq!(r.audit.dead_letter_count(None).await.unwrap(), 2);
}

/// A write whose event names another tenant than the one written to is refused, and nothing
/// of it is stored: a change and its audit record are always one tenant's.
pub async fn a_write_and_its_event_share_one_tenant(r: &Repositories) {
    let (a, b) = (ducks(), geese());
    let crossed = event_in::<Customer>(&b, ActionType::Insert);
    let refused = r
        .customers
        .create(&a, &customer("crossed", "X"), crossed)
        .await;
    assert!(matches!(refused, Err(Error::Internal(_))), "{refused:?}");
    assert_eq!(r.customers.get(&a, "crossed").await.unwrap(), None);
    assert_eq!(r.customers.get(&b, "crossed").await.unwrap(), None);
    let pending = r.outbox.pending(100).await.unwrap();
    assert!(pending.iter().all(|e| e.event.object_id != "crossed"));
}

/// What a database written before tenants holds after the migration, checked on the dumps in
/// gotemp-store's `tests/fixtures` (made with the demo data, a customer `mallard` and its link
/// under `ducksrus`): everything is the tenant `default`'s and reads as before — users log in
/// (their e-mail names the tenant), links hold, the audit trail and promotions are there — and
/// another tenant starts empty, free to use the same keys.
pub async fn a_database_from_before_tenants_is_the_default_tenant(r: &Repositories) {
    let home = TenantId::default_tenant();
    let (page, everything) = (PageSpec::first(100), AuditFilter::default());
    let mallard = r.customers.get(&home, "mallard").await.unwrap();
    assert_eq!(mallard.expect("mallard kept").name, "Mallard Group");
    let down = LinkQuery {
        relation: Relation::IsParentOf,
        direction: Direction::Outgoing,
        valid_on: None,
    };
    let children = r.customers.related(&home, "ducksrus", &down).await.unwrap();
    let children: Vec<&str> = children.iter().map(|c| c.object.id.as_str()).collect();
    assert!(children.contains(&"mallard"), "links kept: {children:?}");
    let products = r.products.list(&home, &Default::default(), &page).await;
    assert!(products.unwrap().items.len() >= 6);
    let admin = gotemp_core::values::Email::parse("email", "admin@gotemp.local").unwrap();
    let (status, _) = r
        .users
        .credentials(&admin)
        .await
        .unwrap()
        .expect("admin kept");
    assert_eq!(status.tenant, home);
    let again = r.users.auth_status(&home, status.user.id).await.unwrap();
    assert_eq!(
        again.expect("admin authenticates").user.email,
        "admin@gotemp.local"
    );
    let promotions = r.promotions.list(&home, &Default::default(), &page).await;
    assert_eq!(promotions.unwrap().items.len(), 3);
    let trail = r.audit.list(&home, &everything, &page).await.unwrap();
    assert!(trail.items.len() >= 30, "the audit trail is kept");
    super::audit_chain::chained_from_the_oldest_record(r, &home, 30).await;

    let ducks = ducks();
    assert_eq!(r.customers.get(&ducks, "mallard").await.unwrap(), None);
    let audit = r.audit.list(&ducks, &everything, &page).await.unwrap();
    assert!(audit.items.is_empty());
    let theirs = customer("mallard", "Their Mallard");
    let insert = event_in::<Customer>(&ducks, ActionType::Insert);
    r.customers.create(&ducks, &theirs, insert).await.unwrap();
    let ours = r.customers.get(&home, "mallard").await.unwrap().unwrap();
    assert_eq!(ours.name, "Mallard Group");
}
