//! The one mapping from gotemp's errors to gRPC status codes.

use gotemp_core::{ConflictKind, Error};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// The status a client sees for `error`. Validation failures list every field (in the message,
/// and as `google.rpc.BadRequest` field violations in the details); internal errors are logged
/// with a reference and reach the client only as that reference.
pub fn to_status(error: Error) -> Status {
    match error {
        Error::NotFound { entity, ref id } => {
            Status::not_found(gotemp_core::i18n::not_found(entity, id))
        }
        Error::Validation(ref fields) => {
            let mut details = ErrorDetails::new();
            let mut messages = Vec::with_capacity(fields.len());
            for f in fields {
                details.add_bad_request_violation(f.field.clone(), f.message.clone());
                messages.push(f.message.as_str());
            }
            let message = gotemp_core::tr!("error.invalid_input", detail = messages.join("; "));
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        Error::Conflict { kind, .. } => {
            let code = match kind {
                ConflictKind::Duplicate => Code::AlreadyExists,
                ConflictKind::StaleVersion => Code::Aborted,
                ConflictKind::InUse | ConflictKind::State => Code::FailedPrecondition,
            };
            Status::new(code, error.to_string())
        }
        Error::Unauthenticated(_) => Status::unauthenticated(error.to_string()),
        Error::PermissionDenied(_) => Status::permission_denied(error.to_string()),
        // gRPC's code for an operation "not supported/enabled in this service".
        Error::SwitchedOff(_) => Status::unimplemented(error.to_string()),
        Error::TooManyRequests { retry_after, .. } => {
            let mut details = ErrorDetails::new();
            details.set_retry_info(Some(retry_after));
            Status::with_error_details(Code::ResourceExhausted, error.to_string(), details)
        }
        Error::Unavailable(_) => {
            let error = gotemp_core::error::report(&error);
            tracing::warn!(%error, "a backend is unavailable");
            Status::unavailable(gotemp_core::tr!("error.unavailable"))
        }
        Error::Internal(_) => {
            let reference = uuid::Uuid::now_v7();
            let error = gotemp_core::error::report(&error);
            tracing::error!(%reference, %error, "internal error");
            Status::internal(gotemp_core::tr!(
                "error.internal_reference",
                reference = reference
            ))
        }
    }
}

/// `?` on a gotemp result inside a tonic handler.
pub trait IntoStatus<T> {
    /// Maps the error with [`to_status`].
    fn or_status(self) -> Result<T, Status>;
}

impl<T> IntoStatus<T> for Result<T, Error> {
    fn or_status(self) -> Result<T, Status> {
        self.map_err(to_status)
    }
}
