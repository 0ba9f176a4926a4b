//! Users and authentication.

use super::common::{expected_version, merged_period};
use crate::actor::Actor;
use crate::auth::{PasswordHasher, TokenService, Verification};
use crate::cache::CacheLayer;
use crate::entities::{
    AuthStatus, NewRegistration, NewUser, User, UserChanges, UserDraft, UserFilter,
};
use crate::error::{ConflictKind, Error, FieldError, Result, Violations};
use crate::event::{Access, ActionType, AuditEvent, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest, PageSpec};
use crate::policy::{
    Action, Object, Policy, Request, Resource, Role, RolePolicy, Roles, authorize,
};
use crate::ports::UserRepository;
use crate::throttle::{Throttle, ThrottleSettings};
use crate::values::{self, Email, Password, PasswordHash, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

const NAME_MAX: usize = 100;
const COMPANY_MAX: usize = 255;

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    /// Bearer token for every other call.
    pub token: String,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
}

/// A token that still stands for its user: who the caller is, and until when the token says it
/// is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The caller, with its roles as stored now.
    pub actor: Actor,
    /// The token's expiry.
    pub expires_at: DateTime<Utc>,
}

/// The user service: user CRUD, self-service, login and authentication of every call.
#[derive(Clone)]
pub struct UserService {
    repo: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<TokenService>,
    hooks: HookChain<User, UserDraft>,
    policy: Arc<dyn Policy>,
    cache: Option<CacheLayer>,
    throttle: Arc<Throttle>,
    registration_open: bool,
    /// A hash of a random password, verified when the e-mail is unknown so that an unknown
    /// e-mail costs the same time as a wrong password and cannot be told apart.
    decoy: Arc<OnceCell<PasswordHash>>,
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
            cache: None,
            throttle: Arc::new(Throttle::default()),
            registration_open: false,
            decoy: Arc::new(OnceCell::new()),
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

    /// Serves what authenticating a call needs of its user through `cache`; every change of a
    /// user evicts it (here at once, elsewhere by the change event).
    pub fn with_cache(mut self, cache: CacheLayer) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Limits password attempts and hashing as `settings` say instead of the defaults.
    pub fn with_throttle(mut self, settings: &ThrottleSettings) -> Self {
        self.throttle = Arc::new(Throttle::new(settings));
        self
    }

    /// Lets anyone sign up as an active `viewer` ([`register`](Self::register)); closed by
    /// default.
    pub fn with_registration(mut self, open: bool) -> Self {
        self.registration_open = open;
        self
    }

    /// Whether anyone may sign up.
    pub fn registration_open(&self) -> bool {
        self.registration_open
    }

    /// Signs a stranger up, when registration is open: an active `viewer`, valid from now for a
    /// hundred years, limited like a login (per e-mail and per address). Closed: refused, and the
    /// transports answer as if the route did not exist.
    pub async fn register(&self, source: Option<IpAddr>, input: NewRegistration) -> Result<User> {
        if !self.registration_open {
            return Err(Error::PermissionDenied(
                "registration is closed: an administrator creates users".into(),
            ));
        }
        let account: String = format!("register {}", input.email.trim().to_lowercase())
            .chars()
            .take(330)
            .collect();
        self.throttle.before_attempt(&account, source)?;
        // Every sign-up counts against the e-mail, so one address cannot be tried at length.
        self.throttle.failed(&account);
        let now = values::now();
        let new = NewUser {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            company: None,
            valid_from: Some(now),
            valid_thru: Some(now + chrono::Duration::days(365 * 100)),
            active: true,
            roles: Some(Roles::default_for_new_user()),
            password: input.password,
        };
        self.create(&Actor::system(), new).await
    }

    fn allow(&self, actor: &Actor, action: Action, object: Option<Object<'_>>) -> Result<()> {
        authorize(&*self.policy, actor, action, Resource::Users, object)
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
        let found = self.load(id).await?;
        self.hooks.after_read(&found).await;
        Ok(found)
    }

    /// The caller.
    pub async fn me(&self, actor: &Actor) -> Result<User> {
        self.get(actor, actor.user_id).await
    }

    async fn load(&self, id: i64) -> Result<User> {
        (self.repo.get(id).await?).ok_or_else(|| Error::not_found("user", id))
    }

