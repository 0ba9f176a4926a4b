//! Which organisation data belongs to, and whether a deployment serves one or many.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, LazyLock};

/// The key of a tenant: the organisation a user, an object, an event or a cache entry belongs
/// to. Every repository method takes one, so a query that forgets whose data it reads does not
/// compile; the same key is what tokens (`tid`), event subjects and cache keys carry.
///
/// Keys are short lower-case names (`^[a-z0-9][a-z0-9-]{0,62}$`): safe in a NATS subject, a
/// cache key, a URL path and a file name without escaping. Cloning is a reference count.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

static DEFAULT: LazyLock<TenantId> = LazyLock::new(|| TenantId(Arc::from(TenantId::DEFAULT)));
static PLATFORM: LazyLock<TenantId> = LazyLock::new(|| TenantId(Arc::from(TenantId::PLATFORM)));

impl TenantId {
    /// The key of the only tenant of a single-tenant deployment, into which data from before
    /// tenants migrates.
    pub const DEFAULT: &'static str = "default";
    /// The key of the tenant whose users run the deployment (the `operator` role) in
    /// multi-tenant mode.
    pub const PLATFORM: &'static str = "platform";
    /// The longest key accepted, in characters.
    pub const MAX_LEN: usize = 63;

    /// Parses `value` as the field `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        if value.is_empty() {
            return Err(FieldError::required(field));
        }
        if !Self::is_key(value) {
            return Err(FieldError::new(
                field,
                "invalid_tenant_key",
                crate::tr!(
                    "field.invalid_tenant_key",
                    field = field,
                    max = Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(Arc::from(value)))
    }

    /// A key as an adapter reads it back from its own storage, where only parsed keys were
    /// ever written: not for input, which goes through [`TenantId::parse`].
    pub fn from_store(key: impl Into<Arc<str>>) -> Self {
        let key = key.into();
        debug_assert!(
            Self::is_key(&key),
            "a stored tenant key is malformed: {key:?}"
        );
        Self(key)
    }

    /// Whether `value` has the form of a key.
    pub fn is_key(value: &str) -> bool {
        let bytes = value.as_bytes();
        matches!(bytes.first(), Some(b'a'..=b'z' | b'0'..=b'9'))
            && bytes.len() <= Self::MAX_LEN
            && bytes
                .iter()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
    }

    /// The tenant of a single-tenant deployment ([`TenantId::DEFAULT`]).
    pub fn default_tenant() -> Self {
        DEFAULT.clone()
    }

    /// The platform tenant ([`TenantId::PLATFORM`]).
    pub fn platform() -> Self {
        PLATFORM.clone()
    }

    /// Whether this is the tenant `default`.
    pub fn is_default(&self) -> bool {
        &*self.0 == Self::DEFAULT
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for TenantId {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        Self::parse("tenant", value)
    }
}

impl Serialize for TenantId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Self::parse("tenant", &text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Whether one deployment serves one organisation or many (`GOTEMP_TENANCY`).
///
/// `Single` is gotemp as it always was: one tenant, [`TenantId::DEFAULT`], every API unchanged.
/// `Multi` turns the boundaries on: tenants are managed by the platform's operators, every user
/// belongs to one, and each sees only its own tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tenancy {
    /// One organisation, the tenant `default`.
    #[default]
    Single,
    /// Many organisations, each in its own tenant.
    Multi,
}

impl Tenancy {
    /// The setting's text (`single`, `multi`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multi => "multi",
        }
    }
}

impl fmt::Display for Tenancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tenancy {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "single" => Ok(Self::Single),
            "multi" => Ok(Self::Multi),
            other => Err(format!("must be single or multi, got {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_a_short_lower_case_name() {
        for good in ["default", "ducks", "a", "0", "geese-2", &"a".repeat(63)] {
            assert_eq!(TenantId::parse("key", good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "-ducks",
            "Ducks",
            "du_cks",
            "du.cks",
            "dücks",
            "a b",
            &"a".repeat(64),
        ] {
            let e = TenantId::parse("key", bad).unwrap_err();
            assert_eq!(e.field, "key", "{bad:?}");
        }
        assert_eq!(
            serde_json::from_str::<TenantId>("\"ducks\"").unwrap(),
            TenantId::parse("t", "ducks").unwrap()
        );
        assert!(serde_json::from_str::<TenantId>("\"Ducks\"").is_err());
        assert_eq!(TenantId::default_tenant().as_str(), "default");
        assert_eq!("multi".parse::<Tenancy>(), Ok(Tenancy::Multi));
        assert!("many".parse::<Tenancy>().is_err());
    }
}
