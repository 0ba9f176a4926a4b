//! Demo data equivalent to the original's init scripts, applied on request (never implicitly),
//! through the services so that seeds obey the same rules and leave the same audit trail as any
//! other change. Applying it twice changes nothing: whatever already exists is left alone.

use crate::actor::Actor;
use crate::entities::*;
use crate::error::{ConflictKind, Error, Result};
use crate::page::PageRequest;
use crate::policy::{Role, Roles};
use crate::services::{CustomerService, ProductService, PromotionService, UserService};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::json;

/// What seeding needs from configuration.
#[derive(Clone)]
pub struct SeedSettings {
    /// The administrator's e-mail.
    pub admin_email: String,
    /// The administrator's password.
    pub admin_password: SecretString,
    /// Password of the demo users; `None` gives them random ones (they exist but cannot log in).
    pub demo_password: Option<SecretString>,
}

/// How many objects seeding created (objects that existed already are not counted).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Users created.
    pub users: usize,
    /// Customers created.
    pub customers: usize,
    /// Products created.
    pub products: usize,
    /// Promotions created.
    pub promotions: usize,
    /// Hierarchy links created (customer sold-to/pay-to, product categories and components).
    pub links: usize,
}

/// The services seeding writes through.
pub struct SeedTargets<'a> {
    /// Users.
    pub users: &'a UserService,
    /// Customers.
    pub customers: &'a CustomerService,
    /// Products.
    pub products: &'a ProductService,
    /// Promotions.
    pub promotions: &'a PromotionService,
}

/// One seeded user.
struct DemoUser<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    company: &'a str,
    role: Role,
    active: bool,
    /// Valid 1990–1999 only: exists, cannot log in.
    until_1999: bool,
}

