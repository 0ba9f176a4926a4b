//! The original template's client flows, replayed over gRPC against a running server: what its
//! user, customer, product, promotion and audit clients did, step by step. The `*_client` and
//! `demo` examples print these steps; the end-to-end test of the server runs them too.
//!
//! Each flow reports every step to a [`Log`] and returns the objects it touched, so the audit
//! flow can show the history those calls produced.

use crate::client::GotempClient;
use crate::pb::{audit, promotion, user};
use gotemp_core::tr;
use prost_types::{Struct, Timestamp, Value, value::Kind};
use tonic::Status;

mod env;
mod master_data;
pub use env::login_from_env;
pub use master_data::{customer_flow, product_flow};

/// Where a flow reports its steps (the examples print them; tests collect them).
pub trait Log: Send {
    /// One step and its result, already in words.
    fn step(&mut self, client: &str, step: &str, result: &str);
}

/// Prints each step as `[client] step: result`.
pub struct Print;

impl Log for Print {
    fn step(&mut self, client: &str, step: &str, result: &str) {
        println!("[{client}] {step}: {result}");
    }
}

/// Keeps the steps, for tests.
#[derive(Default)]
pub struct Collect(pub Vec<String>);

impl Log for Collect {
    fn step(&mut self, client: &str, step: &str, result: &str) {
        self.0.push(format!("[{client}] {step}: {result}"));
    }
}

/// An object a flow changed: (object name, id), as the audit trail names it.
pub type Touched = (String, String);

