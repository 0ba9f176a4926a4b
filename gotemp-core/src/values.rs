//! Domain values with rules. Each has a `parse` constructor, so holding one means it is valid
//! ("parse, don't validate"); services turn raw input into these before anything is stored.

use crate::error::FieldError;
use chrono::{DateTime, Months, SubsecRound, Utc};
use serde::Serialize;
use std::fmt;

mod password;
mod tenant;
pub use password::{Password, PasswordHash};
pub use tenant::{Tenancy, TenantId};

/// Timestamps are kept to the microsecond, the precision every backend stores, so a value read
/// back equals the value written.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The current time at storage precision.
pub fn now() -> DateTime<Utc> {
    truncate_to_micros(Utc::now())
}

/// Non-empty text with a maximum length in characters; surrounding white space is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(String);

/// The rule NUL characters break: no text column (PostgreSQL's included) can store one.
pub fn nul_in(field: &str) -> FieldError {
    FieldError::new(
        field,
        "invalid_character",
        crate::tr!("field.nul", field = field),
    )
}

impl Text {
    /// Parses a required field: empty or blank is "`field` is required".
    pub fn parse(field: &str, value: &str, max: usize) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::required(field));
        }
        if trimmed.chars().count() > max {
            return Err(FieldError::new(
                field,
                "too_long",
                crate::tr!("field.too_long", field = field, max = max),
            ));
        }
        if trimmed.contains('\0') {
            return Err(nul_in(field));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses an optional field: absent or blank means none.
    pub fn parse_optional(
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Result<Option<Self>, FieldError> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Self::parse(field, v, max).map(Some),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned text.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address. Kept as written; compared case-insensitively by [`Email::normalized`] and
/// by the stores' unique index on its lower-case form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Longest address accepted (the SQL column width of the original).
    pub const MAX_LEN: usize = 255;

    /// Parses `value` as the field `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::required(field));
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                crate::tr!("field.too_long", field = field, max = Self::MAX_LEN),
            ));
        }
        if !email_address::EmailAddress::is_valid(trimmed) || !trimmed.contains('.') {
            return Err(FieldError::new(
                field,
                "invalid_email",
                crate::tr!("field.invalid_email", field = field),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case form used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validity period whose end is strictly after its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ValidityPeriod {
    valid_from: DateTime<Utc>,
    valid_thru: DateTime<Utc>,
}

impl ValidityPeriod {
    /// Parses a period where both ends are required (users, promotions).
    pub fn parse(
        from: Option<DateTime<Utc>>,
        thru: Option<DateTime<Utc>>,
    ) -> Result<Self, Vec<FieldError>> {
        match (from, thru) {
            (Some(f), Some(t)) => Self::new(f, t).map_err(|e| vec![e]),
            (f, t) => {
                let mut errors = Vec::new();
                if f.is_none() {
                    errors.push(FieldError::required("valid_from"));
                }
                if t.is_none() {
                    errors.push(FieldError::required("valid_thru"));
                }
                Err(errors)
            }
        }
    }

    /// Parses a period whose missing ends default as the original did for master data: the start
    /// to `now`, the end to one year after the start.
    pub fn parse_or_default(
        from: Option<DateTime<Utc>>,
        thru: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        let from = from.unwrap_or(now);
        let thru = thru.unwrap_or_else(|| from.checked_add_months(Months::new(12)).unwrap_or(from));
        Self::new(from, thru)
    }

    /// Checks the ordering rule.
    pub fn new(from: DateTime<Utc>, thru: DateTime<Utc>) -> Result<Self, FieldError> {
        let (from, thru) = (truncate_to_micros(from), truncate_to_micros(thru));
        if thru <= from {
            return Err(FieldError::new(
                "valid_thru",
                "invalid_period",
                crate::tr!("field.invalid_period"),
            ));
        }
        Ok(Self {
            valid_from: from,
            valid_thru: thru,
        })
    }

    /// Start of the period.
    pub fn valid_from(&self) -> DateTime<Utc> {
        self.valid_from
    }

    /// End of the period.
    pub fn valid_thru(&self) -> DateTime<Utc> {
        self.valid_thru
    }

    /// Whether `at` lies inside the period (both ends included, as the searches do).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && at <= self.valid_thru
    }
}

/// A string key for master data (customers, products): what ArangoDB accepts as `_key`, and safe
/// in a URL path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EntityKey(String);

impl EntityKey {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses `value` as the field `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(FieldError::required(field));
        }
        if v.len() > Self::MAX_LEN
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(FieldError::new(
                field,
                "invalid_key",
                crate::tr!("field.invalid_key", field = field, max = Self::MAX_LEN),
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// A fresh key derived from a name (`Ducks R Us` → `ducks-r-us-1f3a9c`), readable in URLs and
    /// unique by its random suffix.
    pub fn generate(name: &str) -> Self {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
            if slug.len() >= 40 {
                break;
            }
        }
        let suffix = uuid::Uuid::now_v7().simple().to_string();
        let slug = slug.trim_end_matches('-');
        let tail = &suffix[suffix.len() - 8..];
        if slug.is_empty() {
            Self(tail.to_owned())
        } else {
            Self(format!("{slug}-{tail}"))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A discount amount: a finite number above zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DiscountValue(f64);

impl DiscountValue {
    /// Parses `value` as the field `field`.
    pub fn parse(field: &str, value: f64) -> Result<Self, FieldError> {
        if !value.is_finite() || value <= 0.0 {
            return Err(FieldError::new(
                field,
                "must_be_positive",
                crate::tr!("field.must_be_positive", field = field),
            ));
        }
        Ok(Self(value))
    }

    /// The amount.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// The value an optional text field has after an update: unchanged when absent, cleared when
/// empty.
pub fn merged_optional(stored: Option<String>, change: Option<String>) -> Option<String> {
    match change {
        None => stored,
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v),
    }
}

#[cfg(test)]
mod tests;
