//! Demo data equivalent to the original's init scripts, applied on request (never implicitly),
//! through the services so that seeds obey the same rules and leave the same audit trail as any
//! other change. Applying it twice changes nothing: whatever already exists is left alone.

use crate::actor::Actor;
use crate::entities::*;
use crate::error::{ConflictKind, Error, Result};
use crate::page::PageRequest;
use crate::policy::{Role, Roles};
use crate::services::{CustomerService, ProductService, PromotionService, UserService};
use crate::values::TenantId;
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
struct DemoUser {
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    company: &'static str,
    role: Role,
    active: bool,
    /// Valid 1990–1999 only: exists, cannot log in.
    until_1999: bool,
}

const fn user(
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    company: &'static str,
    role: Role,
) -> DemoUser {
    DemoUser {
        first_name,
        last_name,
        email,
        company,
        role,
        active: true,
        until_1999: false,
    }
}

/// Every role can be tried: Ann `editor`, Bob `viewer` and Erin `auditor` can log in; Carla
/// (inactive) and Dan (validity ended in 1999) cannot. The administrator (`admin`) comes first,
/// with the e-mail and password of the settings.
const DEMO_USERS: [DemoUser; 5] = [
    user(
        "Ann",
        "Smith",
        "ann.smith@ducksrus.example",
        "Ducks R Us",
        Role::Editor,
    ),
    user(
        "Bob",
        "Jones",
        "bob.jones@patoloco.example",
        "Pato Loco Inc",
        Role::Viewer,
    ),
    user(
        "Erin",
        "Audit",
        "erin.audit@gotemp.example",
        "gotemp",
        Role::Auditor,
    ),
    DemoUser {
        active: false,
        ..user(
            "Carla",
            "Diaz",
            "carla.diaz@canard.example",
            "Canard Oui Oui",
            Role::Viewer,
        )
    },
    DemoUser {
        until_1999: true,
        ..user(
            "Dan",
            "Old",
            "dan.old@ducksrus.example",
            "Ducks R Us",
            Role::Editor,
        )
    },
];

/// Customers: key and name.
const CUSTOMERS: [(&str, &str); 5] = [
    ("ducksrus", "Ducks R Us"),
    ("ducksrusd", "Ducks R Us Dock"),
    ("ducksrusb", "Ducks R Us Bill"),
    ("patoloco", "Pato Loco Inc"),
    ("canard", "Canard Oui Oui"),
];

/// Products: key, name and hierarchy level.
const PRODUCTS: [(&str, &str, &str); 6] = [
    ("switch", "Play Switch Console", "sku"),
    ("tele", "Watch me TV", "sku"),
    ("fridge", "Cool Stuff Fridge", "sku"),
    ("intamd", "IntAmd processor", "sku"),
    ("elec", "Electronics", "cat"),
    ("appli", "Appliances", "cat"),
];

/// Customer links: parent, child, kind.
const CUSTOMER_LINKS: [(&str, &str, &str); 2] = [
    ("ducksrus", "ducksrusd", "sold_to"),
    ("ducksrus", "ducksrusb", "pay_to"),
];

/// Product categories: parent, child.
const PRODUCT_CHILDREN: [(&str, &str); 4] = [
    ("elec", "tele"),
    ("elec", "switch"),
    ("elec", "intamd"),
    ("appli", "fridge"),
];

/// Product components: product, component.
const PRODUCT_COMPONENTS: [(&str, &str); 2] = [("switch", "intamd"), ("tele", "intamd")];