fn at(days_from_now: i64) -> Option<Timestamp> {
    let t = chrono::Utc::now() + chrono::Duration::days(days_from_now);
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

fn text_struct(pairs: &[(&str, &str)]) -> Option<Struct> {
    Some(Struct {
        fields: pairs
            .iter()
            .map(|(k, v)| {
                let value = Value {
                    kind: Some(Kind::StringValue((*v).to_owned())),
                };
                ((*k).to_owned(), value)
            })
            .collect(),
    })
}

/// A suffix that keeps a run's objects apart from the previous run's.
fn run_tag() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// Creates a user, updates its last name and company, gets it, lists users, deletes it.
pub async fn user_flow(c: &GotempClient, log: &mut dyn Log) -> Result<Vec<Touched>, Status> {
    let tag = run_tag();
    let created = c
        .users()
        .create_user(user::CreateUserRequest {
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            email: format!("grace.{tag}@demo.gotemp"),
            company: Some("Navy".into()),
            valid_from: at(-1),
            valid_thru: at(365),
            // Inactive: only an inactive user can be deleted at the end of the flow.
            active: false,
            password: format!("demo-password-{tag}"),
            roles: Some(user::Roles {
                roles: vec!["viewer".into()],
            }),
        })
        .await?
        .into_inner();
    log.step(
        "user",
        &tr!("demo.step.create"),
        &tr!(
            "demo.user_created",
            id = created.id,
            name = created.name,
            email = created.email
        ),
    );
    let updated = c
        .users()
        .update_user(user::UpdateUserRequest {
            id: created.id,
            version: Some(created.version),
            last_name: Some("Hopper-Murray".into()),
            company: Some("Harvard".into()),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "user",
        &tr!("demo.step.update"),
        &tr!(
            "demo.user_updated",
            name = updated.name,
            company = updated.company.as_deref().unwrap_or("-"),
            version = updated.version
        ),
    );
    let got = c
        .users()
        .get_user(user::GetUserRequest { id: created.id })
        .await?
        .into_inner();
    let shown = format!("{} <{}>", got.name, got.email);
    log.step("user", &tr!("demo.step.get"), &shown);
    let listed = c
        .users()
        .list_users(user::ListUsersRequest {
            page_size: 10,
            ..Default::default()
        })
        .await?
        .into_inner();
    let names: Vec<&str> = listed.users.iter().map(|u| u.name.as_str()).collect();
    log.step("user", &tr!("demo.step.list"), &names.join(", "));
    c.users()
        .delete_user(user::DeleteUserRequest {
            id: created.id,
            version: Some(got.version),
        })
        .await?;
    let deleted = tr!("demo.deleted", what = tr!("demo.user", id = created.id));
    log.step("user", &tr!("demo.step.delete"), &deleted);
    Ok(vec![("user".into(), created.id.to_string())])
}

/// Creates a promotion for the seeded customer `ducksrus` with products and discounts, updates
/// it, gets it (with the customer's name), lists the customer's promotions, deletes it.
pub async fn promotion_flow(c: &GotempClient, log: &mut dyn Log) -> Result<Vec<Touched>, Status> {
    let discount = |value: f64, description: &str| promotion::Discount {
        id: 0,
        value,
        r#type: 1,
        description: Some(description.into()),
    };
    let created = c
        .promotions()
        .create_promotion(promotion::CreatePromotionRequest {
            name: format!("Demo {}", run_tag()),
            description: Some("Spring ducks".into()),
            valid_from: at(1),
            valid_thru: at(90),
            active: true,
            customer_id: "ducksrus".into(),
            products: vec![
                promotion::PromotionProduct {
                    product_id: "switch".into(),
                    upc_code: Some("0045496452315".into()),
                    discounts: vec![discount(10.0, "10 % off"), discount(5.0, "loyalty")],
                },
                promotion::PromotionProduct {
                    product_id: "tele".into(),
                    upc_code: None,
                    discounts: vec![discount(15.0, "launch")],
                },
            ],
            approval_status: 0,
        })
        .await?
        .into_inner();
    let discounts: usize = created.products.iter().map(|p| p.discounts.len()).sum();
    log.step(
        "promotion",
        &tr!("demo.step.create"),
        &tr!(
            "demo.promotion_created",
            id = created.id,
            name = created.name,
            customer = created.customer_id,
            products = created.products.len(),
            discounts = discounts
        ),
    );
    let updated = c
        .promotions()
        .update_promotion(promotion::UpdatePromotionRequest {
            id: created.id,
            version: Some(created.version),
            description: Some("Spring ducks, extended".into()),
            valid_thru: at(120),
            ..Default::default()
        })
        .await?
        .into_inner();
    log.step(
        "promotion",
        &tr!("demo.step.update"),
        &tr!(
            "demo.promotion_updated",
            description = updated.description.as_deref().unwrap_or("-"),
            version = updated.version
        ),
    );
    let got = c
        .promotions()
        .get_promotion(promotion::GetPromotionRequest { id: created.id })
        .await?
        .into_inner();
    log.step(
        "promotion",
        &tr!("demo.step.get"),
        &tr!(
            "demo.promotion_got",
            name = got.name,
            customer = got.customer_id,
            customer_name = (got.customer_name.clone()).unwrap_or_else(|| tr!("demo.no_name"))
        ),
    );
    let listed = c
        .promotions()
        .list_promotions(promotion::ListPromotionsRequest {
            customer_id: Some("ducksrus".into()),
            page_size: 20,
            ..Default::default()
        })
        .await?
        .into_inner();
    let names: Vec<&str> = listed.promotions.iter().map(|p| p.name.as_str()).collect();
    let step = tr!("demo.step.list_for", customer = "ducksrus");
    log.step("promotion", &step, &names.join(", "));
    c.promotions()
        .delete_promotion(promotion::DeletePromotionRequest {
            id: created.id,
            version: Some(got.version),
        })
        .await?;
    log.step(
        "promotion",
        &tr!("demo.step.delete"),
        &tr!(
            "demo.deleted",
            what = tr!("demo.promotion", id = created.id)
        ),
    );
    Ok(vec![("promotion".into(), created.id.to_string())])
}

/// Lists the audit history of each touched object (oldest first), or the latest changes when
/// none is given; returns how many records it showed.
pub async fn audit_flow(
    c: &GotempClient,
    touched: &[Touched],
    log: &mut dyn Log,
) -> Result<usize, Status> {
    let mut shown = 0;
    let filters: Vec<audit::AuditFilter> = if touched.is_empty() {
        vec![audit::AuditFilter::default()]
    } else {
        touched
            .iter()
            .map(|(name, id)| audit::AuditFilter {
                object_name: Some(name.clone()),
                object_id: Some(id.clone()),
                ..Default::default()
            })
            .collect()
    };
    for filter in filters {
        let what = match (&filter.object_name, &filter.object_id) {
            (Some(n), Some(i)) => tr!("demo.history_of", object = n, id = i),
            _ => tr!("demo.latest"),
        };
        let page = c
            .audit()
            .list_audit_records(audit::ListAuditRecordsRequest {
                filter: Some(filter),
                page_size: 20,
                page_token: String::new(),
            })
            .await?
            .into_inner();
        let lines: Vec<String> = page
            .records
            .iter()
            .rev()
            .map(|r| {
                tr!(
                    "demo.audit_line",
                    func = r.action_func,
                    object = r.object_name,
                    id = r.object_id,
                    user = r.performed_by
                )
            })
            .collect();
        shown += lines.len();
        log.step("audit", &what, &lines.join("; "));
    }
    Ok(shown)
}

/// Every flow in turn, then the audit history they produced. The audit trail is filled
/// asynchronously (outbox → broker → audit service): the history is read again until each
/// touched object shows all of its changes, for at most `audit_wait`.
pub async fn run_all(
    c: &GotempClient,
    log: &mut dyn Log,
    audit_wait: std::time::Duration,
) -> Result<usize, Status> {
    let mut touched = Vec::new();
    touched.extend(user_flow(c, log).await?);
    touched.extend(customer_flow(c, log).await?);
    touched.extend(product_flow(c, log).await?);
    touched.extend(promotion_flow(c, log).await?);
    // Each flow made three changes to its object: create, update, delete.
    let expected = touched.len() * 3;
    let started = std::time::Instant::now();
    loop {
        let mut quiet = Collect::default();
        let shown = audit_flow(c, &touched, &mut quiet).await?;
        if shown >= expected || started.elapsed() >= audit_wait {
            return audit_flow(c, &touched, log).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
