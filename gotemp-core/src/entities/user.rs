use crate::event::Auditable;
use crate::policy::Roles;
use crate::values::{Email, PasswordHash, TenantId, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// A person who can log in. It has no password field at all, so no response, log line or audit
/// payload built from it can carry one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Generated id.
    pub id: i64,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// `first_name last_name`, derived.
    pub name: String,
    /// E-mail as written; unique regardless of case.
    pub email: String,
    /// Optional company.
    pub company: Option<String>,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_thru: DateTime<Utc>,
    /// Only active users can log in.
    pub active: bool,
    /// What the user may do: `admin`, `editor`, `viewer`, `auditor`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::policy::Role>))]
    pub roles: Roles,
    /// Set on create.
    pub created_at: DateTime<Utc>,
    /// Set on every change.
    pub updated_at: DateTime<Utc>,
    /// User id of the last actor.
    pub modified_by: i64,
    /// Starts at 1, +1 per update.
    pub version: i64,
}

impl User {
    /// The derived display name.
    pub fn full_name(first_name: &str, last_name: &str) -> String {
        format!("{first_name} {last_name}")
    }

    /// Whether the validity period contains `at`.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && at <= self.valid_thru
    }
}

impl Auditable for User {
    const OBJECT_NAME: &'static str = "user";
    const SERVICE: &'static str = "user";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

/// Input to create a user.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// Required, ≤100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub first_name: String,
    /// Required, ≤100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub last_name: String,
    /// Required, valid, ≤255, unique.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Email, min_length = 3, max_length = 255))]
    pub email: String,
    /// Optional, ≤255.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub company: Option<String>,
    /// Required.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Required, after `valid_from`.
    #[serde(default)]
    pub valid_thru: Option<DateTime<Utc>>,
    /// Defaults to false.
    #[serde(default)]
    pub active: bool,
    /// Defaults to `["viewer"]`; only a user with `users:manage` may set it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::policy::Role>>))]
    pub roles: Option<Roles>,
    /// Required, 8 to 1024 characters and not guessable (zxcvbn score 3 or more, the user's own
    /// names and e-mail counted as known); only its hash is stored.
    #[serde(default = "empty_secret")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 8, max_length = 1024))]
    pub password: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from("")
}

/// What a stranger gives to sign up, when registration is open: they become an active user,
/// valid from now, with the registration roles; in a multi-tenant deployment, the administrator
/// of a new tenant for their organisation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRegistration {
    /// Required, ≤100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub first_name: String,
    /// Required, ≤100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub last_name: String,
    /// Required, valid, ≤255, unique.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Email, min_length = 3, max_length = 255))]
    pub email: String,
    /// Required, 8 to 1024 characters and not guessable (zxcvbn score 3 or more, the user's own
    /// names and e-mail counted as known); only its hash is stored.
    #[serde(default = "empty_secret")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 8, max_length = 1024))]
    pub password: SecretString,
    /// Required in a multi-tenant deployment, ≤100: the name of the organisation whose new
    /// tenant the sign-up creates, with the registrant as its administrator (its key is made
    /// from the name). Not used in a single-tenant deployment, where everyone joins the one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub organisation: Option<String>,
}

/// Input to change a user: absent fields keep their value; `company: ""` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserChanges {
    /// New given name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub first_name: Option<String>,
    /// New family name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub last_name: Option<String>,
    /// New e-mail.
    #[cfg_attr(feature = "openapi", schema(format = Email, min_length = 3, max_length = 255))]
    pub email: Option<String>,
    /// New company; empty clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub company: Option<String>,
    /// New start of validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// New end of validity.
    pub valid_thru: Option<DateTime<Utc>>,
    /// New active flag.
    pub active: Option<bool>,
    /// New roles (the whole set); only a user with `users:manage` may change them.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::policy::Role>>))]
    pub roles: Option<Roles>,
    /// New password; hashed again.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password, min_length = 8, max_length = 1024))]
    pub password: Option<SecretString>,
    /// The caller's current password: required to change one's own password or e-mail,
    /// administrators included, so a stolen token cannot take the account for good.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
    pub current_password: Option<SecretString>,
}

/// A user that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDraft {
    /// Given name.
    pub first_name: Text,
    /// Family name.
    pub last_name: Text,
    /// E-mail.
    pub email: Email,
    /// Company.
    pub company: Option<Text>,
    /// Validity.
    pub validity: ValidityPeriod,
    /// Active flag.
    pub active: bool,
    /// Roles.
    pub roles: Roles,
    /// New hash to store; `None` on update keeps the stored one.
    pub password_hash: Option<PasswordHash>,
    /// Whether every token issued before this write stops working (a new password, fewer
    /// rights, a deactivation).
    pub revoke_tokens: bool,
}

impl UserDraft {
    /// The user this draft becomes once stored as `id` with `event` (its `updated_at` and
    /// `modified_by`): what the policy is asked about before a create or change is written.
    pub fn stored(
        &self,
        id: i64,
        created_at: DateTime<Utc>,
        event: &crate::event::PendingEvent,
        version: i64,
    ) -> User {
        let (first_name, last_name) = (self.first_name.as_str(), self.last_name.as_str());
        User {
            id,
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            name: User::full_name(first_name, last_name),
            email: self.email.as_str().to_owned(),
            company: self.company.as_ref().map(|c| c.as_str().to_owned()),
            valid_from: self.validity.valid_from(),
            valid_thru: self.validity.valid_thru(),
            active: self.active,
            roles: self.roles,
            created_at,
            updated_at: event.occurred_at,
            modified_by: event.performed_by,
            version,
        }
    }
}

/// What authenticating a token needs to know of its user now: the user as stored and the
/// version of its tokens, which [`UserDraft::revoke_tokens`] increments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStatus {
    /// The tenant the user belongs to (absent in what was cached before tenants: `default`).
    #[serde(
        default = "TenantId::default_tenant",
        skip_serializing_if = "TenantId::is_default"
    )]
    pub tenant: TenantId,
    /// The user.
    pub user: User,
    /// Tokens carrying another version were issued before a revocation.
    pub token_version: i64,
}

impl Auditable for AuthStatus {
    const OBJECT_NAME: &'static str = User::OBJECT_NAME;
    const SERVICE: &'static str = User::SERVICE;
    fn object_id(&self) -> String {
        self.user.object_id()
    }
}

/// Search filters for users; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    /// Exact id.
    pub id: Option<i64>,
    /// Exact given name.
    pub first_name: Option<String>,
    /// Exact family name.
    pub last_name: Option<String>,
    /// E-mail, compared case-insensitively.
    pub email: Option<String>,
    /// Exact company.
    pub company: Option<String>,
    /// Valid on this instant.
    pub valid_on: Option<DateTime<Utc>>,
}
