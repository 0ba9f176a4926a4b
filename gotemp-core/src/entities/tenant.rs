use crate::event::Auditable;
use crate::values::{TenantId, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// An organisation a multi-tenant deployment serves: its users, master data, promotions, audit
/// trail, events and cache entries are its own. Managed by the platform's operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// The key (`^[a-z0-9][a-z0-9-]{0,62}$`), fixed for the tenant's life: tokens, event
    /// subjects and cache keys carry it.
    pub key: String,
    /// The organisation's name, shown in the UI.
    pub name: String,
    /// An inactive tenant's users cannot log in and its tokens are refused; its data stays.
    pub active: bool,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_thru: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The user who changed it last.
    pub modified_by: i64,
    /// Optimistic-locking version.
    pub version: i64,
}

impl Tenant {
    /// Whether the tenant's users may work at `at`: active and within its validity.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        self.active && self.valid_from <= at && at <= self.valid_thru
    }
}

impl Auditable for Tenant {
    const OBJECT_NAME: &'static str = "tenant";
    const SERVICE: &'static str = "tenant";
    fn object_id(&self) -> String {
        self.key.clone()
    }
}

/// Input to create a tenant with its first administrator.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTenant {
    /// Required: 1 to 63 lower-case letters, digits or `-`, starting with a letter or digit;
    /// unique.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 63, pattern = "^[a-z0-9][a-z0-9-]{0,62}$")
    )]
    pub key: String,
    /// Required, ≤100.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Defaults to now.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Defaults to a hundred years after `valid_from`.
    #[serde(default)]
    pub valid_thru: Option<DateTime<Utc>>,
    /// The tenant's first user, with the role `admin` in it.
    pub admin: NewTenantAdmin,
}

/// The first administrator of a new tenant.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTenantAdmin {
    /// Required, valid, ≤255, unique across the deployment.
    #[cfg_attr(feature = "openapi", schema(format = Email, min_length = 3, max_length = 255))]
    pub email: String,
    /// Required, ≤100.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub first_name: String,
    /// Required, ≤100.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub last_name: String,
    /// Required, 8 to 1024 characters and not guessable.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 8, max_length = 1024))]
    pub password: SecretString,
}

/// Changes to a tenant; absent fields keep their value. The key never changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantChanges {
    /// ≤100.
    #[serde(default)]
    pub name: Option<String>,
    /// `false` closes the tenant: its tokens are refused within 2 s, its data stays.
    #[serde(default)]
    pub active: Option<bool>,
    /// Start of validity.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// End of validity, after `valid_from`.
    #[serde(default)]
    pub valid_thru: Option<DateTime<Utc>>,
}

/// A tenant as a service hands it to a repository, every rule passed.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantDraft {
    /// The key.
    pub key: TenantId,
    /// The name.
    pub name: Text,
    /// Whether it is open.
    pub active: bool,
    /// Its validity.
    pub validity: ValidityPeriod,
}