    /// Users matching `filter`, a page at a time.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        self.allow(actor, Action::Read, None)?;
        let spec = PageSpec::parse(page)?;
        super::common::check_filters(&[
            ("first_name", filter.first_name.as_deref()),
            ("last_name", filter.last_name.as_deref()),
            ("email", filter.email.as_deref()),
            ("company", filter.company.as_deref()),
        ])?;
        self.repo.list(filter, &spec).await
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
        let password = v.check(Password::parse("password", &input.password));
        let draft = user_draft(
            &mut v,
            Fields {
                first_name: &input.first_name,
                last_name: &input.last_name,
                email: &input.email,
                company: input.company.as_deref(),
                period: ValidityPeriod::parse(input.valid_from, input.valid_thru),
                active: input.active,
                roles: input.roles.unwrap_or_else(Roles::default_for_new_user),
            },
        );
        let (Some(mut draft), Some(password)) = (draft, password) else {
            return Err(v.into_error());
        };
        self.hooks.before_create(actor, &draft).await?;
        draft.password_hash = Some(self.hash(password).await?);
        let event = PendingEvent::new::<User>(ActionType::Insert, actor, values::now());
        let user = self.repo.create(&draft, event).await?;
        self.hooks.after_create(actor, &user).await;
        Ok(user)
    }

    /// Changes a user; absent fields keep their value, a new password is hashed again. With
    /// `users:manage` every field; a user on itself only its names and company (self-service:
    /// nobody gives themselves a role). A new password, other roles or a deactivation end
    /// every token issued before.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        changes: UserChanges,
        version: Option<i64>,
    ) -> Result<User> {
        if !self.manages(actor, id) {
            self.allow(actor, Action::Update, Some(Object::UserId(id)))?;
            self_service_only(&changes)?;
        }
        let current = self.load(id).await?;
        let expected = expected_version("user", id, version, current.version)?;
        let mut v = Violations::default();
        let password = match &changes.password {
            Some(p) => v.check(Password::parse("password", p)).map(Some),
            None => Some(None),
        };
        let period = merged_period(
            (current.valid_from, current.valid_thru),
            changes.valid_from,
            changes.valid_thru,
        )
        .map_err(|e| vec![e]);
        let company = values::merged_optional(current.company.clone(), changes.company);
        let draft = user_draft(
            &mut v,
            Fields {
                first_name: changes.first_name.as_deref().unwrap_or(&current.first_name),
                last_name: changes.last_name.as_deref().unwrap_or(&current.last_name),
                email: changes.email.as_deref().unwrap_or(&current.email),
                company: company.as_deref(),
                period,
                active: changes.active.unwrap_or(current.active),
                roles: changes.roles.unwrap_or(current.roles),
            },
        );
        let (Some(mut draft), Some(password)) = (draft, password) else {
            return Err(v.into_error());
        };
        self.hooks.before_update(actor, &current, &draft).await?;
        if let Some(password) = password {
            draft.password_hash = Some(self.hash(password).await?);
        }
        self.write_update(actor, &current, draft, expected, "update_user")
            .await
    }

    /// Stores a changed user: ends its tokens when the change takes rights or the password,
    /// keeps the last active admin, evicts what authentication cached of it.
    async fn write_update(
        &self,
        actor: &Actor,
        current: &User,
        mut draft: UserDraft,
        expected: i64,
        action_func: &str,
    ) -> Result<User> {
        let deactivated = current.active && !draft.active;
        draft.revoke_tokens =
            draft.password_hash.is_some() || draft.roles != current.roles || deactivated;
        let mut event = PendingEvent::new::<User>(ActionType::Update, actor, values::now());
        // The audit trail tells a role change and a password change apart from other updates.
        event.action_func = match action_func {
            "update_user" if draft.roles != current.roles => "change_roles".to_owned(),
            other => other.to_owned(),
        };
        let user = (self.repo.update(current.id, &draft, expected, event).await)
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
        let current = self.load(id).await?;
        let expected = expected_version("user", id, version, current.version)?;
        if current.active {
            return Err(Error::conflict(
                ConflictKind::State,
                Some("active"),
                "active: an active user cannot be deleted; deactivate it first",
            ));
        }
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<User>(ActionType::Delete, actor, values::now());
        let deleted = self.repo.delete(id, expected, event).await?;
        self.evict(id).await;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// Changes the caller's own password, given the current one (refused like a failed login
    /// when wrong). Every token issued before, the caller's own included, stops working.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current_password: &SecretString,
        new_password: &SecretString,
        source: Option<IpAddr>,
    ) -> Result<()> {
        let account = format!("user {}", actor.user_id);
        self.throttle.before_attempt(&account, source)?;
        let new_password = Password::parse("new_password", new_password)?;
        let user = self.load(actor.user_id).await?;
        let email = Email::parse("email", &user.email)?;
        let Some((status, hash)) = self.repo.credentials(&email).await? else {
            return Err(Error::not_found("user", actor.user_id));
        };
        if self.verify(current_password, hash).await? == Verification::Mismatch {
            let user_id = Some(actor.user_id);
            self.record_access("change_password_failed", user_id, None)
                .await;
            self.failed_attempt(&account, user_id).await;
            return Err(denied());
        }
        let user = status.user;
        let mut draft = user_draft(
            &mut Violations::default(),
            Fields {
                first_name: &user.first_name,
                last_name: &user.last_name,
                email: &user.email,
                company: user.company.as_deref(),
                period: ValidityPeriod::new(user.valid_from, user.valid_thru).map_err(|e| vec![e]),
                active: user.active,
                roles: user.roles,
            },
        )
        .ok_or_else(|| Error::internal("a stored user no longer passes its own rules"))?;
        self.hooks.before_update(actor, &user, &draft).await?;
        draft.password_hash = Some(self.hash(new_password).await?);
        self.write_update(actor, &user, draft, user.version, "change_password")
            .await
            .map(drop)
    }

    /// Who a bearer token stands for now: refused when the token is invalid or expired, when
    /// its user is gone, inactive or outside its validity, and when the user's tokens were
    /// revoked after it was issued. The roles are the user's current ones.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated> {
        let refused = || Error::Unauthenticated("invalid or expired token".into());
        let verified = self.tokens.verify(token)?;
        let Some(status) = self.auth_status(verified.user_id).await? else {
            return Err(refused());
        };
        let user = &status.user;
        if status.token_version != verified.token_version
            || !user.active
            || !user.is_valid_at(values::now())
        {
            return Err(refused());
        }
        Ok(Authenticated {
            actor: Actor::new(user.id, user.roles).in_company(user.company.as_deref()),
            expires_at: verified.expires_at,
        })
    }

    async fn auth_status(&self, id: i64) -> Result<Option<AuthStatus>> {
        match &self.cache {
            Some(cache) => {
                let key = id.to_string();
                cache.get_or_load(&key, || self.repo.auth_status(id)).await
            }
            None => self.repo.auth_status(id).await,
        }
    }

    /// Drops what authentication cached of user `id`, after a committed change.
    async fn evict(&self, id: i64) {
        if let Some(cache) = &self.cache {
            cache.evict::<AuthStatus>(&id.to_string()).await;
        }
    }

    /// Exchanges e-mail and password for a token. Every failure (unknown e-mail, wrong password,
    /// inactive user, user outside its validity) is the same error after the same amount of
    /// hashing work, so a caller learns nothing about which accounts exist.
    pub async fn login(&self, email: &str, password: &SecretString) -> Result<LoginOutcome> {
        self.login_from(None, email, password).await
    }

    /// [`login`](Self::login) by a caller at `source`: failed attempts put the account in a
    /// growing back-off, and each address has a (looser) limit of its own, so one locked account
    /// does not hold back another's login from the same place. Over either: `TooManyRequests`.
    pub async fn login_from(
        &self,
        source: Option<IpAddr>,
        email: &str,
        password: &SecretString,
    ) -> Result<LoginOutcome> {
        let account: String = email.trim().to_lowercase().chars().take(320).collect();
        self.throttle.before_attempt(&account, source)?;
        let (outcome, user_id) = self.check_login(email, password).await;
        match &outcome {
            Ok(done) => self.record_access("login", Some(done.user.id), None).await,
            Err(Error::Unauthenticated(_)) => {
                self.record_access("login_failed", user_id, None).await;
                self.failed_attempt(&account, user_id).await;
            }
            Err(_) => {}
        }
        outcome
    }

    /// Counts a failed attempt; a back-off it starts is an access event too.
    async fn failed_attempt(&self, account: &str, user_id: Option<i64>) {
        if let Some(wait) = self.throttle.failed(account) {
            self.record_access("lockout", user_id, Some(wait)).await;
        }
    }

    /// Writes an access event for the audit trail. Best effort: an outbox that cannot be
    /// written is logged, and does not turn a login into a failure.
    async fn record_access(&self, what: &str, user_id: Option<i64>, wait: Option<Duration>) {
        let access = Access {
            user_id,
            retry_after_secs: wait.map(|w| w.as_secs().max(1)),
        };
        let event = AuditEvent::access(what, access, values::now());
        if let Err(e) = self.repo.record_access(&event).await {
            let error = crate::error::report(&e);
            tracing::warn!(%error, what, "an access event could not be recorded");
        }
    }

    /// The outcome of a login, and the user the e-mail named when there is one.
    async fn check_login(
        &self,
        email: &str,
        password: &SecretString,
    ) -> (Result<LoginOutcome>, Option<i64>) {
        let mut user_id = None;
        let outcome = self.try_login(email, password, &mut user_id).await;
        (outcome, user_id)
    }

    async fn try_login(
        &self,
        email: &str,
        password: &SecretString,
        user_id: &mut Option<i64>,
    ) -> Result<LoginOutcome> {
        let found = match Email::parse("email", email) {
            Ok(email) => self.repo.credentials(&email).await?,
            Err(_) => None,
        };
        let (status, hash) = match found {
            Some((status, hash)) => (Some(status), hash),
            None => (None, self.decoy_hash().await?),
        };
        *user_id = status.as_ref().map(|s| s.user.id);
        let verdict = self.verify(password, hash).await?;
        let Some(AuthStatus {
            user,
            token_version,
        }) = status
        else {
            return Err(denied());
        };
        let now = values::now();
        if verdict == Verification::Mismatch || !user.active || !user.is_valid_at(now) {
            return Err(denied());
        }
        if verdict == Verification::MatchNeedsRehash {
            self.upgrade_hash(&user, password).await;
        }
        let issued = self.tokens.issue(user.id, token_version, now)?;
        Ok(LoginOutcome {
            token: issued.token,
            expires_at: issued.expires_at,
            user,
        })
    }

    /// Checks a password against a stored hash on a blocking thread, when the hashing pool has
    /// a turn free.
    async fn verify(&self, password: &SecretString, hash: PasswordHash) -> Result<Verification> {
        let secret = password.clone();
        let hasher = self.hasher.clone();
        self.throttle
            .hashing(move || {
                use secrecy::ExposeSecret as _;
                hasher.verify(secret.expose_secret(), &hash)
            })
            .await
    }

    async fn hash(&self, password: Password) -> Result<PasswordHash> {
        let hasher = self.hasher.clone();
        self.throttle
            .hashing(move || hasher.hash(&password))
            .await?
    }

    async fn decoy_hash(&self) -> Result<PasswordHash> {
        self.decoy
            .get_or_try_init(|| async {
                let random = SecretString::from(uuid::Uuid::new_v4().to_string());
                self.hash(Password::parse("password", &random)?).await
            })
            .await
            .cloned()
    }

    /// Re-hashes an old-style hash with the current algorithm. A failure here must not fail the
    /// login the user just passed: it is logged and retried at the next login.
    async fn upgrade_hash(&self, user: &User, password: &SecretString) {
        let result = async {
            let password = Password::parse("password", password)?;
            let hash = self.hash(password).await?;
            self.repo.set_password_hash(user.id, &hash).await
        }
        .await;
        match result {
            Ok(()) => tracing::info!(user_id = user.id, "password hash upgraded to argon2id"),
            Err(e) => tracing::warn!(user_id = user.id, error = %e, "password hash upgrade failed"),
        }
    }
}