impl<'a> DemoUser<'a> {
    fn new(first: &'a str, last: &'a str, email: &'a str, company: &'a str, role: Role) -> Self {
        Self {
            first_name: first,
            last_name: last,
            email,
            company,
            role,
            active: true,
            until_1999: false,
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Applies the demo data.
pub async fn apply(t: &SeedTargets<'_>, settings: &SeedSettings) -> Result<SeedReport> {
    let actor = Actor::system();
    let mut report = SeedReport::default();
    let demo_password = settings
        .demo_password
        .clone()
        .unwrap_or_else(|| SecretString::from(uuid::Uuid::new_v4().to_string()));
    // Every role can be tried: the administrator is `admin`; Ann `editor`, Bob `viewer` and
    // Erin `auditor` can log in; Carla (inactive) and Dan (validity ended in 1999) cannot.
    let users = [
        DemoUser::new(
            "Admin",
            "User",
            &settings.admin_email,
            "gotemp",
            Role::Admin,
        ),
        DemoUser::new(
            "Ann",
            "Smith",
            "ann.smith@ducksrus.example",
            "Ducks R Us",
            Role::Editor,
        ),
        DemoUser::new(
            "Bob",
            "Jones",
            "bob.jones@patoloco.example",
            "Pato Loco Inc",
            Role::Viewer,
        ),
        DemoUser::new(
            "Erin",
            "Audit",
            "erin.audit@gotemp.example",
            "gotemp",
            Role::Auditor,
        ),
        DemoUser {
            active: false,
            ..DemoUser::new(
                "Carla",
                "Diaz",
                "carla.diaz@canard.example",
                "Canard Oui Oui",
                Role::Viewer,
            )
        },
        DemoUser {
            until_1999: true,
            ..DemoUser::new(
                "Dan",
                "Old",
                "dan.old@ducksrus.example",
                "Ducks R Us",
                Role::Editor,
            )
        },
    ];
    for (n, user) in users.into_iter().enumerate() {
        let password = if n == 0 {
            &settings.admin_password
        } else {
            &demo_password
        };
        let existing = t
            .users
            .by_email(&actor, user.email, &PageRequest::first(1))
            .await?;
        if let Some(stored) = existing.items.first() {
            // A database from before roles existed: its administrator becomes `admin` again.
            if n == 0 && !stored.roles.contains(Role::Admin) {
                let changes = UserChanges {
                    roles: Some(Roles::of(&[Role::Admin])),
                    ..Default::default()
                };
                t.users.update(&actor, stored.id, changes, None).await?;
            }
            continue;
        }
        let (from, thru) = if user.until_1999 {
            (ymd(1990, 1, 1), ymd(1999, 12, 31))
        } else {
            (ymd(2000, 1, 1), ymd(2200, 1, 1))
        };
        let input = NewUser {
            first_name: user.first_name.into(),
            last_name: user.last_name.into(),
            email: user.email.into(),
            company: Some(user.company.into()),
            valid_from: Some(from),
            valid_thru: Some(thru),
            active: user.active,
            roles: Some(Roles::of(&[user.role])),
            password: password.clone(),
        };
        report.users += created(t.users.create(&actor, input).await)?;
    }

    for (id, name) in [
        ("ducksrus", "Ducks R Us"),
        ("ducksrusd", "Ducks R Us Dock"),
        ("ducksrusb", "Ducks R Us Bill"),
        ("patoloco", "Pato Loco Inc"),
        ("canard", "Canard Oui Oui"),
    ] {
        if exists(t.customers.get(&actor, id).await)? {
            continue;
        }
        let input = NewCustomer {
            id: Some(id.into()),
            name: name.into(),
            valid_from: Some(ymd(2000, 1, 1)),
            valid_thru: Some(ymd(2200, 1, 1)),
            extra_fields: json!({"external_id": format!("ext-{id}")})
                .as_object()
                .cloned(),
        };
        report.customers += created(t.customers.create(&actor, input).await)?;
    }

    for (id, name, level) in [
        ("switch", "Play Switch Console", "sku"),
        ("tele", "Watch me TV", "sku"),
        ("fridge", "Cool Stuff Fridge", "sku"),
        ("intamd", "IntAmd processor", "sku"),
        ("elec", "Electronics", "cat"),
        ("appli", "Appliances", "cat"),
    ] {
        if exists(t.products.get(&actor, id).await)? {
            continue;
        }
        let input = NewProduct {
            id: Some(id.into()),
            name: name.into(),
            hierarchy_level: level.into(),
            valid_from: Some(ymd(2000, 1, 1)),
            valid_thru: Some(ymd(2200, 1, 1)),
            extra_fields: None,
        };
        report.products += created(t.products.create(&actor, input).await)?;
    }

    for (parent, child, kind) in [
        ("ducksrus", "ducksrusd", "sold_to"),
        ("ducksrus", "ducksrusb", "pay_to"),
    ] {
        let input = link_to(child, Some(kind));
        report.links += created(t.customers.add_child(&actor, parent, input).await)?;
    }
    for (parent, child) in [
        ("elec", "tele"),
        ("elec", "switch"),
        ("elec", "intamd"),
        ("appli", "fridge"),
    ] {
        report.links += created(
            t.products
                .add_child(&actor, parent, link_to(child, None))
                .await,
        )?;
    }
    for product in ["switch", "tele"] {
        let input = link_to("intamd", None);
        report.links += created(t.products.add_component(&actor, product, input).await)?;
    }

    for (name, customer, products) in [
        ("Promo1", "ducksrus", [("switch", 10.0), ("tele", 5.0)]),
        ("Promo2", "patoloco", [("fridge", 15.0), ("tele", 7.5)]),
        ("Promo3", "ducksrus", [("intamd", 3.0), ("fridge", 12.0)]),
    ] {
        let filter = PromotionFilter {
            name: Some(name.into()),
            ..Default::default()
        };
        if !t
            .promotions
            .list(&actor, &filter, &PageRequest::first(1))
            .await?
            .items
            .is_empty()
        {
            continue;
        }
        let input = NewPromotion {
            name: name.into(),
            description: Some(format!("{name} for {customer}")),
            valid_from: Some(ymd(2000, 1, 1)),
            valid_thru: Some(ymd(2200, 1, 1)),
            active: true,
            customer_id: customer.into(),
            products: products
                .iter()
                .map(|(product, value)| PromotionProduct {
                    product_id: (*product).into(),
                    upc_code: Some(format!("upc-{product}")),
                    discounts: vec![
                        Discount {
                            id: 1,
                            value: *value,
                            kind: 1,
                            description: Some("percent off".into()),
                        },
                        Discount {
                            id: 2,
                            value: 1.0,
                            kind: 2,
                            description: Some("amount off".into()),
                        },
                    ],
                })
                .collect(),
            approval_status: 0,
        };
        t.promotions.create(&actor, input).await?;
        report.promotions += 1;
    }
    Ok(report)
}

/// A link to `id`, valid over the same period as the seeded master data.
fn link_to(id: &str, kind: Option<&str>) -> NewLink {
    NewLink {
        id: id.into(),
        kind: kind.map(Into::into),
        valid_from: Some(ymd(2000, 1, 1)),
        valid_thru: Some(ymd(2200, 1, 1)),
    }
}

/// 1 when the create committed, 0 when another seeder (a second replica starting at the same
/// time) created the same object first.
fn created<T>(result: Result<T>) -> Result<usize> {
    match result {
        Ok(_) => Ok(1),
        Err(Error::Conflict {
            kind: ConflictKind::Duplicate,
            ..
        }) => Ok(0),
        Err(e) => Err(e),
    }
}

fn exists<T>(found: Result<T>) -> Result<bool> {
    match found {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
