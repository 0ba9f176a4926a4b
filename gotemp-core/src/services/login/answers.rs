//! The login's small answers: the throttle's key, the outcome counter, the draft of an
//! unchanged user, and the one refusal every failed attempt gets.

use crate::entities::User;
use crate::error::{Error, Result, Violations};
use crate::services::user::{Fields, user_draft};
use crate::values::ValidityPeriod;

/// The throttle's key for an e-mail as typed: normalized, and bounded however long the input.
pub(super) fn account(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

/// Counts a login by outcome (`gotemp_logins_total`): a surge of `failed` or `throttled` is
/// someone guessing passwords.
pub(super) fn count_login(outcome: std::result::Result<(), &Error>) {
    let label = match outcome {
        Ok(_) => "success",
        Err(Error::Unauthenticated(_)) => "failed",
        Err(Error::TooManyRequests { .. }) => "throttled",
        Err(_) => "error",
    };
    metrics::counter!("gotemp_logins_total", "outcome" => label).increment(1);
}

/// The draft of `user` as it is stored, for a write that changes only its password or tokens.
pub(super) fn unchanged(user: &User) -> Result<crate::entities::UserDraft> {
    user_draft(
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
    .ok_or_else(|| Error::internal("a stored user no longer passes its own rules"))
}

/// The one answer to every failed login or wrong current password.
pub(super) fn denied() -> Error {
    Error::Unauthenticated(crate::tr!("auth.invalid_credentials"))
}
