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
use gotemp::domain::policy::{Action, Object, Policy, Request, Role, RolePolicy, Roles};
use gotemp::domain::{Actor, Error, FieldError, Result};
use gotemp::{Config, Gotemp, SecretString};
use std::collections::HashMap;
use std::sync::Arc;

/// The application's own policy: the built-in roles, plus "editors may only change promotions
/// of customers in their own company". Which company a customer belongs to is the
/// application's knowledge (here a table; in yours, your ERP).
struct OwnCompanyPromotions {
    company_of_customer: HashMap<&'static str, &'static str>,
}

impl Policy for OwnCompanyPromotions {
    fn allows(&self, request: &Request<'_>) -> bool {
        if !RolePolicy.allows(request) {
            return false;
        }
        let actor = request.actor;
        match (request.action, request.object) {
            (Action::Update | Action::Delete, Some(Object::Promotion(promotion)))
                if !actor.roles.contains(Role::Admin) =>
            {
                let customer = self.company_of_customer.get(promotion.customer_id.as_str());
                customer.copied() == actor.company.as_deref()
            }
            _ => true,
        }
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
    let policy = OwnCompanyPromotions {
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
    //    not the one of another company's, which only the administrator may change.
    let mut erp = serde_json::Map::new();
    erp.insert("erp_id".into(), "C-2002".into());
    let teal = NewCustomer {
        id: Some("teal".into()),
        name: "Teal Inc".into(),
        extra_fields: Some(erp),
        ..Default::default()
    };
    app.customers().create(&boss, teal).await?;
    let promotion = |customer: &str| NewPromotion {
        name: format!("Spring {customer}"),
        customer_id: customer.into(),
        valid_from: Some(chrono::Utc::now()),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(90)),
        ..Default::default()
    };
    let ours = app
        .promotions()
        .create(&clerk, promotion("mallard"))
        .await?;
    let theirs = app.promotions().create(&boss, promotion("teal")).await?;
    let activate = || PromotionChanges {
        active: Some(true),
        ..Default::default()
    };
    app.promotions()
        .update(&clerk, ours.id, activate(), None)
        .await?;
    println!("the clerk activated promotion {} of mallard", ours.id);
    match app
        .promotions()
        .update(&clerk, theirs.id, activate(), None)
        .await
    {
        Err(Error::PermissionDenied(why)) => println!("refused for teal's promotion: {why}"),
        other => anyhow::bail!("the policy should have refused: {other:?}"),
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
