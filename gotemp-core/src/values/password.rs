//! Passwords on their way to the hasher, and the hashes kept: never printed, never serialized,
//! and a chosen password is not one a guesser would try early.

use crate::error::FieldError;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A plain-text password on its way to the hasher. Never printed, never serialized.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Shortest password accepted (OWASP's minimum).
    pub const MIN_LEN: usize = 8;
    /// Longest password accepted: bounds the hashing work one request can ask for.
    pub const MAX_LEN: usize = 1024;

    /// Parses a password for `field`.
    pub fn parse(field: &str, value: &SecretString) -> Result<Self, FieldError> {
        let len = value.expose_secret().chars().count();
        if len == 0 {
            return Err(FieldError::required(field));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(FieldError::new(
                field,
                "invalid_length",
                crate::tr!(
                    "field.invalid_length",
                    field = field,
                    min = Self::MIN_LEN,
                    max = Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(value.clone()))
    }

    /// Characters of a password the strength estimate looks at: its cost grows with the
    /// length, and a password whose first 100 characters are guessable is refused anyway.
    const ESTIMATED_CHARS: usize = 100;

    /// Parses a password someone chose for an account (`field`): as [`Password::parse`], and
    /// not guessable — zxcvbn's estimate, with the account's own names and e-mail (`context`)
    /// counted as known to an attacker, must reach 3 of 4 ("safely unguessable": about 10^8
    /// guesses or more). Common passwords, keyboard walks, dates, repeats and the user's own
    /// name are refused with a 422 naming `field`.
    pub fn choose(field: &str, value: &SecretString, context: &[&str]) -> Result<Self, FieldError> {
        let password = Self::parse(field, value)?;
        let text = password.expose();
        let estimated = match text.char_indices().nth(Self::ESTIMATED_CHARS) {
            Some((end, _)) => &text[..end],
            None => text,
        };
        // Each word of a name or an e-mail on its own too ("ann", "smith", "ducksrus"): a
        // guesser tries them apart and joined.
        let words: Vec<&str> = (context.iter())
            .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
            .filter(|w| w.chars().count() >= 3)
            .chain(context.iter().copied())
            .collect();
        let score = zxcvbn::zxcvbn(estimated, &words).score();
        if score < zxcvbn::Score::Three {
            return Err(FieldError::new(
                field,
                "weak_password",
                crate::tr!("field.weak_password", field = field),
            ));
        }
        Ok(password)
    }

    /// The secret, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// A stored password hash (PHC string). Never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from storage or produced by the hasher.
    pub fn new(hash: impl Into<String>) -> Self {
        Self(hash.into())
    }

    /// The PHC string, for storage only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}