/// Parses and checks every user field, recording all failures in `v`.
/// A user's fields before any rule ran, from a create, a merged update or the stored user.
struct Fields<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    company: Option<&'a str>,
    period: std::result::Result<ValidityPeriod, Vec<FieldError>>,
    active: bool,
    roles: Roles,
}

fn user_draft(v: &mut Violations, fields: Fields<'_>) -> Option<UserDraft> {
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
fn email_taken_by_another(e: Error) -> Error {
    match e {
        Error::Conflict {
            kind: ConflictKind::Duplicate,
            field: Some(f),
            ..
        } if f == "email" => Error::conflict(
            ConflictKind::Duplicate,
            Some("email"),
            "email: another user already has this e-mail",
        ),
        other => other,
    }
}

/// The one answer to every failed login or wrong current password.
fn denied() -> Error {
    Error::Unauthenticated("invalid e-mail or password".into())
}

/// What a user may change of itself without `users:manage`: names and company. Anything else
/// is refused, naming the field.
fn self_service_only(changes: &UserChanges) -> Result<()> {
    let refused = [
        ("email", changes.email.is_some()),
        ("valid_from", changes.valid_from.is_some()),
        ("valid_thru", changes.valid_thru.is_some()),
        ("active", changes.active.is_some()),
        ("roles", changes.roles.is_some()),
        ("password", changes.password.is_some()),
    ];
    match refused.into_iter().find(|(_, given)| *given) {
        Some(("password", _)) => Err(Error::PermissionDenied(
            "password: change your own with POST /v1/auth/password and the current one".into(),
        )),
        Some((field, _)) => Err(Error::PermissionDenied(format!(
            "{field}: only a user with users:manage may change it"
        ))),
        None => Ok(()),
    }
}

/// The store refuses a change that leaves no active admin on `roles`; a deactivation says so
/// on `active`.
fn last_admin(e: Error, deactivated: bool) -> Error {
    match e {
        Error::Conflict {
            kind: ConflictKind::State,
            field: Some(f),
            ..
        } if f == "roles" && deactivated => Error::conflict(
            ConflictKind::State,
            Some("active"),
            "active: the last active admin cannot be deactivated",
        ),
        Error::Conflict {
            kind: ConflictKind::State,
            field: Some(f),
            ..
        } if f == "roles" => Error::conflict(
            ConflictKind::State,
            Some("roles"),
            format!("roles: the last active admin cannot lose {}", Role::Admin),
        ),
        other => other,
    }
}
