//! Who is making a call. Transports build it from a verified token and the caller's current
//! record (never from roles an old token claims); services hand it to the [`Policy`] and record
//! it as `modified_by` and as the audit event's `performed_by`. Its tenant is the only one whose
//! data the call may see: services pass it to every repository method.
//!
//! [`Policy`]: crate::policy::Policy

use crate::roles::{Role, Roles};
use crate::values::TenantId;
use secrecy::SecretString;
use std::sync::Arc;

/// The authenticated caller of an operation: what a policy may decide on, and the credentials
/// it came with, for calls made on its behalf (the promotion service asking a customer service
/// deployed apart does so with the caller's own token: the caller's rights, nothing more).
/// Two actors are equal when they are the same user of the same tenant with the same roles and
/// company, whatever token each came with.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The tenant the caller belongs to: every read and write of the call is scoped to it.
    pub tenant: TenantId,
    /// The user id the caller's token stands for.
    pub user_id: i64,
    /// The caller's roles, as stored now.
    pub roles: Roles,
    /// The caller's company, for policies that scope by it.
    pub company: Option<Arc<str>>,
    /// The bearer token the caller authenticated with (never printed).
    credentials: Option<Arc<SecretString>>,
}

impl PartialEq for Actor {
    fn eq(&self, other: &Self) -> bool {
        (&self.tenant, self.user_id, self.roles, &self.company)
            == (&other.tenant, other.user_id, other.roles, &other.company)
    }
}

impl Eq for Actor {}

impl std::hash::Hash for Actor {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.tenant, self.user_id, self.roles, &self.company).hash(state);
    }
}

impl Actor {
    /// The caller of `tenant` with the given user id and roles.
    pub fn new(tenant: TenantId, user_id: i64, roles: Roles) -> Self {
        Self {
            tenant,
            user_id,
            roles,
            company: None,
            credentials: None,
        }
    }

    /// The same caller, who authenticated with `token`: calls made on its behalf carry it.
    pub fn with_credentials(mut self, token: SecretString) -> Self {
        self.credentials = Some(Arc::new(token));
        self
    }

    /// The bearer token the caller authenticated with, for a call on its behalf; `None` for
    /// gotemp itself and for actors made without one.
    pub fn credentials(&self) -> Option<&SecretString> {
        self.credentials.as_deref()
    }

    /// An administrator of `tenant`: tests, benchmarks and tools acting as one.
    pub fn admin(tenant: TenantId, user_id: i64) -> Self {
        Self::new(tenant, user_id, Roles::of(&[Role::Admin]))
    }

    /// The same caller in `company`.
    pub fn in_company(mut self, company: Option<&str>) -> Self {
        self.company = company.map(Arc::from);
        self
    }

    /// gotemp itself (migrations, seeding) working in `tenant`: allowed everything there. User
    /// ids start at 1, so 0 never names a person.
    pub fn system(tenant: TenantId) -> Self {
        Self::new(tenant, 0, Roles::NONE)
    }

    /// Whether this is gotemp itself rather than a person.
    pub fn is_system(&self) -> bool {
        self.user_id == 0
    }
}
