//! The built-in roles, and the set of them a user holds: what an [`Actor`](crate::actor::Actor)
//! carries and a [`Policy`](crate::policy::Policy) decides on.

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
    /// Runs the deployment's tenants (`tenants:*`): held only by users of the platform tenant
    /// of a multi-tenant deployment, and nothing else by itself.
    Operator,
}

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Editor,
        Role::Viewer,
        Role::Auditor,
        Role::Approver,
        Role::Operator,
    ];

    /// The name clients use.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
            Role::Approver => "approver",
            Role::Operator => "operator",
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
