//! The names every layer of the HTTP server shares: a leaf module, so the router and the
//! per-request layer need not import each other. The settings themselves are
//! [`gotemp::HttpConfig`], read once with the rest of the configuration.

use axum::http::HeaderName;

/// The header carrying a request's id, set when the caller sent none and echoed in answers.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
