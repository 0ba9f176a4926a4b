//! gotemp as a crate inside your own application: no server, no network. Choose the backends and
//! a rule of your own for customers in one builder, call the services directly, and read the
//! audit trail your calls produced.
//!
//! ```sh
//! cargo run --example embed
//! ```

use async_trait::async_trait;
use gotemp::domain::entities::{Customer, CustomerChanges, CustomerDraft, NewCustomer};
use gotemp::domain::hooks::Hooks;
use gotemp::domain::page::PageRequest;
use gotemp::domain::{Actor, Error, FieldError, Result};
use gotemp::{Config, Gotemp, SecretString};
use std::sync::Arc;

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
    let app = Gotemp::builder()
        .config(&config)
        .hook::<Customer>(Arc::new(RequireErpId))
        .build()
        .await?;
    let audit = app.start_audit_pipeline();

    // 3. Call the services directly. An `Actor` says who acts; in your application it is the
    //    user your own authentication resolved (`app.users().validate_token` for gotemp tokens).
    let clerk = Actor::new(42);
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

    // 4. Every change above is in the audit trail, written in the same transaction.
    app.wait_for_audit(std::time::Duration::from_secs(5))
        .await?;
    let history = app
        .audit()
        .history("customer", &customer.id, &PageRequest::first(10))
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
