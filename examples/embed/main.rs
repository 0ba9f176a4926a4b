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
    config.storage.url = gotemp::Store::sqlite_file(dir.join("app.db"));
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
    let clerk = Actor::new(
        gotemp::domain::values::TenantId::default_tenant(),
        42,
        Roles::of(&[Role::Editor]),
    )
    .in_company(Some("Mallard Group"));
    let boss = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
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

#[cfg(test)]
mod tests;
