//! The second demo tenant of a multi-tenant deployment, `geese`: its own administrator and
//! editor, and customers and a product some of whose keys the demo tenant `ducks` uses too, so
//! isolation can be seen by logging in as each.

use crate::{Config, Gotemp};
use gotemp_core::entities::{NewCustomer, NewProduct, NewTenant, NewTenantAdmin, NewUser};
use gotemp_core::policy::{Role, Roles};
use gotemp_core::seed::{SeedReport, created};
use gotemp_core::values::TenantId;
use gotemp_core::{Actor, Result};

/// The administrator of `geese`.
pub(super) const GEESE_ADMIN: &str = "admin@geese.example";

/// Customers of `geese`: `ducksrus` and `patoloco` are keys of `ducks` too, named otherwise.
const CUSTOMERS: [(&str, &str); 3] = [
    ("ducksrus", "Goose Down Supplies"),
    ("patoloco", "Ganso Loco SA"),
    ("honk", "Honk Honk Ltd"),
];

impl Gotemp {
    /// Makes `geese` with its users and master data when missing; leaves what exists alone.
    pub(super) async fn seed_geese(&self, config: &Config) -> Result<SeedReport> {
        let geese = TenantId::parse("tenant", "geese")?;
        let mut report = SeedReport::default();
        if self.repositories.tenants.get(&geese).await?.is_none() {
            let new = NewTenant {
                key: geese.to_string(),
                name: "Geese Gone Wild".into(),
                valid_from: None,
                valid_thru: None,
                admin: NewTenantAdmin {
                    email: GEESE_ADMIN.into(),
                    first_name: "Goose".into(),
                    last_name: "Admin".into(),
                    password: super::demo_admin_password(config),
                },
            };
            let system = Actor::system(TenantId::platform());
            self.tenants.create(&system, new).await?;
            report.users += 1;
        }
        let actor = Actor::system(geese);
        // Valid as the demo data of `ducks` is: from 2000 to 2200.
        let year = |y| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, y, 1, 1, 0, 0, 0).single();
        let (from, thru) = (year(2000), year(2200));
        let gina = NewUser {
            first_name: "Gina".into(),
            last_name: "Goose".into(),
            email: "gina.goose@geese.example".into(),
            company: Some("Geese Gone Wild".into()),
            valid_from: from,
            valid_thru: thru,
            active: true,
            roles: Some(Roles::of(&[Role::Editor])),
            password: super::demo_admin_password(config),
        };
        report.users += created(self.users.create(&actor, gina).await)?;
        for (id, name) in CUSTOMERS {
            let input = NewCustomer {
                id: Some(id.into()),
                name: name.into(),
                valid_from: from,
                valid_thru: thru,
                extra_fields: None,
            };
            report.customers += created(self.customers.create(&actor, input).await)?;
        }
        let switch = NewProduct {
            id: Some("switch".into()),
            name: "Goose Switch".into(),
            hierarchy_level: "sku".into(),
            valid_from: from,
            valid_thru: thru,
            extra_fields: None,
        };
        report.products += created(self.products.create(&actor, switch).await)?;
        Ok(report)
    }
}