/// A seeded promotion: name, customer, and per product its percent off (each line also takes
/// one unit of currency off).
type DemoPromotion = (&'static str, &'static str, [(&'static str, f64); 2]);

/// The seeded promotions.
const PROMOTIONS: [DemoPromotion; 3] = [
    ("Promo1", "ducksrus", [("switch", 10.0), ("tele", 5.0)]),
    ("Promo2", "patoloco", [("fridge", 15.0), ("tele", 7.5)]),
    ("Promo3", "ducksrus", [("intamd", 3.0), ("fridge", 12.0)]),
];

fn ymd(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Applies the demo data to `tenant`.
pub async fn apply(
    t: &SeedTargets<'_>,
    tenant: &TenantId,
    settings: &SeedSettings,
) -> Result<SeedReport> {
    let actor = Actor::system(tenant.clone());
    let mut report = SeedReport {
        users: users(t, &actor, settings).await?,
        ..SeedReport::default()
    };
    for (id, name) in CUSTOMERS {
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
    for (id, name, level) in PRODUCTS {
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
    for (parent, child, kind) in CUSTOMER_LINKS {
        let input = link_to(child, Some(kind));
        report.links += created(t.customers.add_child(&actor, parent, input).await)?;
    }
    for (parent, child) in PRODUCT_CHILDREN {
        let input = link_to(child, None);
        report.links += created(t.products.add_child(&actor, parent, input).await)?;
    }
    for (product, component) in PRODUCT_COMPONENTS {
        let input = link_to(component, None);
        report.links += created(t.products.add_component(&actor, product, input).await)?;
    }
    for (name, customer, lines) in PROMOTIONS {
        let filter = PromotionFilter {
            name: Some(name.into()),
            ..Default::default()
        };
        let first = PageRequest::first(1);
        if !(t.promotions.list(&actor, &filter, &first).await?.items).is_empty() {
            continue;
        }
        t.promotions
            .create(&actor, promotion(name, customer, &lines))
            .await?;
        report.promotions += 1;
    }
    Ok(report)
}

/// The administrator and [`DEMO_USERS`]: how many were created.
async fn users(t: &SeedTargets<'_>, actor: &Actor, settings: &SeedSettings) -> Result<usize> {
    let demo_password = settings
        .demo_password
        .clone()
        .unwrap_or_else(|| SecretString::from(uuid::Uuid::new_v4().to_string()));
    // Its e-mail is the settings' (the table's is unused).
    let admin = user("Admin", "User", "", "gotemp", Role::Admin);
    let everyone = std::iter::once((
        &admin,
        settings.admin_email.as_str(),
        &settings.admin_password,
    ))
    .chain(DEMO_USERS.iter().map(|u| (u, u.email, &demo_password)));
    let mut count = 0;
    for (n, (user, email, password)) in everyone.enumerate() {
        let existing = t
            .users
            .by_email(actor, email, &PageRequest::first(1))
            .await?;
        if let Some(stored) = existing.items.first() {
            // A database from before roles existed: its administrator becomes `admin` again.
            if n == 0 && !stored.roles.contains(Role::Admin) {
                let changes = UserChanges {
                    roles: Some(Roles::of(&[Role::Admin])),
                    ..Default::default()
                };
                t.users.update(actor, stored.id, changes, None).await?;
            }
            continue;
        }
        let (from, thru) = match user.until_1999 {
            true => (ymd(1990, 1, 1), ymd(1999, 12, 31)),
            false => (ymd(2000, 1, 1), ymd(2200, 1, 1)),
        };
        let input = NewUser {
            first_name: user.first_name.into(),
            last_name: user.last_name.into(),
            email: email.into(),
            company: Some(user.company.into()),
            valid_from: Some(from),
            valid_thru: Some(thru),
            active: user.active,
            roles: Some(Roles::of(&[user.role])),
            password: password.clone(),
        };
        count += created(t.users.create(actor, input).await)?;
    }
    Ok(count)
}

/// A seeded promotion: each line a percentage and an amount off.
fn promotion(name: &str, customer: &str, lines: &[(&str, f64)]) -> NewPromotion {
    let discount = |id, value, kind, description: &str| Discount {
        id,
        value,
        kind,
        description: Some(description.into()),
    };
    NewPromotion {
        name: name.into(),
        description: Some(format!("{name} for {customer}")),
        valid_from: Some(ymd(2000, 1, 1)),
        valid_thru: Some(ymd(2200, 1, 1)),
        active: true,
        customer_id: customer.into(),
        products: (lines.iter())
            .map(|(product, percent)| PromotionProduct {
                product_id: (*product).into(),
                upc_code: Some(format!("upc-{product}")),
                discounts: vec![
                    discount(1, *percent, 1, "percent off"),
                    discount(2, 1.0, 2, "amount off"),
                ],
            })
            .collect(),
        approval_status: 0,
    }
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
/// 1 for an object made, 0 for one that existed already: seeding again changes nothing, and
/// its report counts what it made (for embedders' own seeds too).
pub fn created<T>(result: Result<T>) -> Result<usize> {
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
