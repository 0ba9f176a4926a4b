//! Users and authentication.

use super::common::{expected_version, merged_period};
use super::status_memo::StatusMemo;
pub(super) use rules::{Fields, user_draft};
use rules::{email_taken_by_another, last_admin};

mod rules;
mod tenancy;
use crate::actor::Actor;
use crate::auth::{PasswordHasher, TokenService};
use crate::entities::{NewUser, User, UserChanges, UserDraft, UserFilter};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest};
use crate::policy::{
    Action, Object, Policy, Request, Resource, RolePolicy, Roles, authorize, authorize_stored,
    may_read,
};
use crate::ports::UserRepository;
use crate::throttle::{Throttle, ThrottleSettings};
use crate::values::{self, Password, PasswordHash, TenantId, ValidityPeriod};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The user service: user CRUD, self-service, login and authentication of every call.
#[derive(Clone)]
pub struct UserService {
    pub(super) repo: Arc<dyn UserRepository>,
    pub(super) hasher: Arc<dyn PasswordHasher>,
    pub(super) tokens: Arc<TokenService>,
    pub(super) hooks: HookChain<User, UserDraft>,
    pub(super) policy: Arc<dyn Policy>,
    pub(super) statuses: Arc<StatusMemo>,
    pub(super) throttle: Arc<Throttle>,
    throttle_settings: ThrottleSettings,
    shared_attempts: Option<Arc<dyn crate::throttle::SharedAttempts>>,
    pub(super) registration_open: bool,
    pub(super) registration_roles: Roles,
    /// A hash of a random password, verified when the e-mail is unknown so that an unknown
    /// e-mail costs the same time as a wrong password and cannot be told apart.
    pub(super) decoy: Arc<OnceCell<PasswordHash>>,
    /// Whether a user's tenant is open, asked at every authentication and login of a
    /// multi-tenant deployment (none in a single-tenant one: its one tenant is always open).
    pub(super) tenant_gate: Option<Arc<super::tenant::TenantGate>>,
    /// Where what concerns no user of a tenant is recorded (a login with an unknown e-mail):
    /// `default`, or `platform` in a multi-tenant deployment, whose operators run it.
    pub(super) home: TenantId,
}

impl UserService {
    /// A service over `repo`, hashing with `hasher` and signing with `tokens`.
    pub fn new(
        repo: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<TokenService>,
    ) -> Self {
        Self {
            repo,
            hasher,
            tokens,
            hooks: HookChain::default(),
            policy: Arc::new(RolePolicy),
            statuses: Arc::new(StatusMemo::default()),
            throttle: Arc::new(Throttle::default()),
            throttle_settings: ThrottleSettings::default(),
            shared_attempts: None,
            registration_open: false,
            registration_roles: Roles::NONE,
            decoy: Arc::new(OnceCell::new()),
            tenant_gate: None,
            home: TenantId::default_tenant(),
        }
    }

    /// Adds hooks around user writes.
    pub fn with_hooks(mut self, hooks: HookChain<User, UserDraft>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Decides every call with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Limits password attempts and hashing as `settings` say instead of the defaults.
    pub fn with_throttle(mut self, settings: &ThrottleSettings) -> Self {
        self.throttle_settings = settings.clone();
        self.rebuild_throttle();
        self
    }

    /// Counts every account's password attempts in `store`, shared with the other replicas,
    /// so that replicas do not multiply an account's budget (the source addresses' limits stay
    /// per replica).
    pub fn with_shared_attempts(mut self, store: Arc<dyn crate::throttle::SharedAttempts>) -> Self {
        self.shared_attempts = Some(store);
        self.rebuild_throttle();
        self
    }

    fn rebuild_throttle(&mut self) {
        let throttle = Throttle::new(&self.throttle_settings);
        self.throttle = Arc::new(match &self.shared_attempts {
            Some(store) => throttle.with_shared(store.clone()),
            None => throttle,
        });
    }

    /// Lets anyone sign up ([`register`](Self::register)) as an active user with no role (it
    /// sees only itself until an administrator grants roles); closed by default.
    pub fn with_registration(mut self, open: bool) -> Self {
        self.registration_open = open;
        self
    }

    /// The roles a user who signs up gets (none by default).
    pub fn with_registration_roles(mut self, roles: Roles) -> Self {
        self.registration_roles = roles;
        self
    }

    /// The roles a user who signs up gets.
    pub fn registration_roles(&self) -> Roles {
        self.registration_roles
    }

    /// Whether anyone may sign up.
    pub fn registration_open(&self) -> bool {
        self.registration_open
    }

    fn allow(&self, actor: &Actor, action: Action, object: Option<Object<'_>>) -> Result<()> {
        authorize(&*self.policy, actor, action, Resource::Users, object)
    }

    /// Whether `actor` may do `action` on the stored `user`; one it may not read is not found.
    fn allow_stored(&self, actor: &Actor, action: Action, user: &User) -> Result<()> {
        let hidden = || Error::not_found("user", user.id);
        let object = Object::User(user);
        authorize_stored(
            &*self.policy,
            actor,
            action,
            Resource::Users,
            object,
            hidden,
        )
    }

    /// Whether `actor` may manage the user with `id` (change anything, delete it).
    fn manages(&self, actor: &Actor, id: i64) -> bool {
        self.policy.allows(&Request {
            actor,
            action: Action::Manage,
            resource: Resource::Users,
            object: Some(Object::UserId(id)),
        })
    }

    /// The user with `id`. Whether the caller may read it is decided before it is looked up, so
    /// a caller who may not learns nothing, not even whether it exists.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<User> {
        self.allow(actor, Action::Read, Some(Object::UserId(id)))?;
        let found = self.load(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Read, &found)?;
        self.hooks.after_read(&found).await;
        Ok(found)
    }

