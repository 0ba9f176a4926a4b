//! Who may do what. Every service method asks a [`Policy`] before it reads or writes, with the
//! caller, the action, the resource and (where there is one) the object, so HTTP, gRPC and an
//! embedder's own calls get the same answer. The default, [`RolePolicy`], is the table of the
//! five built-in roles; an embedder replaces it or wraps it (see `examples/embed/main.rs`).

use crate::actor::Actor;
use crate::entities::{Customer, Product, Promotion, User};
use crate::error::{Error, Result};

pub use crate::roles::{Role, Roles};

/// What a caller wants to do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read one object or list them.
    Read,
    /// Create an object.
    Create,
    /// Change an object (for master data: also link and unlink it).
    Update,
    /// Delete an object.
    Delete,
    /// Users only: create, change and delete other users, set roles, reset passwords.
    Manage,
    /// Promotions only: move one forward through the approval workflow (its
    /// `approval_status`).
    Approve,
}

impl Action {
    /// The name in a permission (`customers:create`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Manage => "manage",
            Action::Approve => "approve",
        }
    }
}

/// What is acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Users (people who can log in).
    Users,
    /// Customers and their hierarchy.
    Customers,
    /// Products and their hierarchies.
    Products,
    /// Promotions.
    Promotions,
    /// The audit trail.
    Audit,
    /// The tenants of a multi-tenant deployment.
    Tenants,
}

impl Resource {
    /// The name in a permission (`customers:create`).
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Users => "users",
            Resource::Customers => "customers",
            Resource::Products => "products",
            Resource::Promotions => "promotions",
            Resource::Audit => "audit",
            Resource::Tenants => "tenants",
        }
    }
}

/// The object a decision is about. Every call is asked first without one ("may this caller
/// do this to any object of the kind?", so a caller with no business there is refused before
/// anything is looked up), then with each object it touches: the stored object for reads,
/// changes and deletes; the object as it would be stored for creates; for changes also the
/// result, so a change cannot move an object out of the caller's reach (a promotion to another
/// company's customer); both ends of a link; every item of a list or a hierarchy (items the
/// caller may not read are left out). An object the caller may not read is answered as not
/// found, whatever else was asked.
#[derive(Debug, Clone, Copy)]
pub enum Object<'a> {
    /// A user.
    User(&'a User),
    /// A user by id only (before it is read: "is this the caller?").
    UserId(i64),
    /// A customer.
    Customer(&'a Customer),
    /// A product.
    Product(&'a Product),
    /// A promotion.
    Promotion(&'a Promotion),
}

/// One question to a policy.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub actor: &'a Actor,
    /// To do what.
    pub action: Action,
    /// With which resource.
    pub resource: Resource,
    /// To which object, when there is one.
    pub object: Option<Object<'a>>,
}

impl Request<'_> {
    /// Whether the object is the caller itself.
    pub fn is_self(&self) -> bool {
        match self.object {
            Some(Object::User(user)) => user.id == self.actor.user_id,
            Some(Object::UserId(id)) => id == self.actor.user_id,
            _ => false,
        }
    }
}

/// Decides whether a caller may do something. Called on every service call, reads included,
/// so it must be fast and must not block: decide from the request alone (the caller's id,
/// roles and company, and the object).
pub trait Policy: Send + Sync + 'static {
    /// Whether the request is allowed.
    fn allows(&self, request: &Request<'_>) -> bool;
}

/// The built-in roles' table:
///
/// | role | users | customers, products, promotions | audit |
/// |---|---|---|---|
/// | `admin` | everything, `users:manage` | everything | read |
/// | `editor` | read and change itself | read, create, update, delete | — |
/// | `viewer` | read and change itself | read | — |
/// | `auditor` | read all | read | read |
/// | `approver` | read and change itself | promotions: read, approve | — |
///
/// Tenants are the platform's: only an `operator` of the platform tenant manages them (read,
/// create, update, delete); a tenant's `admin` administers its own tenant, never the others.
///
/// "Change itself" is self-service: names and password (with the current one); the user
/// service keeps roles, `active`, validity, company and e-mail for `users:manage`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RolePolicy;

impl Policy for RolePolicy {
    fn allows(&self, r: &Request<'_>) -> bool {
        let roles = r.actor.roles;
        if r.resource == Resource::Tenants {
            let platform = r.actor.tenant.as_str() == crate::values::TenantId::PLATFORM;
            return r.actor.is_system() || (platform && roles.contains(Role::Operator));
        }
        if r.actor.is_system() || roles.contains(Role::Admin) {
            return true;
        }
        match (r.resource, r.action) {
            (Resource::Users, Action::Read) => roles.contains(Role::Auditor) || r.is_self(),
            (Resource::Users, Action::Update) => r.is_self(),
            (Resource::Users, _) => false,
            (Resource::Audit, Action::Read) => roles.contains(Role::Auditor),
            (Resource::Audit, _) => false,
            (Resource::Promotions, Action::Read | Action::Approve)
                if roles.contains(Role::Approver) =>
            {
                true
            }
            (_, Action::Read) => {
                roles.contains(Role::Viewer)
                    || roles.contains(Role::Editor)
                    || roles.contains(Role::Auditor)
            }
            (_, Action::Create | Action::Update | Action::Delete) => roles.contains(Role::Editor),
            (_, Action::Manage | Action::Approve) => false,
        }
    }
}

/// Whether `policy` lets `actor` read `object`: what decides whether an object is shown (in a
/// list, a hierarchy, a promotion's customer name) or answered as not found.
pub fn may_read(
    policy: &dyn Policy,
    actor: &Actor,
    resource: Resource,
    object: Object<'_>,
) -> bool {
    policy.allows(&Request {
        actor,
        action: Action::Read,
        resource,
        object: Some(object),
    })
}

/// Asks `policy` about `action` on a stored `object`. An object the caller may not read is
/// `hidden` (the caller learns nothing of it, not even that it exists: `hidden` is the
/// not-found error of a missing one); one it may read but not act on is refused naming the
/// permission.
pub fn authorize_stored(
    policy: &dyn Policy,
    actor: &Actor,
    action: Action,
    resource: Resource,
    object: Object<'_>,
    hidden: impl FnOnce() -> Error,
) -> Result<()> {
    if !may_read(policy, actor, resource, object) {
        return Err(hidden());
    }
    if action == Action::Read {
        return Ok(());
    }
    authorize(policy, actor, action, resource, Some(object))
}

/// Asks `policy` and turns a refusal into [`Error::PermissionDenied`] naming the permission.
pub fn authorize(
    policy: &dyn Policy,
    actor: &Actor,
    action: Action,
    resource: Resource,
    object: Option<Object<'_>>,
) -> Result<()> {
    let request = Request {
        actor,
        action,
        resource,
        object,
    };
    if policy.allows(&request) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(crate::tr!(
            "denied.permission",
            permission = format_args!("{}:{}", resource.as_str(), action.as_str())
        )))
    }
}

#[cfg(test)]
mod tests;
