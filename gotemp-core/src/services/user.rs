//! Users and authentication.

use super::common::{blocking, expected_version, merged_period};
use crate::actor::Actor;
use crate::auth::{PasswordHasher, TokenService, Verification, VerifiedToken};
use crate::entities::{NewUser, User, UserChanges, UserDraft, UserFilter};
use crate::error::{ConflictKind, Error, Result, Violations};
use crate::event::{ActionType, PendingEvent};
use crate::hooks::HookChain;
use crate::page::{Page, PageRequest, PageSpec};
use crate::ports::UserRepository;
use crate::values::{self, Email, Password, PasswordHash, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;
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

/// The user service: user CRUD, login and token validation.
#[derive(Clone)]
pub struct UserService {
    repo: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<TokenService>,
    hooks: HookChain<User, UserDraft>,
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
            decoy: Arc::new(OnceCell::new()),
        }
    }

    /// Adds hooks around user writes.
    pub fn with_hooks(mut self, hooks: HookChain<User, UserDraft>) -> Self {
        self.hooks = hooks;
        self
    }

    /// The user with `id`.
    pub async fn get(&self, id: i64) -> Result<User> {
        let found = (self.repo.get(id).await?).ok_or_else(|| Error::not_found("user", id))?;
        self.hooks.after_read(&found).await;
        Ok(found)
    }

    /// Users matching `filter`, a page at a time.
    pub async fn list(&self, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
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
    pub async fn by_email(&self, email: &str, page: &PageRequest) -> Result<Page<User>> {
        let filter = UserFilter {
            email: Some(email.trim().to_owned()),
            ..Default::default()
        };
        self.list(&filter, page).await
    }

    /// Creates a user. The e-mail must be free (enforced by the store's unique index).
    pub async fn create(&self, actor: &Actor, input: NewUser) -> Result<User> {
        let mut v = Violations::default();
        let password = v.check(Password::parse("password", &input.password));
        let draft = user_draft(
            &mut v,
            &input.first_name,
            &input.last_name,
            &input.email,
            input.company.as_deref(),
            ValidityPeriod::parse(input.valid_from, input.valid_thru),
            input.active,
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

    /// Changes a user; absent fields keep their value, a new password is hashed again.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        changes: UserChanges,
        version: Option<i64>,
    ) -> Result<User> {
        let current = self.get(id).await?;
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
        let draft = user_draft(
            &mut v,
            changes.first_name.as_deref().unwrap_or(&current.first_name),
            changes.last_name.as_deref().unwrap_or(&current.last_name),
            changes.email.as_deref().unwrap_or(&current.email),
            values::merged_optional(current.company.clone(), changes.company).as_deref(),
            period,
            changes.active.unwrap_or(current.active),
        );
        let (Some(mut draft), Some(password)) = (draft, password) else {
            return Err(v.into_error());
        };
        self.hooks.before_update(actor, &current, &draft).await?;
        if let Some(password) = password {
            draft.password_hash = Some(self.hash(password).await?);
        }
        let event = PendingEvent::new::<User>(ActionType::Update, actor, values::now());
        let user = self
            .repo
            .update(id, &draft, expected, event)
            .await
            .map_err(email_taken_by_another)?;
        self.hooks.after_update(actor, &current, &user).await;
        Ok(user)
    }

    /// Deletes a user.
    pub async fn delete(&self, actor: &Actor, id: i64, version: Option<i64>) -> Result<User> {
        let current = self.get(id).await?;
        let expected = expected_version("user", id, version, current.version)?;
        self.hooks.before_delete(actor, &current).await?;
        let event = PendingEvent::new::<User>(ActionType::Delete, actor, values::now());
        let deleted = self.repo.delete(id, expected, event).await?;
        self.hooks.after_delete(actor, &deleted).await;
        Ok(deleted)
    }

    /// Exchanges e-mail and password for a token. Every failure (unknown e-mail, wrong password,
    /// inactive user, user outside its validity) is the same error after the same amount of
    /// hashing work, so a caller learns nothing about which accounts exist.
    pub async fn login(&self, email: &str, password: &SecretString) -> Result<LoginOutcome> {
        let denied = || Error::Unauthenticated("invalid e-mail or password".into());
        let found = match Email::parse("email", email) {
            Ok(email) => self.repo.credentials(&email).await?,
            Err(_) => None,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, self.decoy_hash().await?),
        };
        let secret = password.clone();
        let hasher = self.hasher.clone();
        let checked = hash.clone();
        let verdict = blocking(move || {
            use secrecy::ExposeSecret as _;
            hasher.verify(secret.expose_secret(), &checked)
        })
        .await?;
        let Some(user) = user else {
            return Err(denied());
        };
        let now = values::now();
        if verdict == Verification::Mismatch || !user.active || !user.is_valid_at(now) {
            return Err(denied());
        }
        if verdict == Verification::MatchNeedsRehash {
            self.upgrade_hash(&user, password).await;
        }
        let issued = self.tokens.issue(user.id, now)?;
        Ok(LoginOutcome {
            token: issued.token,
            expires_at: issued.expires_at,
            user,
        })
    }

    /// Checks a token and says whom it stands for.
    pub fn validate_token(&self, token: &str) -> Result<VerifiedToken> {
        self.tokens.verify(token)
    }

    async fn hash(&self, password: Password) -> Result<PasswordHash> {
        let hasher = self.hasher.clone();
        blocking(move || hasher.hash(&password)).await?
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
fn user_draft(
    v: &mut Violations,
    first_name: &str,
    last_name: &str,
    email: &str,
    company: Option<&str>,
    period: std::result::Result<ValidityPeriod, Vec<crate::error::FieldError>>,
    active: bool,
) -> Option<UserDraft> {
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
                password_hash: None,
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
