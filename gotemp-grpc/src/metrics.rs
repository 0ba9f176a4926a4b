//! Prometheus figures of every call: `gotemp_grpc_requests_total` and
//! `gotemp_grpc_request_duration_seconds`, by service, method and status code. A path that names
//! no service this process serves counts under `unknown`, so a stranger's made-up paths cannot
//! grow the number of series.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::Code;
use tonic::codegen::http;

/// Counts every call of the services named in `known` (gRPC names, as in the request path).
#[derive(Clone)]
pub struct GrpcMetricsLayer {
    known: Arc<HashSet<String>>,
}

impl GrpcMetricsLayer {
    /// Labels calls of these services by name; any other path is `unknown`.
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        Self {
            known: Arc::new(known.into_iter().collect()),
        }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            known: self.known.clone(),
        }
    }
}

/// The service [`GrpcMetricsLayer`] wraps.
#[derive(Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    known: Arc<HashSet<String>>,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (service, method) = match request.uri().path().trim_start_matches('/').split_once('/') {
            Some((service, method)) if self.known.contains(service) => {
                (service.to_owned(), method.to_owned())
            }
            _ => ("unknown".to_owned(), "unknown".to_owned()),
        };
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let outcome = call.await;
            // A failed unary call answers with its status in the headers (trailers-only); a
            // success carries it in the trailers, after the body.
            let code = match &outcome {
                Ok(response) => (response.headers().get("grpc-status"))
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or(Code::Ok, Code::from),
                Err(_) => Code::Internal,
            };
            let labels = [
                ("service", service),
                ("method", method),
                ("code", code_name(code).to_owned()),
            ];
            metrics::counter!("gotemp_grpc_requests_total", &labels).increment(1);
            metrics::histogram!("gotemp_grpc_request_duration_seconds", &labels)
                .record(started.elapsed().as_secs_f64());
            outcome
        })
    }
}

/// The status code's name as the gRPC specification spells it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
