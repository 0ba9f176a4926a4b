//! Logging in, authenticating every call, self-service (what a user may change of itself, its
//! password) and registration: the part of the user service that handles secrets, behind the
//! limits of [`Throttle`].
//!
//! [`Throttle`]: crate::throttle::Throttle

mod answers;
use super::user::{UserService, update_event};
use crate::actor::Actor;
use crate::auth::Verification;
use crate::entities::{AuthStatus, NewRegistration, NewUser, User};
use crate::error::{Error, Result};
use crate::event::{Access, AuditEvent};
use crate::throttle::Attempt;
use crate::values::{self, Email, Password, PasswordHash, TenantId};
use answers::{account, count_login, denied, unchanged};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::net::IpAddr;
use std::time::Duration;

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    /// Bearer token for every other call.
    pub token: String,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
    /// The tenant the user belongs to.
    pub tenant: TenantId,
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

impl UserService {
    /// Signs a stranger up, when registration is open: an active user with the registration
    /// roles (none unless the deployment set some), valid from now for a hundred years, limited like a login (per e-mail and per address). Closed: refused, and the
    /// transports answer as if the route did not exist.
    ///
    /// In a multi-tenant deployment a stranger must not join a tenant it does not own: the
    /// sign-up names an organisation, and creates its tenant with the registrant as its
    /// administrator.
    pub async fn register(&self, source: Option<IpAddr>, input: NewRegistration) -> Result<User> {
        if !self.registration_open {
            return Err(Error::PermissionDenied(crate::tr!(
                "denied.registration_closed"
            )));
        }
        let account = format!("register {}", account(&input.email));
        // Every sign-up counts against the e-mail, so one address cannot be tried at length.
        let _ = self
            .throttle
            .reserve(&account, source)
            .await?
            .failed()
            .await;
        if let Some(gate) = &self.tenant_gate {
            let tenants = gate.repo().clone();
            return self.sign_up_organisation(&tenants, input).await;
        }
        let now = values::now();
        let new = NewUser {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            company: None,
            valid_from: Some(now),
            valid_thru: Some(now + chrono::Duration::days(365 * 100)),
            active: true,
            roles: Some(self.registration_roles),
            password: input.password,
        };
        // Single-tenant: every registrant joins the one tenant there is.
        self.create(&Actor::system(TenantId::default_tenant()), new)
            .await
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
        let attempt = self.throttle.reserve(&account, source).await?;
        let user = self.load(&actor.tenant, actor.user_id).await?;
        let context = [&*user.first_name, &user.last_name, &user.email];
        let new_password = Password::choose("new_password", new_password, &context)?;
        let email = Email::parse("email", &user.email)?;
        let Some((status, hash)) = self.repo.credentials(&email).await? else {
            return Err(Error::not_found("user", actor.user_id));
        };
        if self.verify(current_password, hash).await? == Verification::Mismatch {
            let user_id = Some(actor.user_id);
            let tenant = &actor.tenant;
            (self.record_access(tenant, "change_password_failed", user_id, None)).await;
            self.failed_attempt(attempt, tenant, user_id).await;
            return Err(denied());
        }
        attempt.succeeded().await;
        let user = status.user;
        let mut draft = unchanged(&user)?;
        self.hooks.before_update(actor, &user, &draft).await?;
        draft.password_hash = Some(self.hash(new_password).await?);
        let change = (draft, update_event(actor));
        self.write_update(actor, &user, change, user.version, Some("change_password"))
            .await
            .map(drop)
    }

