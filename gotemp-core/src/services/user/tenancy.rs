//! What the user service does for tenants: refusing a closed tenant's users, where what
//! concerns no tenant's user is recorded, and a new tenant's first administrator.

use super::UserService;
use super::rules::{Fields, user_draft};
use crate::entities::UserDraft;
use crate::error::{Error, Result, Violations};
use crate::policy::Roles;
use crate::values::{self, Password, TenantId, ValidityPeriod};
use std::sync::Arc;

impl UserService {
    /// Records what concerns no user of a tenant (a login with an unknown e-mail) in `tenant`
    /// (`platform` in a multi-tenant deployment) instead of `default`.
    pub fn with_home_tenant(mut self, tenant: TenantId) -> Self {
        self.home = tenant;
        self
    }

    /// Refuses the users of a closed tenant (inactive, or outside its validity): their logins
    /// fail and their tokens stop working within [`TenantGate::TTL`](crate::services::TenantGate::TTL).
    pub fn with_tenant_gate(mut self, gate: Arc<crate::services::TenantGate>) -> Self {
        self.tenant_gate = Some(gate);
        self
    }

    /// Whether `tenant`'s users may work now.
    pub(in crate::services) async fn tenant_open(&self, tenant: &TenantId) -> Result<bool> {
        match &self.tenant_gate {
            Some(gate) => gate.is_open(tenant).await,
            None => Ok(true),
        }
    }

    /// The draft of a new tenant's first administrator, checked by the rules of any user (its
    /// fields named under `admin.`, broken rules added to `v`) and its password hashed; `None`
    /// when a rule is broken.
    pub(in crate::services) async fn tenant_admin_draft(
        &self,
        v: &mut Violations,
        input: crate::entities::NewTenantAdmin,
        roles: Roles,
    ) -> Result<Option<UserDraft>> {
        let mut inner = Violations::default();
        let context = [&*input.first_name, &input.last_name, &input.email];
        let password = inner.check(Password::choose("password", &input.password, &context));
        let now = values::now();
        let draft = user_draft(
            &mut inner,
            Fields {
                first_name: &input.first_name,
                last_name: &input.last_name,
                email: &input.email,
                company: None,
                period: ValidityPeriod::parse(
                    Some(now),
                    Some(now + chrono::Duration::days(365 * 100)),
                ),
                active: true,
                roles,
            },
        );
        let (Some(mut draft), Some(password), true) = (draft, password, inner.is_empty()) else {
            if let Error::Validation(errors) = inner.into_error() {
                for mut e in errors {
                    e.field = format!("admin.{}", e.field);
                    v.push(e);
                }
            }
            return Ok(None);
        };
        draft.password_hash = Some(self.hash(password).await?);
        Ok(Some(draft))
    }
}
