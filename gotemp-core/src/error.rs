//! One error type for the whole domain, so every transport maps failures the same way.

use serde::Serialize;
use std::fmt;

/// A single rule a field broke. Transports list these so a client can show each next to its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The canonical (snake_case) field name, with indexes for nested lists: `products[0].product_id`.
    pub field: String,
    /// Machine-readable rule name (`required`, `too_long`, `invalid_email`, …) for clients that
    /// translate messages.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: &'static str,
    /// Human-readable sentence that already names the field.
    pub message: String,
}

impl FieldError {
    /// Builds a field error; `message` should name the field so it reads well on its own.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// The common "X is required" failure.
    pub fn required(field: &str) -> Self {
        Self::new(
            field,
            "required",
            crate::tr!("field.required", field = field),
        )
    }
}

/// Why a write conflicts with the stored state; transports pick a status code from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// A unique key (e-mail, id) is already taken.
    Duplicate,
    /// The caller named a version that is no longer the stored one.
    StaleVersion,
    /// The object is still referenced by another (a customer named by promotions).
    InUse,
    /// The object's state forbids the operation (a promotion past its initial approval state).
    State,
}

/// Every failure a gotemp operation can report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The addressed object does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// Object name (`user`, `customer`, …).
        entity: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// Input broke one or more rules; all of them are listed, not only the first.
    #[error("invalid input: {}", join_messages(.0))]
    Validation(Vec<FieldError>),
    /// The write conflicts with stored state.
    #[error("{message}")]
    Conflict {
        /// What kind of conflict, for status mapping.
        kind: ConflictKind,
        /// The field involved, when there is one.
        field: Option<String>,
        /// Human-readable sentence.
        message: String,
    },
    /// No, or no valid, credentials. Deliberately vague: it never tells which part was wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    PermissionDenied(String),
    /// Too many attempts (password checks): the caller may try again after `retry_after`.
    #[error("{message}")]
    TooManyRequests {
        /// Human-readable sentence, saying when to retry.
        message: String,
        /// How long to wait before the next attempt.
        retry_after: std::time::Duration,
    },
    /// The deployment switched this part of gotemp off (the audit trail with
    /// `GOTEMP_AUDIT_STORAGE=none`): not a failure, and retrying will not help.
    #[error("{0}")]
    SwitchedOff(String),
    /// A backend is down or overloaded; the caller may retry.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// A bug or an unexpected backend answer. The text is for logs, never for clients.
    #[error("internal error: {0}")]
    Internal(#[source] Cause),
}

/// What went wrong out of the caller's reach, and the error of the driver, broker or library
/// that caused it, kept as the source so the log at the edge shows the whole chain
/// ([`report`]). Two causes are equal when their messages are.
#[derive(Debug, Clone)]
pub struct Cause {
    message: String,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

/// Any error, boxed: what [`Error::internal_from`] and [`Error::unavailable_from`] keep as the
/// source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Cause {
    fn caused(message: String, source: BoxError) -> Self {
        Self {
            message,
            source: Some(std::sync::Arc::from(source)),
        }
    }

    /// The sentence saying what failed (`database: …`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for Cause {
    fn from(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

/// An error with every source below it, `outer: inner: innermost`, for logs: what the edge
/// writes when a request fails on an internal or unavailable backend.
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        let line = source.to_string();
        // Wrappers often repeat their source's text; say each thing once.
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        next = source.source();
    }
    text
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A not-found error for `entity` with the given id.
    pub fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A validation error carrying a single field failure.
    pub fn invalid(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    /// The stale-version conflict every update and delete reports the same way.
    pub fn stale_version(entity: &'static str, id: impl fmt::Display, expected: i64) -> Self {
        Self::Conflict {
            kind: ConflictKind::StaleVersion,
            field: Some("version".into()),
            message: crate::tr!(
                "conflict.stale_version",
                entity = crate::i18n::entity(entity),
                id = id,
                expected = expected
            ),
        }
    }

    /// A conflict of the given kind.
    pub fn conflict(kind: ConflictKind, field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A bug or an unexpected answer, said in `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(Cause::from(message.into()))
    }

    /// A bug or an unexpected answer, with the error that caused it (an error, or a boxed one
    /// as libraries such as async-nats return).
    pub fn internal_from(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal(Cause::caused(message.into(), source.into()))
    }

    /// A backend that is down or overloaded, said in `message`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(Cause::from(message.into()))
    }

    /// A backend that is down or overloaded, with the error that says so (an error, or a boxed
    /// one).
    pub fn unavailable_from(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Unavailable(Cause::caused(message.into(), source.into()))
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Most failures one validation error lists. A list of 100,000 broken lines would otherwise
/// answer with megabytes of messages; past this, the error says how many more there were and
/// where the first of them is.
pub const MAX_FIELD_ERRORS: usize = 100;

/// Collects field failures so a service reports all of them at once (at most
/// [`MAX_FIELD_ERRORS`] of them, and how many more).
#[derive(Debug, Default)]
pub struct Violations {
    listed: Vec<FieldError>,
    /// How many failures were recorded past the cap, and the field of the first of them.
    more: Option<(usize, String)>,
}

impl Violations {
    /// Keeps the value of a successful parse, or records its failure and yields `None`.
    pub fn check<T>(&mut self, parsed: std::result::Result<T, FieldError>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Like [`Violations::check`] for rules that yield several failures at once.
    pub fn check_all<T>(&mut self, parsed: std::result::Result<T, Vec<FieldError>>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(errors) => {
                for error in errors {
                    self.push(error);
                }
                None
            }
        }
    }

    /// Records a failure directly.
    pub fn push(&mut self, error: FieldError) {
        if self.listed.len() < MAX_FIELD_ERRORS {
            self.listed.push(error);
            return;
        }
        match &mut self.more {
            Some((count, _)) => *count += 1,
            None => self.more = Some((1, error.field)),
        }
    }

    /// Whether nothing failed so far.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The validation error with everything recorded (call only when not empty).
    pub fn into_error(self) -> Error {
        Error::Validation(self.into_vec())
    }

    /// The recorded failures; past the cap, one last entry (code `too_many_errors`, on the
    /// field of the first failure left out) says how many more there were.
    pub fn into_vec(mut self) -> Vec<FieldError> {
        if let Some((count, field)) = self.more.take() {
            let message = crate::tr!("field.too_many_errors", count = count, field = field);
            self.listed
                .push(FieldError::new(field, "too_many_errors", message));
        }
        self.listed
    }
}

#[cfg(test)]
mod tests;
