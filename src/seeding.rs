//! What a deployment starts with: the platform tenant of a multi-tenant one, and the demo data.

mod geese;

use crate::{Config, Gotemp, SecretString};
use gotemp_core::seed::{SeedReport, SeedSettings, SeedTargets};
use gotemp_core::values::{Tenancy, TenantId};
use gotemp_core::{Error, Result};

/// The administrator of the demo tenant `ducks` of a multi-tenant deployment.
const DEMO_ADMIN: &str = "admin@ducks.example";

/// The key of the demo tenant of a multi-tenant deployment.
fn demo_tenant_key() -> Result<TenantId> {
    Ok(TenantId::parse("tenant", "ducks")?)
}

/// The demo tenant's administrator's password: the demo users' (`demo_password`), or a random
/// one nobody knows — never the operator's.
fn demo_admin_password(config: &Config) -> SecretString {
    (config.auth.demo_password.clone())
        .unwrap_or_else(|| SecretString::from(uuid::Uuid::new_v4().to_string()))
}

impl Gotemp {
    /// Makes the platform tenant of a multi-tenant deployment, with its administrator from
    /// `config` (`admin_email`, `admin_password`: an administrator and `operator`) when it does
    /// not exist yet; nothing when it does. Replicas starting together make it once.
    pub async fn ensure_platform(&self, config: &Config) -> Result<()> {
        let platform = TenantId::platform();
        let system = gotemp_core::Actor::system(platform.clone());
        if self.repositories.tenants.get(&platform).await?.is_some() {
            return Ok(());
        }
        config.check_seed_password()?;
        let _one_at_a_time = self.repositories.exclusive.enter("gotemp.platform").await?;
        if self.repositories.tenants.get(&platform).await?.is_some() {
            return Ok(());
        }
        let admin = gotemp_core::entities::NewTenantAdmin {
            email: config.auth.admin_email.clone(),
            first_name: "Platform".into(),
            last_name: "Operator".into(),
            password: config.auth.admin_password.clone(),
        };
        let new = gotemp_core::entities::NewTenant {
            key: platform.to_string(),
            name: "Platform".into(),
            valid_from: None,
            valid_thru: None,
            admin,
        };
        match self.tenants.create_platform(&system, new).await {
            Ok((_, operator)) => {
                tracing::info!(email = %operator.email, "made the platform tenant and its operator");
                Ok(())
            }
            // Another process made it meanwhile (SQLite has no lock across processes).
            Err(Error::Conflict { field: Some(f), .. }) if f == "key" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether any user exists: a store without one is new (the embedded default seeds it). In
    /// a multi-tenant deployment, whose platform always has its operator: whether the demo
    /// tenant exists.
    pub async fn has_users(&self) -> Result<bool> {
        if self.tenancy == Tenancy::Multi {
            let ducks = demo_tenant_key()?;
            return Ok(self.repositories.tenants.get(&ducks).await?.is_some());
        }
        let system = gotemp_core::Actor::system(gotemp_core::values::TenantId::default_tenant());
        let first = gotemp_core::page::PageRequest::first(1);
        let page = self
            .users
            .list(&system, &Default::default(), &first)
            .await?;
        Ok(!page.items.is_empty())
    }

    /// Applies the demo data (administrator from `config`), leaving existing objects alone.
    ///
    /// A multi-tenant deployment keeps the demo data in the tenant `ducks` (made with its
    /// administrator `admin@ducks.example`), beside the platform tenant, and seeds a second
    /// tenant, `geese` (`admin@geese.example`, the editor `gina.goose@geese.example`), whose
    /// customers share some keys with `ducks`'s. Their passwords are the demo users'
    /// (`demo_password`), or random ones nobody knows.
    pub async fn seed(&self, config: &Config) -> Result<SeedReport> {
        config.check_seed_password()?;
        // Replicas starting together would each add the demo objects that have no key.
        let _one_at_a_time = self.repositories.exclusive.enter("gotemp.seed").await?;
        let (tenant, admin_email, admin_password) = match self.tenancy {
            Tenancy::Single => (
                TenantId::default_tenant(),
                config.auth.admin_email.clone(),
                config.auth.admin_password.clone(),
            ),
            // The demo tenant's administrator is a demo user: never the operator's password.
            Tenancy::Multi => (
                self.demo_tenant(config).await?,
                DEMO_ADMIN.to_owned(),
                demo_admin_password(config),
            ),
        };
        let settings = SeedSettings {
            admin_email,
            admin_password,
            demo_password: config.auth.demo_password.clone(),
        };
        let targets = SeedTargets {
            users: &self.users,
            customers: &self.customers,
            products: &self.products,
            promotions: &self.promotions,
        };
        let mut report = gotemp_core::seed::apply(&targets, &tenant, &settings).await?;
        if self.tenancy == Tenancy::Multi {
            let geese = self.seed_geese(config).await?;
            report.users += geese.users;
            report.customers += geese.customers;
            report.products += geese.products;
        }
        Ok(report)
    }

    /// The demo tenant of a multi-tenant deployment, made with its administrator when missing.
    async fn demo_tenant(&self, config: &Config) -> Result<TenantId> {
        let ducks = demo_tenant_key()?;
        if self.repositories.tenants.get(&ducks).await?.is_none() {
            let system = gotemp_core::Actor::system(TenantId::platform());
            let new = gotemp_core::entities::NewTenant {
                key: ducks.to_string(),
                name: "Ducks R Us".into(),
                valid_from: None,
                valid_thru: None,
                admin: gotemp_core::entities::NewTenantAdmin {
                    email: DEMO_ADMIN.into(),
                    first_name: "Duck".into(),
                    last_name: "Admin".into(),
                    password: demo_admin_password(config),
                },
            };
            self.tenants.create(&system, new).await?;
        }
        Ok(ducks)
    }
}
