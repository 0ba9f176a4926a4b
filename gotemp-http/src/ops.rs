//! What operators and orchestrators call: liveness and readiness. Prometheus metrics are not
//! here: they are served apart from the API, on `GOTEMP_METRICS_ADDR` ([`gotemp::metrics::serve`]).

use crate::ApiState;
use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;

/// Installs the process-wide Prometheus recorder (once; later calls reuse it) so `/metrics`
/// shows the request, cache and outbox figures: [`gotemp::metrics::install`].
pub fn install_metrics() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    gotemp::metrics::install()
}

/// Counts a finished request and its latency, labelled by route template (not the raw path,
/// which would make one series per id) and status.
pub(crate) fn record_request(method: &Method, route: &str, status: StatusCode, took: Duration) {
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route.to_owned()),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("gotemp_http_requests_total", &labels).increment(1);
    metrics::histogram!("gotemp_http_request_duration_seconds", &labels).record(took.as_secs_f64());
}

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process answers.
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 503 while the storage does not answer (nothing can be served); a broker or cache
/// outage is reported as `degraded` with 200, because requests still succeed (events wait in the
/// outbox, lookups bypass the cache) and taking every instance out of rotation for it would turn
/// a slowdown into an outage. A stranger (an orchestrator's probe) gets the status alone; which
/// backend failed and why is for a token the policy grants `audit:manage` (administrators).
async fn readyz(State(state): State<ApiState>, headers: axum::http::HeaderMap) -> Response {
    let caller = (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(gotemp_core::auth::bearer_token);
    let detailed = match caller {
        Some(token) => (state.app.users().authenticate(token).await)
            .is_ok_and(|who| state.app.audit().may_manage(&who.actor)),
        None => false,
    };
    let (ready, report) = gotemp::readiness(&state.app, state.events.as_deref()).await;
    let status = match ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = match detailed {
        true => report,
        false => serde_json::json!({ "status": report["status"] }),
    };
    (status, axum::Json(body)).into_response()
}
