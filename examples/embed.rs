//! gotemp as a crate inside your own application: no server, no network. Choose the backends, a
//! rule of your own for customers and a policy of your own in one builder, call the services
//! directly, and read the audit trail your calls produced.
//!
//! ```sh
//! cargo run --example embed
//! ```

use async_trait::async_trait;
use gotemp::domain::entities::{
    Customer, CustomerChanges, CustomerDraft, NewCustomer, NewPromotion, PromotionChanges,
};
use gotemp::domain::hooks::Hooks;
use gotemp::domain::page::PageRequest;
use gotemp::domain::policy::{Object, Policy, Request, Role, RolePolicy, Roles};
use gotemp::domain::{Actor, Error, FieldError, Result};
use gotemp::{Config, Gotemp, SecretString};
use std::collections::HashMap;
use std::sync::Arc;

/// The application's own policy: the built-in roles, plus "a user of a company deals only with
/// that company's customers and their promotions". Which company a customer belongs to is the
/// application's knowledge (here a table; in yours, your ERP). gotemp asks it about every object
/// a call touches: the new customer or promotion on a create, the stored one and the result on a
/// change (so nobody moves a promotion to another company's customer), both ends of a link, and
/// every item of a list or hierarchy (the others are left out, and a `get` of one answers "not
/// found", so nobody learns what another company has). Users without a company — the platform's
/// own staff — and administrators are decided by their roles alone.
struct CompanyScoped {
    company_of_customer: HashMap<&'static str, &'static str>,
}

impl CompanyScoped {
    fn owns(&self, company: &str, customer_id: &str) -> bool {
        self.company_of_customer.get(customer_id) == Some(&company)
    }
}

impl Policy for CompanyScoped {
    fn allows(&self, request: &Request<'_>) -> bool {
        if !RolePolicy.allows(request) {
            return false;
        }
        let actor = request.actor;
        let Some(company) = actor.company.as_deref() else {
            return true;
        };
        if actor.roles.contains(Role::Admin) {
            return true;
        }
        match request.object {
            Some(Object::Customer(customer)) => self.owns(company, &customer.id),
            Some(Object::Promotion(promotion)) => self.owns(company, &promotion.customer_id),
            _ => true,
        }
    }
}

/// A promotion for `customer` this spring.
fn spring(customer: &str) -> NewPromotion {
    NewPromotion {
        name: format!("Spring {customer}"),
        customer_id: customer.into(),
        valid_from: Some(chrono::Utc::now()),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(90)),
        ..Default::default()
    }
}

/// The application's own rule: every customer it creates must carry the id it has in the
/// company's ERP, so the two systems can be reconciled.
struct RequireErpId;

#[async_trait]
impl Hooks<Customer, CustomerDraft> for RequireErpId {
    async fn before_create(&self, _actor: &Actor, draft: &CustomerDraft) -> Result<()> {
        match draft.extra_fields.get("erp_id") {
            Some(serde_json::Value::String(id)) if !id.is_empty() => Ok(()),
            _ => Err(Error::invalid(FieldError::new(
                "extra_fields.erp_id",
                "required",
                "extra_fields.erp_id is required: every customer needs its ERP id",
            ))),
        }
    }