    /// Checks `given` against the caller's own password before a change of its password or
    /// e-mail made through an ordinary update (`users:manage` on oneself): missing or wrong, the
    /// change is refused naming `current_password`; wrong guesses count like failed logins.
    pub(super) async fn confirm_own_password(
        &self,
        actor: &Actor,
        given: Option<&SecretString>,
    ) -> Result<()> {
        let field = |code: &'static str, key: &str| {
            Error::invalid(crate::FieldError::new(
                "current_password",
                code,
                crate::i18n::text(key, &[]),
            ))
        };
        let Some(given) = given else {
            return Err(field("required", "field.current_password_required"));
        };
        let account = format!("user {}", actor.user_id);
        let attempt = self.throttle.reserve(&account, None).await?;
        let user = self.load(&actor.tenant, actor.user_id).await?;
        let email = Email::parse("email", &user.email)?;
        let Some((_, hash)) = self.repo.credentials(&email).await? else {
            return Err(Error::not_found("user", actor.user_id));
        };
        if self.verify(given, hash).await? == Verification::Mismatch {
            let user_id = Some(actor.user_id);
            let tenant = &actor.tenant;
            (self.record_access(tenant, "change_password_failed", user_id, None)).await;
            self.failed_attempt(attempt, tenant, user_id).await;
            return Err(field("wrong_password", "field.current_password_wrong"));
        }
        attempt.succeeded().await;
        Ok(())
    }

    /// Ends the caller's sessions: every token of the caller issued so far — the one of this
    /// call included — is refused from now on (within the 2 s revocation bound on services
    /// deployed apart). Tokens are not told apart per device, so this logs the caller out
    /// everywhere; the audit trail records it as `logout`.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        let user = self.load(&actor.tenant, actor.user_id).await?;
        let mut draft = unchanged(&user)?;
        draft.revoke_tokens = true;
        let change = (draft, update_event(actor));
        self.write_update(actor, &user, change, user.version, Some("logout"))
            .await
            .map(drop)
    }

    /// Who a bearer token stands for now: refused when the token is invalid or expired, when
    /// its user is gone, inactive or outside its validity, and when the user's tokens were
    /// revoked after it was issued. The roles are the user's current ones.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated> {
        let refused = || Error::Unauthenticated(crate::tr!("auth.invalid_token"));
        let verified = self.tokens.verify(token)?;
        let Some(status) = self.auth_status(&verified.tenant, verified.user_id).await? else {
            return Err(refused());
        };
        let user = &status.user;
        // The token's tenant is checked against the user's: a token cannot move a user.
        if status.tenant != verified.tenant
            || status.token_version != verified.token_version
            || !user.active
            || !user.is_valid_at(values::now())
        {
            return Err(refused());
        }
        if !self.tenant_open(&status.tenant).await? {
            return Err(refused());
        }
        Ok(Authenticated {
            actor: Actor::new(status.tenant.clone(), user.id, user.roles)
                .in_company(user.company.as_deref())
                .with_credentials(secrecy::SecretString::from(token.to_owned())),
            expires_at: verified.expires_at,
        })
    }

    async fn auth_status(&self, tenant: &TenantId, id: i64) -> Result<Option<AuthStatus>> {
        if let Some(status) = self.statuses.get(id) {
            return Ok(Some(status));
        }
        let token = self.statuses.before_read();
        let status = self.repo.auth_status(tenant, id).await?;
        if let Some(status) = &status {
            self.statuses.put(id, status, token);
        }
        Ok(status)
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
        // A process that only checks tokens sends the caller elsewhere before any work.
        self.tokens.can_issue()?;
        let account = account(email);
        let attempt = match self.throttle.reserve(&account, source).await {
            Ok(attempt) => attempt,
            Err(refused) => {
                count_login(Err(&refused));
                return Err(refused);
            }
        };
        let mut named = None;
        let outcome = self.try_login(email, password, &mut named).await;
        count_login(outcome.as_ref().map(drop));
        // An attempt that named no user is recorded in the deployment's own tenant.
        let (tenant, user_id) = match named {
            Some((tenant, id)) => (tenant, Some(id)),
            None => (self.home.clone(), None),
        };
        match &outcome {
            Ok(done) => {
                attempt.succeeded().await;
                (self.record_access(&tenant, "login", Some(done.user.id), None)).await
            }
            Err(Error::Unauthenticated(_)) => {
                (self.record_access(&tenant, "login_failed", user_id, None)).await;
                self.failed_attempt(attempt, &tenant, user_id).await;
            }
            // The check could not run (hashing busy, a database error): not counted.
            Err(_) => drop(attempt),
        }
        outcome
    }

    /// Counts a failed attempt; a back-off it starts is an access event too.
    async fn failed_attempt(&self, attempt: Attempt<'_>, tenant: &TenantId, user_id: Option<i64>) {
        if let Some(wait) = attempt.failed().await {
            (self.record_access(tenant, "lockout", user_id, Some(wait))).await;
        }
    }

    /// Writes an access event for the audit trail. Best effort: an outbox that cannot be
    /// written is logged, and does not turn a login into a failure.
    async fn record_access(
        &self,
        tenant: &TenantId,
        what: &str,
        user_id: Option<i64>,
        wait: Option<Duration>,
    ) {
        let access = Access {
            user_id,
            retry_after_secs: wait.map(|w| w.as_secs().max(1)),
        };
        let event = AuditEvent::access(tenant.clone(), what, access, values::now());
        if let Err(e) = self.repo.record_access(&event).await {
            let error = crate::error::report(&e);
            tracing::warn!(%error, what, "an access event could not be recorded");
        }
    }

    /// A login, noting in `named` the user the e-mail named (with its tenant) when there is one.
    async fn try_login(
        &self,
        email: &str,
        password: &SecretString,
        named: &mut Option<(TenantId, i64)>,
    ) -> Result<LoginOutcome> {
        let found = match Email::parse("email", email) {
            Ok(email) => self.repo.credentials(&email).await?,
            Err(_) => None,
        };
        let (status, hash) = match found {
            Some((status, hash)) => (Some(status), hash),
            None => (None, self.decoy_hash().await?),
        };
        *named = status.as_ref().map(|s| (s.tenant.clone(), s.user.id));
        let verdict = self.verify(password, hash.clone()).await?;
        let Some(AuthStatus {
            tenant,
            user,
            token_version,
        }) = status
        else {
            return Err(denied());
        };
        let now = values::now();
        if verdict == Verification::Mismatch
            || !user.active
            || !user.is_valid_at(now)
            || !self.tenant_open(&tenant).await?
        {
            return Err(denied());
        }
        if verdict == Verification::MatchNeedsRehash {
            self.upgrade_hash(&tenant, &user, password, &hash).await;
        }
        let issued = self.tokens.issue(&tenant, user.id, token_version, now)?;
        Ok(LoginOutcome {
            token: issued.token,
            expires_at: issued.expires_at,
            user,
            tenant,
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

    async fn decoy_hash(&self) -> Result<PasswordHash> {
        self.decoy
            .get_or_try_init(|| async {
                let random = SecretString::from(uuid::Uuid::new_v4().to_string());
                self.hash(Password::parse("password", &random)?).await
            })
            .await
            .cloned()
    }

    /// Re-hashes an old-style hash (`old`, the one just verified) with the current algorithm.
    /// A failure here must not fail the login the user just passed: it is logged and retried at
    /// the next login. A hash changed meanwhile (a password reset) is left as it is.
    async fn upgrade_hash(
        &self,
        tenant: &TenantId,
        user: &User,
        password: &SecretString,
        old: &PasswordHash,
    ) {
        let result = async {
            let password = Password::parse("password", password)?;
            let hash = self.hash(password).await?;
            (self.repo.set_password_hash(tenant, user.id, &hash, old)).await
        }
        .await;
        match result {
            Ok(true) => tracing::info!(user_id = user.id, "password hash upgraded to argon2id"),
            Ok(false) => tracing::info!(
                user_id = user.id,
                "password changed meanwhile; the old hash was not upgraded"
            ),
            Err(e) => tracing::warn!(user_id = user.id, error = %e, "password hash upgrade failed"),
        }
    }
}
