//! The rules of a user's fields, and how the store's refusals of a user's write are said.

use crate::entities::{User, UserChanges, UserDraft};
use crate::error::{ConflictKind, Error, FieldError, Result, Violations};
use crate::policy::{Role, Roles};
use crate::values::{self, Email, Text, ValidityPeriod};

const NAME_MAX: usize = 100;
const COMPANY_MAX: usize = 255;

/// A user's fields before any rule ran, from a create, a merged update or the stored user.
pub(in crate::services) struct Fields<'a> {
    pub(in crate::services) first_name: &'a str,
    pub(in crate::services) last_name: &'a str,
    pub(in crate::services) email: &'a str,
    pub(in crate::services) company: Option<&'a str>,
    pub(in crate::services) period: std::result::Result<ValidityPeriod, Vec<FieldError>>,
    pub(in crate::services) active: bool,
    pub(in crate::services) roles: Roles,
}

/// Parses and checks every user field, recording all failures in `v`.
/// The platform's role stays on the platform: `operator` is refused, naming `roles`, for a
/// user of any tenant but the platform one (a tenant's administrator cannot make anyone an
/// operator of the deployment).
pub(in crate::services) fn platform_roles(
    tenant: &crate::values::TenantId,
    roles: crate::policy::Roles,
) -> Result<(), FieldError> {
    if roles.contains(crate::policy::Role::Operator)
        && tenant.as_str() != crate::values::TenantId::PLATFORM
    {
        return Err(FieldError::new(
            "roles",
            "platform_role",
            crate::tr!("field.platform_role"),
        ));
    }
    Ok(())
}

pub(in crate::services) fn user_draft(v: &mut Violations, fields: Fields<'_>) -> Option<UserDraft> {
    let Fields {
        first_name,
        last_name,
        email,
        company,
        period,
        active,
        roles,
    } = fields;
    let first_name = v.check(Text::parse("first_name", first_name, NAME_MAX));
    let last_name = v.check(Text::parse("last_name", last_name, NAME_MAX));
    let email = v.check(Email::parse("email", email));
    let company = v.check(Text::parse_optional("company", company, COMPANY_MAX));
    let validity = v.check_all(period);
    match (first_name, last_name, email, company, validity) {
        (Some(first_name), Some(last_name), Some(email), Some(company), Some(validity)) => {
            Some(UserDraft {
                first_name,
                last_name,
                email,
                company,
                validity,
                active,
                roles,
                password_hash: None,
                revoke_tokens: false,
            })
        }
        _ => None,
    }
}

/// The store reports a taken e-mail in create's words; an update says it differently.
pub(super) fn email_taken_by_another(e: Error) -> Error {
    match e {
        Error::Conflict {
            kind: ConflictKind::Duplicate,
            field: Some(f),
            ..
        } if f == "email" => Error::conflict(
            ConflictKind::Duplicate,
            Some("email"),
            crate::tr!("conflict.user_email_other"),
        ),
        other => other,
    }
}

/// The store refuses a change that leaves no active admin on `roles`; a deactivation says so
/// on `active`.
pub(super) fn last_admin(e: Error, deactivated: bool) -> Error {
    match e {
        Error::Conflict {
            kind: ConflictKind::State,
            field: Some(f),
            ..
        } if f == "roles" && deactivated => Error::conflict(
            ConflictKind::State,
            Some("active"),
            crate::tr!("conflict.last_admin_deactivated"),
        ),
        Error::Conflict {
            kind: ConflictKind::State,
            field: Some(f),
            ..
        } if f == "roles" => Error::conflict(
            ConflictKind::State,
            Some("roles"),
            crate::tr!("conflict.last_admin_role", role = Role::Admin),
        ),
        other => other,
    }
}

/// What a user may change of itself without `users:manage`: its names. Anything else is
/// refused, naming the field (the company included: a company-scoped policy trusts it).
pub(in crate::services) fn self_service_only(changes: &UserChanges, current: &User) -> Result<()> {
    // The form of one's own profile may send the company back as it is: only a change counts.
    let company = values::merged_optional(current.company.clone(), changes.company.clone());
    let moves_company = changes.company.is_some()
        && company.as_deref().map(str::trim) != current.company.as_deref().map(str::trim);
    let refused = [
        ("company", moves_company),
        ("email", changes.email.is_some()),
        ("valid_from", changes.valid_from.is_some()),
        ("valid_thru", changes.valid_thru.is_some()),
        ("active", changes.active.is_some()),
        ("roles", changes.roles.is_some()),
        ("password", changes.password.is_some()),
    ];
    match refused.into_iter().find(|(_, given)| *given) {
        Some(("password", _)) => Err(Error::PermissionDenied(crate::tr!("denied.own_password"))),
        Some((field, _)) => Err(Error::PermissionDenied(crate::tr!(
            "denied.manage_field",
            field = field
        ))),
        None => Ok(()),
    }
}
