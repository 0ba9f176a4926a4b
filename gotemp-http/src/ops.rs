//! What operators and orchestrators call: liveness, readiness and Prometheus metrics.

use crate::ApiState;
use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use std::collections::BTreeMap;
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
        .route("/metrics", get(metrics_text))
}

/// Liveness: the process answers.
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// One backend's state in a readiness report.
#[derive(Debug, Serialize)]
struct Check {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Readiness: 503 while the storage does not answer (nothing can be served); a broker or cache
/// outage is reported as `degraded` with 200, because requests still succeed (events wait in the
/// outbox, lookups bypass the cache) and taking every instance out of rotation for it would turn
/// a slowdown into an outage.
async fn readyz(State(state): State<ApiState>) -> Response {
    let limit = Duration::from_secs(2);
    let mut checks = BTreeMap::new();
    let storage = match tokio::time::timeout(limit, state.app.check_storage()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    };
    let cache = match tokio::time::timeout(limit, state.app.check_cache()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    };
    let broker = match &state.events {
        Some(events) => events.check_broker().map_err(|e| e.to_string()),
        None => Ok(()),
    };
    let storage_ok = storage.is_ok();
    let mut failed = Vec::new();
    for (name, result) in [("storage", storage), ("broker", broker), ("cache", cache)] {
        if let Err(e) = &result {
            tracing::warn!(backend = name, error = %e, "readiness check failed");
            failed.push(name);
        }
        checks.insert(
            name,
            Check {
                ok: result.is_ok(),
                error: result.err(),
            },
        );
    }
    let (status, word) = match (storage_ok, failed.is_empty()) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ready"),
    };
    let body = serde_json::json!({
        "status": word,
        "failed": failed,
        "checks": checks,
        "audit_storage": state.app.audit_storage(),
    });
    (status, axum::Json(body)).into_response()
}

/// Prometheus text format; the outbox and the parked audit messages are read at scrape time.
async fn metrics_text(State(state): State<ApiState>) -> Response {
    // The HTTP API serves the audit routes, so it reaches the audit store and its dead letters.
    match gotemp::metrics::render(&state.app, true).await {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        None => (
            StatusCode::NOT_IMPLEMENTED,
            "another metrics recorder is installed in this process; scrape it instead\n",
        )
            .into_response(),
    }
}
