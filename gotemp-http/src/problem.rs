//! Every error leaves as `application/problem+json` (RFC 9457), mapped from the domain error in
//! one place, so clients parse one shape and can show each validation failure next to its field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gotemp_core::{ConflictKind, Error, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

tokio::task_local! {
    /// The id of the request being handled, so an error can name it for support. A task-local
    /// on purpose: a problem body is made in axum's `IntoResponse::into_response(self)`, which
    /// takes no request, by every handler and extractor that fails; the per-request layer sets
    /// it for exactly the request's work (and its timeout answer).
    pub(crate) static REQUEST_ID: String;
}

/// An error response body (RFC 9457 problem details).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request, in words a person can act on.
    pub detail: String,
    /// Every rule the input broke, one per field: validation failures, and the field whose
    /// value is already taken on a duplicate conflict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// The request's id (also in the `x-request-id` header), to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub request_id: Option<String>,
}

/// An error on its way out: the body and the status, plus headers some statuses need.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    // Boxed: handlers return `Result<_, Problem>` everywhere, and the Ok path should stay small.
    body: Box<ProblemDetails>,
    /// Seconds for `Retry-After` (429).
    retry_after: Option<u32>,
}

impl Problem {
    /// A problem of the given status whose type is the status itself.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::typed(status, "about:blank", None, detail)
    }

    fn typed(
        status: StatusCode,
        kind: &str,
        title: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        let title = match title {
            Some(key) => gotemp_core::i18n::text(key, &[]),
            None => status_title(status),
        };
        Self {
            status,
            body: Box::new(ProblemDetails {
                kind: kind.to_owned(),
                title,
                status: status.as_u16(),
                detail: detail.into(),
                errors: Vec::new(),
                request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            }),
            retry_after: None,
        }
    }

    /// Input that broke rules: 422 listing every field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Self::typed(
            StatusCode::UNPROCESSABLE_ENTITY,
            "urn:gotemp:problem:validation",
            Some("title.validation"),
            detail,
        );
        problem.body.errors = errors;
        problem
    }

    /// A missing or bad bearer token: 401 with the challenge the client must answer.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// The `If-Match` version is not the stored one.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::typed(
            StatusCode::PRECONDITION_FAILED,
            "urn:gotemp:problem:stale-version",
            Some("title.stale_version"),
            detail,
        )
    }

    /// The status this problem is sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body, for tests and for embedders that wrap the API.
    pub fn details(&self) -> &ProblemDetails {
        &self.body
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound { entity, id } => Self::new(
                StatusCode::NOT_FOUND,
                gotemp_core::i18n::not_found(entity, &id),
            ),
            Error::Validation(errors) => Self::validation(errors),
            Error::Conflict {
                kind,
                field,
                message,
            } => {
                // A taken e-mail or key belongs next to its field, like a validation failure.
                let taken = match (kind, field) {
                    (ConflictKind::Duplicate, Some(field)) => {
                        vec![FieldError::new(field, "duplicate", message.clone())]
                    }
                    _ => Vec::new(),
                };
                let (kind, title) = match kind {
                    ConflictKind::Duplicate => ("urn:gotemp:problem:duplicate", "title.duplicate"),
                    ConflictKind::StaleVersion => {
                        ("urn:gotemp:problem:stale-version", "title.stale_version")
                    }
                    ConflictKind::InUse => ("urn:gotemp:problem:in-use", "title.in_use"),
                    ConflictKind::State => ("urn:gotemp:problem:state", "title.state"),
                };
                let mut problem = Self::typed(StatusCode::CONFLICT, kind, Some(title), message);
                problem.body.errors = taken;
                problem
            }
            Error::Unauthenticated(message) => Self::unauthenticated(message),
            Error::PermissionDenied(message) => Self::new(StatusCode::FORBIDDEN, message),
            // 404: for this deployment the resource does not exist, and the type says why.
            Error::SwitchedOff(message) => Self::typed(
                StatusCode::NOT_FOUND,
                "urn:gotemp:problem:switched-off",
                Some("title.switched_off"),
                message,
            ),
            Error::TooManyRequests {
                message,
                retry_after,
            } => {
                let mut problem = Self::new(StatusCode::TOO_MANY_REQUESTS, message);
                let secs = u32::try_from(retry_after.as_secs()).unwrap_or(u32::MAX);
                problem.retry_after = Some(secs.max(1));
                problem
            }
            Error::Unavailable(_) => {
                let error = gotemp_core::error::report(&error);
                tracing::warn!(%error, "backend unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    gotemp_core::tr!("error.unavailable"),
                )
            }
            Error::Internal(_) => {
                // The cause, with every error below it, stays in the log under the request id
                // the client is given.
                let error = gotemp_core::error::report(&error);
                tracing::error!(%error, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    gotemp_core::tr!("error.internal_quote_id"),
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = (status, axum::Json(*self.body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        // The words are in the language the request asked for; the codes in none.
        let language = gotemp_core::i18n::current().as_str();
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language));
        headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="gotemp", error="invalid_token""#),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// The title of a problem whose status says it all, in the language in force.
fn status_title(status: StatusCode) -> String {
    let key = format!("title.status_{}", status.as_u16());
    gotemp_core::i18n::text_or(&key, || {
        status.canonical_reason().unwrap_or("Error").to_owned()
    })
}

/// A handler's result: a response, or a problem.
pub type ApiResult<T> = Result<T, Problem>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_version_is_a_conflict_and_internal_hides_its_cause() {
        let stale = Problem::from(Error::stale_version("user", 1, 3));
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        let internal = Problem::from(Error::internal("password=hunter2 at db"));
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.details().detail.contains("hunter2"));
    }

    #[test]
    fn unauthenticated_carries_a_challenge() {
        let response = Problem::unauthenticated("token expired").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }

    #[test]
    fn validation_lists_every_field() {
        let p = Problem::validation(vec![
            FieldError::required("name"),
            FieldError::required("customer_id"),
        ]);
        assert_eq!(p.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p.details().errors.len(), 2);
        assert_eq!(
            p.details().detail,
            "name is required; customer_id is required"
        );
    }
}
