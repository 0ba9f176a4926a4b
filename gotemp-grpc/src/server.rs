//! Serving any subset of the five services on one address, with `grpc.health.v1` and server
//! reflection, until a shutdown signal; in-flight calls finish first.

pub use crate::service_name::ServiceName;

use crate::auth::Authenticator;
use crate::services::{AuditGrpc, CustomerGrpc, ProductGrpc, PromotionGrpc, TenantGrpc, UserGrpc};
use gotemp::Gotemp;
use gotemp::tls::{NoDelay, TlsAcceptor, TlsListener};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use crate::limits::{
    CALL_TIMEOUT, CALLS_AT_ONCE, CALLS_PER_CONNECTION, MAX_REQUEST_BYTES, STREAMS_PER_CONNECTION,
};

/// Longest a call waits for a turn before it is answered UNAVAILABLE (retry).
pub const TURN_WAIT: Duration = Duration::from_secs(5);

/// Where calls come in: a plain TCP listener, or TLS over one (from
/// [`GrpcConfig::server_tls`](gotemp::GrpcConfig::server_tls)).
pub enum Listener {
    /// Plaintext (`grpcurl -plaintext`).
    Plain(TcpListener),
    /// TLS, mutual when the server's TLS asks for client certificates.
    Tls(TlsListener<NoDelay, TlsAcceptor>),
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Self::Plain(listener)
    }
}

impl Listener {
    /// `listener`, over TLS when `tls` is given.
    pub fn new(listener: TcpListener, tls: Option<&gotemp::tls::ServerTls>) -> Self {
        match tls {
            Some(tls) => Self::Tls(tls.listen(listener)),
            None => Self::Plain(listener),
        }
    }
}

