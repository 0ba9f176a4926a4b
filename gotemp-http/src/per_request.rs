//! What happens around every request: admission under the concurrency limit, the language of
//! its messages, its request id, the timeout, metrics, the headers every answer carries, and a
//! problem body for the errors the framework answers by itself.

use crate::ops;
use crate::problem::{self, Problem};
use crate::settings::REQUEST_ID;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gotemp::HttpConfig;
use gotemp_core::i18n::{self, Locale};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// Admission of requests: at most `max_in_flight` handled at once, at most as many more
/// waiting for a turn; beyond that a 503 at once. The permit is taken before the handler's task
/// is spawned and held by that task until the work ends — after a timeout's 503 too — so the
/// limit counts the work the server really does.
#[derive(Clone)]
pub(crate) struct Admission {
    permits: Arc<tokio::sync::Semaphore>,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
    timeout: Duration,
}

impl Admission {
    pub(crate) fn new(settings: &HttpConfig) -> Self {
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(settings.max_in_flight.max(1))),
            waiting: Arc::default(),
            max_waiting: settings.max_in_flight.max(1),
            timeout: settings.request_timeout,
        }
    }

    /// A turn, or a 503 (with `Retry-After`) when the queue is full or the turn does not come
    /// within the request timeout.
    async fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let busy = || {
            let mut response = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                gotemp_core::tr!("http.busy"),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        };
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("gotemp_http_shed_requests_total").increment(1);
            return Err(busy());
        }
        let turn = tokio::time::timeout(self.timeout, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match turn {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                metrics::counter!("gotemp_http_shed_requests_total").increment(1);
                Err(busy())
            }
        }
    }
}

/// Around every request: admission ([`Admission`]), the language of its messages
/// (`Accept-Language`), the request id for error bodies, the timeout, metrics, the headers every
/// answer carries, and a problem body for the errors the framework answers by itself (unknown
/// method, body too large, …).
pub(crate) async fn per_request(
    axum::extract::State(admission): axum::extract::State<Admission>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let timeout = admission.timeout;
    // Answers with credentials or a person's own data are never kept by a cache.
    let private = {
        let path = req.uri().path();
        path.starts_with("/v1/auth/") || path.starts_with("/v1/users/me")
    };
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // The handler runs in a task of its own: a client that goes away, or the timeout below,
    // must not cancel a write half-way (a transaction cancelled while it begins leaves its
    // pooled connection inside an open transaction — sqlx 0.9 — and every later statement on
    // it uncommitted). The caller stops waiting; the work finishes or fails as a whole.
    let locale = (req.headers().get(header::ACCEPT_LANGUAGE))
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default();
    let permit = match admission.admit().await {
        Ok(permit) => permit,
        Err(busy) => {
            ops::record_request(&method, &route, busy.status(), started.elapsed());
            return with_common_headers(busy, private);
        }
    };
    let work = tokio::spawn(
        i18n::scope(
            locale,
            problem::REQUEST_ID.scope(id.clone(), async move {
                let response = next.run(req).await;
                drop(permit);
                response
            }),
        )
        .instrument(tracing::Span::current()),
    );
    let response = problem::REQUEST_ID
        .scope(
            id.clone(),
            i18n::scope(locale, async {
                match tokio::time::timeout(timeout, work).await {
                    Ok(Ok(response)) => bare_error_as_problem(response),
                    Ok(Err(failed)) => {
                        tracing::error!(error = %failed, "request handler failed");
                        Problem::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            gotemp_core::tr!("error.internal"),
                        )
                        .into_response()
                    }
                    Err(_) => {
                        tracing::warn!(?timeout, "request timed out");
                        Problem::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            gotemp_core::tr!("http.timeout", limit = format!("{timeout:?}")),
                        )
                        .into_response()
                    }
                }
            }),
        )
        .await;
    ops::record_request(&method, &route, response.status(), started.elapsed());
    with_common_headers(response, private)
}

/// `nosniff` on every answer (a JSON body is never run as a script or styled as a page), and
/// `no-store` on `private` ones.
fn with_common_headers(mut response: Response, private: bool) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Errors axum answers itself (405, 413, …) come without a body; give them the problem shape
/// every other error has.
fn bare_error_as_problem(response: Response) -> Response {
    let status = response.status();
    // A JSON body was written on purpose (a problem, the readiness report); leave it. axum's
    // own rejections are empty or plain text.
    let written = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| !v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || written {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => gotemp_core::tr!("http.method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => gotemp_core::tr!("http.too_large"),
        other => other.canonical_reason().unwrap_or("error").to_owned(),
    };
    let mut problem = Problem::new(status, detail).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}