    /// The caller.
    pub async fn me(&self, actor: &Actor) -> Result<User> {
        self.get(actor, actor.user_id).await
    }

    pub(super) async fn load(&self, tenant: &TenantId, id: i64) -> Result<User> {
        (self.repo.get(tenant, id).await?).ok_or_else(|| Error::not_found("user", id))
    }

    /// Users matching `filter`, a page at a time.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        self.allow(actor, Action::Read, None)?;
        super::common::check_filters(&[
            ("first_name", filter.first_name.as_deref()),
            ("last_name", filter.last_name.as_deref()),
            ("email", filter.email.as_deref()),
            ("company", filter.company.as_deref()),
        ])?;
        let visible =
            |user: &User| may_read(&*self.policy, actor, Resource::Users, Object::User(user));
        let read = |spec| async move { self.repo.list(&actor.tenant, filter, &spec).await };
        super::common::visible_page(page, visible, read).await
    }

    /// Users with this e-mail (the original's GetUsersByEmail), compared case-insensitively.
    pub async fn by_email(
        &self,
        actor: &Actor,
        email: &str,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        let filter = UserFilter {
            email: Some(email.trim().to_owned()),
            ..Default::default()
        };
        self.list(actor, &filter, page).await
    }

    /// Creates a user (`users:manage`); roles default to `viewer`. The e-mail must be free
    /// (enforced by the store's unique index).
    pub async fn create(&self, actor: &Actor, input: NewUser) -> Result<User> {
        self.allow(actor, Action::Manage, None)?;
        let mut v = Violations::default();
        let context = [&*input.first_name, &input.last_name, &input.email];
        let password = v.check(Password::choose("password", &input.password, &context));
        let roles = input.roles.unwrap_or_else(Roles::default_for_new_user);
        v.check(rules::platform_roles(&actor.tenant, roles));
        let draft = user_draft(
            &mut v,
            Fields {
                first_name: &input.first_name,
                last_name: &input.last_name,
                email: &input.email,
                company: input.company.as_deref(),
                period: ValidityPeriod::parse(input.valid_from, input.valid_thru),
                active: input.active,
                roles,
            },
        );
        let (Some(mut draft), Some(password), true) = (draft, password, v.is_empty()) else {
            return Err(v.into_error());
        };
        let now = values::now();
        let event = PendingEvent::new::<User>(ActionType::Insert, actor, now);
        let new = draft.stored(0, now, &event, 1);
        self.allow(actor, Action::Manage, Some(Object::User(&new)))?;
        self.hooks.before_create(actor, &draft).await?;
        draft.password_hash = Some(self.hash(password).await?);
        let user = self.repo.create(&actor.tenant, &draft, event).await?;
        self.hooks.after_create(actor, &user).await;
        Ok(user)
    }

    /// Changes a user; absent fields keep their value, a new password is hashed again. With
    /// `users:manage` every field; a user on itself only its names (self-service: nobody gives
    /// themselves a role, or moves themselves to another company, which a company-scoped
    /// policy trusts). A new password, other roles or a deactivation end
    /// every token issued before.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        changes: UserChanges,
        version: Option<i64>,
    ) -> Result<User> {
        let manages = self.manages(actor, id);
        if !manages {
            self.allow(actor, Action::Update, Some(Object::UserId(id)))?;
        }
        let current = self.load(&actor.tenant, id).await?;
        let action = if manages {
            Action::Manage
        } else {
            Action::Update
        };
        self.allow_stored(actor, action, &current)?;
        if !manages {
            rules::self_service_only(&changes, &current)?;
        }
        let new_email = (changes.email.as_deref())
            .is_some_and(|e| !e.trim().eq_ignore_ascii_case(current.email.trim()));
        if actor.user_id == id && (changes.password.is_some() || new_email) {
            self.confirm_own_password(actor, changes.current_password.as_ref())
                .await?;
        }
        let expected = expected_version("user", id, version, current.version)?;
        let mut v = Violations::default();
        let password = match &changes.password {
            Some(p) => {
                let first = changes.first_name.as_deref().unwrap_or(&current.first_name);
                let last = changes.last_name.as_deref().unwrap_or(&current.last_name);
                let email = changes.email.as_deref().unwrap_or(&current.email);
                let context = [first, last, email, &current.email];
                v.check(Password::choose("password", p, &context)).map(Some)
            }
            None => Some(None),
        };
        let period = merged_period(
            (current.valid_from, current.valid_thru),
            changes.valid_from,
            changes.valid_thru,
        )
        .map_err(|e| vec![e]);
        let company = values::merged_optional(current.company.clone(), changes.company);
        let roles = changes.roles.unwrap_or(current.roles);
        v.check(rules::platform_roles(&actor.tenant, roles));
        let draft = user_draft(
            &mut v,
            Fields {
                first_name: changes.first_name.as_deref().unwrap_or(&current.first_name),
                last_name: changes.last_name.as_deref().unwrap_or(&current.last_name),
                email: changes.email.as_deref().unwrap_or(&current.email),
                company: company.as_deref(),
                period,
                active: changes.active.unwrap_or(current.active),
                roles,
            },
        );
        let (Some(mut draft), Some(password), true) = (draft, password, v.is_empty()) else {
            return Err(v.into_error());
        };
        let event = update_event(actor);
        let result = draft.stored(id, current.created_at, &event, current.version + 1);
        self.allow(actor, action, Some(Object::User(&result)))?;
        self.hooks.before_update(actor, &current, &draft).await?;
        if let Some(password) = password {
            draft.password_hash = Some(self.hash(password).await?);
        }
        self.write_update(actor, &current, (draft, event), expected, None)
            .await
    }

    /// Stores a changed user (`draft`, with the `event` of its change, made by [`update_event`]): ends its tokens when the change takes rights or the password,
    /// keeps the last active admin, evicts what authentication cached of it.
    pub(super) async fn write_update(
        &self,
        actor: &Actor,
        current: &User,
        (mut draft, mut event): (UserDraft, PendingEvent),
        expected: i64,
        action_func: Option<&str>,
    ) -> Result<User> {
        let deactivated = current.active && !draft.active;
        let roles_changed = draft.roles != current.roles;
        draft.revoke_tokens |= draft.password_hash.is_some() || roles_changed || deactivated;
        // The audit trail tells a role change and a password change apart from other updates.
        if let Some(name) = action_func.or(roles_changed.then_some("change_roles")) {
            event.action_func = name.to_owned();
        }
        let user = (self
            .repo
            .update(&actor.tenant, current.id, &draft, expected, event))
        .await
        .map_err(email_taken_by_another)
        .map_err(|e| last_admin(e, deactivated))?;
        self.evict(current.id).await;
        self.hooks.after_update(actor, current, &user).await;
        Ok(user)
    }

    /// Deletes a user (`users:manage`). An active user cannot be deleted: deactivate it first
    /// (which also keeps the last active admin).
    pub async fn delete(&self, actor: &Actor, id: i64, version: Option<i64>) -> Result<User> {
        self.allow(actor, Action::Manage, Some(Object::UserId(id)))?;
        let current = self.load(&actor.tenant, id).await?;
        self.allow_stored(actor, Action::Manage, &current)?;
        let expected = expected_version("user", id, version, current.version)?;
        if current.active {
            return Err(Error::conflict(
                ConflictKind::State,
                Some("active"),
                crate::tr!("conflict.active_user_delete"),
            ));
        }
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<User>(ActionType::Delete, actor, values::now());
        let deleted = (self.repo.delete(&actor.tenant, id, expected, event)).await?;
        self.evict(id).await;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// Drops what authentication remembered of user `id`, after a committed change.
    pub(super) async fn evict(&self, id: i64) {
        self.statuses.evict(id);
    }

    pub(super) async fn hash(&self, password: Password) -> Result<PasswordHash> {
        let hasher = self.hasher.clone();
        self.throttle
            .hashing(move || hasher.hash(&password))
            .await?
    }
}

/// The event of a change of a user by `actor`, made before the change is checked so the
/// policy sees the user as it will be stored.
pub(super) fn update_event(actor: &Actor) -> PendingEvent {
    PendingEvent::new::<User>(ActionType::Update, actor, values::now())
}
