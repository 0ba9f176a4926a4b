//! What the user service does for tenants: refusing a closed tenant's users, where what
//! concerns no tenant's user is recorded, a new tenant's first administrator, and sign-ups that
//! start an organisation.

use super::UserService;
use super::rules::{Fields, user_draft};
use crate::actor::Actor;
use crate::entities::{NewRegistration, NewTenantAdmin, Tenant, TenantDraft, User, UserDraft};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::policy::{Role, Roles};
use crate::ports::TenantRepository;
use crate::services::tenant::{TENANT_NAME_MAX, reserved};
use crate::values::{self, Password, TenantId, Text, ValidityPeriod};
use std::sync::Arc;

/// Keys tried for one sign-up: the organisation's name, then the name with a random suffix.
const KEY_ATTEMPTS: usize = 4;
/// Longest key made from a name, leaving room for a suffix.
const KEY_FROM_NAME_MAX: usize = 40;
/// Keys a sign-up never takes besides the reserved ones: the demo tenants, which seeding fills
/// with users of a documented password wherever they exist.
const DEMO_KEYS: [&str; 2] = ["ducks", "geese"];

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
        input: NewTenantAdmin,
        roles: Roles,
    ) -> Result<Option<UserDraft>> {
        self.first_user_draft(v, "admin.", input, roles).await
    }

    /// [`UserService::tenant_admin_draft`], its fields named under `prefix`.
    async fn first_user_draft(
        &self,
        v: &mut Violations,
        prefix: &str,
        input: NewTenantAdmin,
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
                    e.field = format!("{prefix}{}", e.field);
                    v.push(e);
                }
            }
            return Ok(None);
        };
        draft.password_hash = Some(self.hash(password).await?);
        Ok(Some(draft))
    }

    /// Signs a stranger up as the administrator of a new tenant for `input.organisation`,
    /// keyed by the organisation's name (with a random suffix when taken or reserved). The
    /// tenant's creation is recorded in the home tenant's trail (`platform`), the registrant's in
    /// the new tenant's.
    pub(in crate::services) async fn sign_up_organisation(
        &self,
        tenants: &Arc<dyn TenantRepository>,
        input: NewRegistration,
    ) -> Result<User> {
        let mut v = Violations::default();
        let organisation = input.organisation.as_deref().unwrap_or_default();
        let name = v.check(Text::parse("organisation", organisation, TENANT_NAME_MAX));
        let registrant = NewTenantAdmin {
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            password: input.password,
        };
        let admin =
            (self.first_user_draft(&mut v, "", registrant, Roles::of(&[Role::Admin]))).await?;
        let (Some(name), Some(admin), true) = (name, admin, v.is_empty()) else {
            return Err(v.into_error());
        };
        let now = values::now();
        let validity = ValidityPeriod::new(now, now + chrono::Duration::days(365 * 100))?;
        let base = key_from_name(name.as_str());
        for attempt in 0..KEY_ATTEMPTS {
            let key = match attempt {
                0 => base.clone(),
                _ => format!("{base}-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            };
            let key = TenantId::parse("organisation", &key)?;
            if reserved(&key) || DEMO_KEYS.contains(&key.as_str()) {
                continue;
            }
            let draft = TenantDraft {
                key: key.clone(),
                name: name.clone(),
                active: true,
                validity,
            };
            let gotemp = Actor::system(self.home.clone());
            let tenant_event = PendingEvent::new::<Tenant>(ActionType::Insert, &gotemp, now);
            let admin_event =
                PendingEvent::new::<User>(ActionType::Insert, &Actor::system(key), now);
            match tenants
                .create(&draft, &admin, (tenant_event, admin_event))
                .await
            {
                Ok((_, user)) => return Ok(user),
                Err(Error::Conflict {
                    kind: ConflictKind::Duplicate,
                    field: Some(field),
                    ..
                }) if field == "key" => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::conflict(
            ConflictKind::Duplicate,
            Some("organisation"),
            crate::tr!("conflict.organisation_key"),
        ))
    }
}

/// A tenant key made from an organisation's name: lower-case letters and digits, every other run
/// of characters one `-`, at most [`KEY_FROM_NAME_MAX`] characters; `org` when nothing is left.
fn key_from_name(name: &str) -> String {
    let mut key = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
        if key.len() >= KEY_FROM_NAME_MAX {
            break;
        }
    }
    let key = key.trim_end_matches('-');
    match key.is_empty() {
        true => "org".to_owned(),
        false => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::key_from_name;

    #[test]
    fn keys_from_names_are_keys() {
        for (name, key) in [
            ("Ducks R Us", "ducks-r-us"),
            ("  Pato Loco, S.A. ", "pato-loco-s-a"),
            ("Ñandú 2000", "and-2000"),
            ("!!!", "org"),
            ("日本", "org"),
        ] {
            assert_eq!(key_from_name(name), key, "{name}");
            assert!(crate::values::TenantId::is_key(&key_from_name(name)));
        }
        let long = key_from_name(&"a".repeat(300));
        assert_eq!(long.len(), 40);
    }
}
