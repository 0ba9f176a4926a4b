//! The caller's token, forwarded: a service that calls another on its caller's behalf (the
//! promotion service asking a customer service deployed apart for a customer's name) calls it
//! with the caller's own token, so the other service answers with the caller's rights, nothing
//! more.
//!
//! [`ForwardCallerToken`] makes the token of the request being served available to
//! [`caller_token`] for as long as the call runs. `gotemp_grpc::server::serve` puts it around
//! every service; an embedder serving gotemp's services from a tonic server of their own adds it
//! with [`ForwardCallerTokenLayer`] (`Server::builder().layer(ForwardCallerTokenLayer)`), or the
//! remote calls fail with an error naming this layer.

use std::future::Future;
use std::task::{Context, Poll};
use tonic::codegen::Service;
use tonic::codegen::http::{HeaderMap, Request, header};

tokio::task_local! {
    /// The bearer token of the request being served.
    static CALLER_TOKEN: String;
}

/// The bearer token of the request being served, when the service runs behind
/// [`ForwardCallerToken`] and the caller sent one.
pub fn caller_token() -> Option<String> {
    CALLER_TOKEN
        .try_with(Clone::clone)
        .ok()
        .filter(|t| !t.is_empty())
}

/// Whether the call being served runs behind [`ForwardCallerToken`] at all: lets a remote call
/// tell a wiring mistake from a caller without a token.
pub fn is_forwarding() -> bool {
    CALLER_TOKEN.try_with(|_| ()).is_ok()
}

/// The bearer token of a request's headers; empty when there is none.
fn bearer(headers: &HeaderMap) -> String {
    (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(gotemp_core::auth::bearer_token)
        .unwrap_or_default()
        .to_owned()
}

/// Serves `S` with the caller's token available to [`caller_token`].
#[derive(Clone, Debug)]
pub struct ForwardCallerToken<S> {
    inner: S,
}

impl<S> ForwardCallerToken<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for ForwardCallerToken<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<Request<B>> for ForwardCallerToken<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tokio::task::futures::TaskLocalFuture<String, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let token = bearer(request.headers());
        CALLER_TOKEN.scope(token, self.inner.call(request))
    }
}

/// [`ForwardCallerToken`] as a tower layer, for `tonic::transport::Server::builder().layer(…)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ForwardCallerTokenLayer;

impl<S> tower::Layer<S> for ForwardCallerTokenLayer {
    type Service = ForwardCallerToken<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ForwardCallerToken::new(inner)
    }
}

/// Runs `call` as if it were served behind [`ForwardCallerToken`] with `token`: for work a
/// service does on a caller's behalf outside a request (tests, jobs).
pub fn with_caller_token<F: Future>(token: String, call: F) -> impl Future<Output = F::Output> {
    CALLER_TOKEN.scope(token, call)
}