/// Serves `services` of `app` on `listener` until `shutdown` completes, then lets in-flight
/// calls finish. Health reports each service SERVING while its storage answers. Every call is
/// bounded: message size, calls and streams per connection, and time.
pub async fn serve(
    app: Gotemp,
    services: &[ServiceName],
    auth: Authenticator,
    listener: impl Into<Listener>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    // Reflection advertises what this process serves, not every service gotemp has; in both
    // versions clients speak (v1alpha: Python's grpcio client, older grpcurl, GUI clients).
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection");
        for service in services {
            builder = builder.with_service_name(service.grpc_name());
        }
        builder
    };
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .expect("the descriptor sets generated at build time are valid");
    let reflection = reflection()
        .build_v1()
        .expect("the descriptor sets generated at build time are valid");
    let known = (services.iter().map(|s| s.grpc_name().to_owned())).chain([
        "grpc.health.v1.Health".to_owned(),
        "grpc.reflection.v1.ServerReflection".to_owned(),
        "grpc.reflection.v1alpha.ServerReflection".to_owned(),
    ]);
    // One count of the calls at work over every connection and service: a connection's own
    // limit bounds one client, this bounds the process.
    let turns = Arc::new(Semaphore::new(CALLS_AT_ONCE));
    let mut routes = Server::builder()
        .concurrency_limit_per_connection(CALLS_PER_CONNECTION)
        .max_concurrent_streams(STREAMS_PER_CONNECTION)
        .timeout(CALL_TIMEOUT)
        .http2_keepalive_interval(Some(Duration::from_secs(60)))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        // A caller's x-request-id is kept (one is made otherwise) and returned; every log line
        // of the call carries it.
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        // Statuses are answers, not server failures: nothing logged per failed call here.
        .layer(
            TraceLayer::new_for_grpc()
                .make_span_with(call_span)
                .on_failure(()),
        )
        .layer(crate::metrics::GrpcMetricsLayer::new(known))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha);
    for service in services {
        routes = match service {
            ServiceName::User => {
                let users = UserGrpc::new(app.users().clone(), auth.clone());
                let routes = routes.add_service(wrap(users.into_server(), &turns));
                // Tenants live beside users, and exist as a service in a multi-tenant
                // deployment only: a single-tenant one serves the protos it always did.
                let tenants = (app.tenancy() == gotemp_core::values::Tenancy::Multi)
                    .then(|| TenantGrpc::new(app.tenants().clone(), auth.clone()).into_server());
                routes.add_optional_service(tenants.map(|t| wrap(t, &turns)))
            }
            ServiceName::Customer => routes.add_service(wrap(
                CustomerGrpc::new(app.customers().clone(), auth.clone()).into_server(),
                &turns,
            )),
            ServiceName::Product => routes.add_service(wrap(
                ProductGrpc::new(app.products().clone(), auth.clone()).into_server(),
                &turns,
            )),
            ServiceName::Promotion => routes.add_service(wrap(
                PromotionGrpc::new(app.promotions().clone(), auth.clone()).into_server(),
                &turns,
            )),
            ServiceName::Audit => routes.add_service(wrap(
                AuditGrpc::new(app.audit().clone(), auth.clone()).into_server(),
                &turns,
            )),
        };
    }
    let watcher = tokio::spawn(watch_readiness(app, services.to_vec(), health));
    let result = match listener.into() {
        // Without TCP_NODELAY a response written in two pieces waits for the client's delayed
        // ACK (40 ms on Linux): measured on GetPromotion before this line.
        Listener::Plain(listener) => {
            let incoming =
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
            routes
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
        // A failed handshake is an error item, which tonic skips.
        Listener::Tls(listener) => {
            use futures::StreamExt as _;
            let incoming = listener.map(|accepted| accepted.map(|(stream, _)| stream));
            routes
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    };
    watcher.abort();
    result
}

/// The span every log line of a call is in: its path and request id, and — with tracing on —
/// the OpenTelemetry server span of the call (semantic-convention `rpc.*` attributes), a child
/// of the caller's `traceparent` when it sent one.
fn call_span<B>(request: &tonic::codegen::http::Request<B>) -> tracing::Span {
    let id = (request.headers().get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let path = request.uri().path();
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    let span = tracing::info_span!(
        "call",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        path = %path,
        request_id = %id,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    // gRPC is the services' interface to one another (the deployments expose only HTTP), so a
    // caller's trace is continued.
    gotemp::logging::continue_trace(&span, request.headers(), true);
    span
}

/// A service as gotemp serves it: each call runs to completion in a task of its own.
fn wrap<S>(service: S, turns: &Arc<Semaphore>) -> RunToCompletion<S> {
    RunToCompletion::new(service, turns.clone())
}

/// Keeps health statuses in step with the storage: SERVING while it answers, NOT_SERVING while
/// it does not.
async fn watch_readiness(app: Gotemp, services: Vec<ServiceName>, health: HealthReporter) {
    let mut last = None;
    loop {
        let ready = app.repositories().outbox.backlog().await.is_ok();
        if last != Some(ready) {
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            if last.is_some() {
                tracing::warn!(ready, "storage readiness changed");
            }
            health.set_service_status("", status).await;
            for s in &services {
                health.set_service_status(s.grpc_name(), status).await;
            }
            last = Some(ready);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Runs each call in a task of its own, in the language its `accept-language` metadata asks
/// for. A client that cancels or goes away then does not cancel
/// a write half-way: a transaction cancelled while it begins leaves its pooled connection
/// inside an open transaction (sqlx 0.9), and every later statement on it uncommitted. The call
/// finishes or fails as a whole; the client just stops waiting.
///
/// A call takes its turn (one of [`CALLS_AT_ONCE`]) before its task is spawned, and the task
/// holds it until the work ends: a client that resets its stream stops waiting, but the turn
/// stays taken while the work goes on, so resets cannot pile up work beyond the limit.
#[derive(Clone)]
pub struct RunToCompletion<S> {
    inner: S,
    turns: Arc<Semaphore>,
}

impl<S> RunToCompletion<S> {
    /// `inner`, with its calls counted in `turns`.
    pub fn new(inner: S, turns: Arc<Semaphore>) -> Self {
        Self { inner, turns }
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for RunToCompletion<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tonic::codegen::Service<tonic::codegen::http::Request<B>> for RunToCompletion<S>
where
    S: tonic::codegen::Service<
            tonic::codegen::http::Request<B>,
            Response = tonic::codegen::http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        >,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: tonic::codegen::http::Request<B>) -> Self::Future {
        use gotemp_core::i18n::{self, Locale};
        use tracing::Instrument as _;
        // Messages in the language the caller asked for (`accept-language` metadata).
        let locale = (request.headers().get("accept-language"))
            .and_then(|v| v.to_str().ok())
            .map(Locale::from_accept_language)
            .unwrap_or_default();
        let call = i18n::sync_scope(locale, || self.inner.call(request));
        let call = i18n::scope(locale, call).instrument(tracing::Span::current());
        let turns = self.turns.clone();
        Box::pin(async move {
            let Ok(Ok(turn)) = tokio::time::timeout(TURN_WAIT, turns.acquire_owned()).await else {
                metrics::counter!("gotemp_grpc_shed_calls_total").increment(1);
                return Ok(tonic::Status::unavailable(
                    i18n::scope(locale, async { gotemp_core::tr!("http.busy") }).await,
                )
                .into_http());
            };
            let work = tokio::spawn(async move {
                let outcome = call.await;
                drop(turn);
                outcome
            });
            match work.await {
                Ok(outcome) => outcome,
                Err(failed) => {
                    tracing::error!(error = %failed, "gRPC handler failed");
                    Ok(tonic::Status::internal(gotemp_core::tr!("error.internal")).into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::codegen::Service as _;
    use tonic::codegen::http::{Request, Response};

    /// A call that works for `ms` milliseconds.
    fn slow(
        ms: u64,
    ) -> impl tonic::codegen::Service<
        Request<()>,
        Response = Response<tonic::body::Body>,
        Error = std::convert::Infallible,
        Future = impl Future<Output = Result<Response<tonic::body::Body>, std::convert::Infallible>>
                 + Send
                 + 'static,
    > + Clone {
        tower::service_fn(move |_: Request<()>| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, std::convert::Infallible>(Response::new(tonic::body::Body::empty()))
        })
    }

    #[tokio::test]
    async fn a_reset_call_keeps_its_turn_until_its_work_ends() {
        let turns = Arc::new(Semaphore::new(1));
        let mut service = RunToCompletion::new(slow(300), turns.clone());
        let call = service.call(Request::new(()));
        // The client resets the stream as soon as the call is under way.
        let _ = tokio::time::timeout(Duration::from_millis(50), call).await;
        assert_eq!(
            turns.available_permits(),
            0,
            "the work goes on, and holds the turn"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            turns.available_permits(),
            1,
            "given back when the work ended"
        );
    }
}
