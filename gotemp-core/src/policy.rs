//! Who may do what. Every service method asks a [`Policy`] before it reads or writes, with the
//! caller, the action, the resource and (where there is one) the object, so HTTP, gRPC and an
//! embedder's own calls get the same answer. The default, [`RolePolicy`], is the table of the
//! four built-in roles; an embedder replaces it or wraps it (see `examples/embed/main.rs`).

use crate::actor::Actor;
use crate::entities::{Customer, Product, Promotion, User};
use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A built-in role. A user has any set of them ([`Roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads and changes customers, products and promotions (and their links); reads itself
    /// among users.
    Editor,
    /// Reads customers, products and promotions (and their links); reads itself among users.
    Viewer,
    /// Reads everything, users and the audit trail included; changes nothing.
    Auditor,
    /// Reads promotions and moves them forward through the approval workflow
    /// (`promotions:approve`); kept apart from `editor`, so nobody approves their own work
    /// unless an administrator gave them both roles.
    Approver,
}

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Editor,
        Role::Viewer,
        Role::Auditor,
        Role::Approver,
    ];

    /// The name clients use.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
            Role::Approver => "approver",
        }
    }

    /// The role named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles; on the wire an array of role names (`["editor", "auditor"]`). Copy and one
/// byte, so checking a caller's roles costs nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Roles(u8);

impl Roles {
    /// No role at all: such a user may read and change only itself.
    pub const NONE: Roles = Roles(0);

    /// Exactly these roles.
    pub fn of(roles: &[Role]) -> Self {
        Roles(roles.iter().fold(0, |bits, r| bits | r.bit()))
    }

    /// What a new user gets unless told otherwise: `viewer`.
    pub fn default_for_new_user() -> Self {
        Roles::of(&[Role::Viewer])
    }

    /// Whether `role` is among them.
    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The roles, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The role names, as clients and the store see them.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Role::as_str).collect()
    }

    /// Reads role names; an unknown name is an error naming `field` and the names allowed.
    pub fn parse<S: AsRef<str>>(field: &str, names: &[S]) -> std::result::Result<Self, String> {
        names.iter().try_fold(Roles::NONE, |roles, name| {
            let name = name.as_ref();
            match Role::parse(name) {
                Some(role) => Ok(Roles(roles.0 | role.bit())),
                None => Err(crate::tr!(
                    "field.unknown_role",
                    field = field,
                    name = format!("{name:?}")
                )),
            }
        })
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Serialize for Roles {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for Roles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Roles::parse("roles", &names).map_err(serde::de::Error::custom)
    }
}

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
/// "Change itself" is self-service: names and password (with the current one); the user
/// service keeps roles, `active`, validity, company and e-mail for `users:manage`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RolePolicy;

impl Policy for RolePolicy {
    fn allows(&self, r: &Request<'_>) -> bool {
        let roles = r.actor.roles;
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
#[path = "policy_tests.rs"]
mod tests;
