//! gotemp-http: gotemp's five services as a REST/JSON API for people, browsers and scripts.
//!
//! [`router`] builds the whole API over a [`gotemp::Gotemp`]: `/v1/…` resources (bearer-token
//! authenticated), `/healthz`, `/readyz` (details for administrators), `/openapi.json`
//! (generated from the handlers, so it cannot drift from them) and Swagger UI at `/docs` (both
//! switched off by `GOTEMP_HTTP_DOCS=false`). Prometheus metrics are served apart, on
//! `GOTEMP_METRICS_ADDR` ([`gotemp::metrics::serve`]). Errors are
//! `application/problem+json` ([`problem`]); `GET /{id}` returns the version as `ETag`, and `PUT` /
//! `DELETE` honour `If-Match`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = gotemp::Config::load(None)?;
//! let app = gotemp::Gotemp::open(&config).await?;
//! let router = gotemp_http::router(app, None, &config.http);
//! let listener = tokio::net::TcpListener::bind(&config.http.addr).await?;
//! // The peer's address feeds the per-address limit of password attempts.
//! let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
//! axum::serve(listener, service).await?;
//! # Ok(()) }
//! ```

mod api;
pub mod extract;
mod ops;
mod per_request;
pub mod problem;
mod server;
mod settings;
mod web;

pub use web::Ui;

pub use server::HttpServer;
use settings::REQUEST_ID;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use gotemp::{EventPipeline, Gotemp};
use problem::Problem;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use ops::install_metrics;

/// Serves `router` on `listener` — over HTTPS when `tls` is given (from
/// [`HttpConfig::server_tls`](gotemp::HttpConfig::server_tls)) — until `shutdown` completes,
/// then lets the requests in flight finish. Each request knows its peer's address (the
/// per-address limit of password attempts needs it).
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    tls: Option<&gotemp::tls::ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Served over TLS, browsers are told to come back only that way.
    let router = match tls {
        Some(_) => router.layer(middleware::map_response(strict_transport)),
        None => router,
    };
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        None => {
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
        }
        Some(tls) => {
            use axum::serve::ListenerExt as _;
            // axum gives any tapped listener the peer's address as connect info (an untapped
            // one only for a bare TcpListener); the tap itself does nothing.
            let listener = tls.listen(listener).tap_io(|_| {});
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}

/// `Strict-Transport-Security` for a year: only when gotemp itself serves TLS (behind a proxy
/// that terminates TLS, the proxy says it).
async fn strict_transport(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// What every handler reaches: the services and, for readiness, the event pipeline.
#[derive(Clone)]
pub struct ApiState {
    app: Gotemp,
    events: Option<Arc<EventPipeline>>,
    trusted_proxies: Arc<[ipnet::IpNet]>,
    trace_url: Option<Arc<str>>,
}

/// The whole API over `app`. Pass the running event pipeline so `/readyz` can check the broker.
pub fn router(
    app: Gotemp,
    events: Option<Arc<EventPipeline>>,
    settings: &gotemp::HttpConfig,
) -> Router {
    ops::install_metrics();
    let state = ApiState {
        app,
        events,
        trusted_proxies: settings.trusted_proxies.clone().into(),
        trace_url: settings.trace_url.as_deref().map(Arc::from),
    };
    let multi = state.app.tenancy() == gotemp::domain::values::Tenancy::Multi;
    let (api, openapi) = api::routes(multi).split_for_parts();
    let trusted_proxies = state.trusted_proxies.clone();
    let openapi = api::document(openapi);
    let not_found =
        || async { Problem::new(StatusCode::NOT_FOUND, gotemp_core::tr!("http.no_route")) };
    let mut routes = Router::new().merge(api).merge(ops::routes());
    if settings.docs {
        routes =
            routes.merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi));
    }
    let routes = match web::Ui::of(settings).router() {
        None => routes.fallback(not_found),
        // The web front end answers every path outside the API; unknown API paths stay
        // problem+json 404s.
        Some(ui) => routes
            .route("/v1/{*rest}", axum::routing::any(not_found))
            .fallback_service(ui),
    };
    let mut router = routes
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            per_request::Admission::new(settings),
            per_request::per_request,
        ));
    if !settings.cors_origins.is_empty() {
        router = router.layer(cors(&settings.cors_origins));
    }
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |request: &Request| request_span(request, &trusted_proxies))
                .on_response(|response: &Response, _: Duration, span: &tracing::Span| {
                    span.record("http.response.status_code", response.status().as_u16());
                }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span every log line of a request is in: method, path and request id, and — with tracing
/// on — the OpenTelemetry server span of the request (semantic-convention `http.*` attributes;
/// the route template, never ids). It continues the caller's `traceparent` only when the
/// request came through a trusted proxy (`http_trusted_proxies`); a stranger's is a link.
fn request_span(request: &Request, trusted_proxies: &[ipnet::IpNet]) -> tracing::Span {
    let id = (request.headers().get(REQUEST_ID))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let route = (request.extensions().get::<MatchedPath>())
        .map(|m| m.as_str())
        .unwrap_or("");
    let method = request.method();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        method = %method,
        path = %request.uri().path(),
        request_id = %id,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    let peer = (request.extensions())
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let trusted = peer.is_some_and(|ip| trusted_proxies.iter().any(|net| net.contains(&ip)));
    gotemp::logging::continue_trace(&span, request.headers(), trusted);
    span
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT_LANGUAGE,
        ])
        .expose_headers([header::ETAG, header::LOCATION, REQUEST_ID])
        .max_age(Duration::from_secs(600))
}