    async fn after_create(&self, actor: &Actor, created: &Customer) {
        println!(
            "  (hook) user {} created customer {}",
            actor.user_id, created.id
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // 1. Backends: a SQLite file in a scratch directory, in-process events and cache. Swap the
    //    URLs for `postgres://…`, `redis://…` (features `postgres`, `redis`) and nothing else
    //    changes.
    let dir = std::env::temp_dir().join(format!("gotemp-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut config = Config::embedded(SecretString::from(
        "the embedding application's own secret, 32+ bytes",
    ));
    config.storage.url = format!("sqlite://{}/app.db", dir.display()).into();
    // 2. The custom rule runs after the built-in ones, before anything is stored, on every
    //    path that writes a customer: direct calls as below, and the HTTP and gRPC services
    //    when this `app` is served.
    //    The policy decides every call the same way, whichever path it came through.
    let policy = CompanyScoped {
        company_of_customer: HashMap::from([("mallard", "Mallard Group"), ("teal", "Teal Inc")]),
    };
    let app = Gotemp::builder()
        .config(&config)
        .hook::<Customer>(Arc::new(RequireErpId))
        .policy(Arc::new(policy))
        .build()
        .await?;
    let audit = app.start_audit_pipeline();

    // 3. Call the services directly. An `Actor` says who acts, with their roles and company; in
    //    your application it is the user your own authentication resolved
    //    (`app.users().authenticate(token)` for gotemp tokens).
    let clerk = Actor::new(42, Roles::of(&[Role::Editor])).in_company(Some("Mallard Group"));
    let boss = Actor::admin(1);
    let refused = app
        .customers()
        .create(
            &clerk,
            NewCustomer {
                id: Some("mallard".into()),
                name: "Mallard Mart".into(),
                ..Default::default()
            },
        )
        .await;
    match refused {
        Err(Error::Validation(fields)) => println!("refused: {}", fields[0].message),
        other => anyhow::bail!("the hook should have refused: {other:?}"),
    }

    let mut erp = serde_json::Map::new();
    erp.insert("erp_id".into(), "C-1001".into());
    let customer = app
        .customers()
        .create(
            &clerk,
            NewCustomer {
                id: Some("mallard".into()),
                name: "Mallard Mart".into(),
                extra_fields: Some(erp),
                ..Default::default()
            },
        )
        .await?;
    println!("created {} \"{}\"", customer.id, customer.name);
    let renamed = app
        .customers()
        .update(
            &clerk,
            &customer.id,
            CustomerChanges {
                name: Some("Mallard Mart & Sons".into()),
                ..Default::default()
            },
            Some(customer.version), // fails with a conflict if someone changed it meanwhile
        )
        .await?;
    println!(
        "renamed to \"{}\" (version {})",
        renamed.name, renamed.version
    );

    // 4. The policy at work: the clerk changes the promotion of their own company's customer,
    //    cannot move it to another company's customer, and does not even see that company's
    //    promotion, which only the administrator may read and change.
    let mut erp = serde_json::Map::new();
    erp.insert("erp_id".into(), "C-2002".into());
    let teal = NewCustomer {
        id: Some("teal".into()),
        name: "Teal Inc".into(),
        extra_fields: Some(erp),
        ..Default::default()
    };
    app.customers().create(&boss, teal).await?;
    let ours = app.promotions().create(&clerk, spring("mallard")).await?;
    let theirs = app.promotions().create(&boss, spring("teal")).await?;
    let activate = PromotionChanges {
        active: Some(true),
        ..Default::default()
    };
    app.promotions()
        .update(&clerk, ours.id, activate, None)
        .await?;
    println!("the clerk activated promotion {} of mallard", ours.id);
    let to_teal = PromotionChanges {
        customer_id: Some("teal".into()),
        ..Default::default()
    };
    match app
        .promotions()
        .update(&clerk, ours.id, to_teal, None)
        .await
    {
        Err(Error::Validation(fields)) => println!("refused moving it: {}", fields[0].message),
        other => anyhow::bail!("the policy should have refused: {other:?}"),
    }
    match app.promotions().get(&clerk, theirs.id).await {
        Err(Error::NotFound { .. }) => println!("teal's promotion: not found for the clerk"),
        other => anyhow::bail!("the policy should have hidden it: {other:?}"),
    }

    // 5. Every change above is in the audit trail, written in the same transaction; reading it
    //    needs `audit:read` (admin, auditor).
    app.wait_for_audit(std::time::Duration::from_secs(5))
        .await?;
    let history = app
        .audit()
        .history(&boss, "customer", &customer.id, &PageRequest::first(10))
        .await?;
    for record in &history.items {
        println!(
            "audit: {} {} by user {} at {}",
            record.action_func, record.object_id, record.performed_by, record.action_time
        );
    }

    audit.shutdown().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The policy above on every path a call can take, against the embedded store: what a clerk of
/// one company can create, change, link, list, get and see named, and what stays hidden.
#[cfg(test)]
mod tests {
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
        config.storage.url = format!("sqlite://{}/app.db", dir.display()).into();
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
        let clerk = Actor::new(42, Roles::of(&[Role::Editor])).in_company(Some("Mallard Group"));
        let boss = Actor::admin(1);
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
}
