//! The example's policy on every path a call can take, against the embedded store: what a clerk of
//! one company can create, change, link, list, get and see named, and what stays hidden.

use super::*;
use gotemp::domain::entities::{CustomerFilter, NewLink, PromotionFilter};

struct World {
    app: Gotemp,
    clerk: Actor,
    boss: Actor,
    dir: std::path::PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn erp(id: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut fields = serde_json::Map::new();
    fields.insert("erp_id".into(), id.into());
    Some(fields)
}

fn customer(id: &str) -> NewCustomer {
    NewCustomer {
        id: Some(id.into()),
        name: format!("Customer {id}"),
        extra_fields: erp(id),
        ..Default::default()
    }
}

/// Mallard's customer `mallard`, and three of Teal's whose keys sort before it (so a page of
/// one must read past them to find Mallard's).
async fn world(name: &str) -> World {
    let dir = std::env::temp_dir().join(format!("gotemp-embed-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config::embedded(SecretString::from(
        "the embedding application's own secret, 32+ bytes",
    ));
    config.storage.url = gotemp::Store::sqlite_file(dir.join("app.db"));
    let company_of_customer = HashMap::from([
        ("mallard", "Mallard Group"),
        ("a-teal-1", "Teal Inc"),
        ("a-teal-2", "Teal Inc"),
        ("a-teal-3", "Teal Inc"),
    ]);
    let app = Gotemp::builder()
        .config(&config)
        .hook::<Customer>(Arc::new(RequireErpId))
        .policy(Arc::new(CompanyScoped {
            company_of_customer,
        }))
        .build()
        .await
        .unwrap();
    let clerk = Actor::new(
        gotemp::domain::values::TenantId::default_tenant(),
        42,
        Roles::of(&[Role::Editor]),
    )
    .in_company(Some("Mallard Group"));
    let boss = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    for id in ["a-teal-1", "a-teal-2", "a-teal-3", "mallard"] {
        app.customers().create(&boss, customer(id)).await.unwrap();
    }
    World {
        app,
        clerk,
        boss,
        dir,
    }
}

fn denied<T: std::fmt::Debug>(answer: Result<T>) {
    assert!(
        matches!(answer, Err(Error::PermissionDenied(_))),
        "{answer:?}"
    );
}

fn hidden<T: std::fmt::Debug>(answer: Result<T>) {
    assert!(matches!(answer, Err(Error::NotFound { .. })), "{answer:?}");
}

#[tokio::test]
async fn creates_only_what_the_company_owns() {
    let w = world("create").await;
    let (customers, promotions) = (w.app.customers(), w.app.promotions());
    // Not in the ERP's table for Mallard: not the clerk's to create.
    denied(customers.create(&w.clerk, customer("b-teal-4")).await);
    assert!(
        customers
            .create(&w.clerk, customer("mallard"))
            .await
            .is_err()
    );
    // A promotion for another company's customer: that customer does not exist for them.
    let refused = promotions.create(&w.clerk, spring("a-teal-1")).await;
    assert!(matches!(&refused, Err(Error::Validation(f)) if f[0].field == "customer_id"));
    let ours = promotions
        .create(&w.clerk, spring("mallard"))
        .await
        .unwrap();
    assert_eq!(ours.customer_name.as_deref(), Some("Customer mallard"));
}

#[tokio::test]
async fn a_change_cannot_reach_or_move_into_another_company() {
    let w = world("update").await;
    let promotions = w.app.promotions();
    let ours = promotions
        .create(&w.clerk, spring("mallard"))
        .await
        .unwrap();
    let theirs = promotions
        .create(&w.boss, spring("a-teal-1"))
        .await
        .unwrap();
    let to_teal = PromotionChanges {
        customer_id: Some("a-teal-2".into()),
        ..Default::default()
    };
    let moved = promotions.update(&w.clerk, ours.id, to_teal, None).await;
    assert!(matches!(&moved, Err(Error::Validation(f)) if f[0].field == "customer_id"));
    let stored = promotions.get(&w.boss, ours.id).await.unwrap();
    assert_eq!(
        (stored.customer_id.as_str(), stored.version),
        ("mallard", 1)
    );
    let rename = || PromotionChanges {
        name: Some("Autumn".into()),
        ..Default::default()
    };
    hidden(promotions.update(&w.clerk, theirs.id, rename(), None).await);
    hidden(promotions.delete(&w.clerk, theirs.id, None).await);
    let renamed = CustomerChanges {
        name: Some("Teal Two".into()),
        ..Default::default()
    };
    hidden(
        w.app
            .customers()
            .update(&w.clerk, "a-teal-1", renamed, None)
            .await,
    );
    hidden(w.app.customers().delete(&w.clerk, "a-teal-1", None).await);
    assert_eq!(promotions.get(&w.boss, theirs.id).await.unwrap().version, 1);
}

#[tokio::test]
async fn links_need_both_ends_and_hierarchies_show_only_the_company() {
    let w = world("links").await;
    let customers = w.app.customers();
    let link = |id: &str| NewLink {
        id: id.into(),
        kind: Some("sold_to".into()),
        ..Default::default()
    };
    // The other end is another company's: as unknown to the clerk as a missing one.
    let refused = customers
        .add_child(&w.clerk, "mallard", link("a-teal-1"))
        .await;
    assert!(matches!(&refused, Err(Error::Validation(f)) if f[0].field == "id"));
    hidden(
        customers
            .add_child(&w.clerk, "a-teal-1", link("mallard"))
            .await,
    );
    // The administrator links across companies; the clerk sees only its own end.
    customers
        .add_child(&w.boss, "mallard", link("a-teal-1"))
        .await
        .unwrap();
    assert!(
        customers
            .children(&w.clerk, "mallard", None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        customers
            .children(&w.boss, "mallard", None)
            .await
            .unwrap()
            .len(),
        1
    );
    hidden(customers.parents(&w.clerk, "a-teal-1", None).await);
    hidden(
        customers
            .remove_child(&w.clerk, "mallard", "a-teal-1")
            .await,
    );
    customers
        .remove_child(&w.boss, "mallard", "a-teal-1")
        .await
        .unwrap();
}

#[tokio::test]
async fn lists_and_gets_show_only_the_company_and_pages_fill_up() {
    let w = world("lists").await;
    let (customers, promotions) = (w.app.customers(), w.app.promotions());
    let filter = CustomerFilter::default();
    // A page of one reads past Teal's three customers to Mallard's, and ends there.
    let page = customers
        .list(&w.clerk, &filter, &PageRequest::first(1))
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!((ids, page.next_cursor), (vec!["mallard"], None));
    let all = customers
        .list(&w.boss, &filter, &PageRequest::first(500))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 4);
    hidden(customers.get(&w.clerk, "a-teal-1").await);
    hidden(customers.get(&w.clerk, "no-such-customer").await);
    assert_eq!(
        customers.get(&w.clerk, "mallard").await.unwrap().id,
        "mallard"
    );

    let ours = promotions
        .create(&w.clerk, spring("mallard"))
        .await
        .unwrap();
    let theirs = promotions
        .create(&w.boss, spring("a-teal-3"))
        .await
        .unwrap();
    let listed = promotions
        .list(
            &w.clerk,
            &PromotionFilter::default(),
            &PageRequest::first(50),
        )
        .await
        .unwrap();
    let seen: Vec<_> = listed
        .items
        .iter()
        .map(|p| (p.id, p.customer_name.clone()))
        .collect();
    assert_eq!(seen, vec![(ours.id, Some("Customer mallard".to_owned()))]);
    hidden(promotions.get(&w.clerk, theirs.id).await);
    let named = promotions.get(&w.boss, theirs.id).await.unwrap();
    assert_eq!(named.customer_name.as_deref(), Some("Customer a-teal-3"));
}
