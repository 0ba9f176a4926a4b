//! Prometheus metrics for every gotemp process: one recorder per process, the figures sampled
//! at scrape time (outbox backlog and age, parked audit messages), and a `/metrics` endpoint for
//! processes that serve no HTTP API of their own (gotemp-grpc, on `GOTEMP_METRICS_ADDR`).
//!
//! Counted where they happen: `gotemp_http_requests_total` and
//! `gotemp_http_request_duration_seconds` (route, method, status), `gotemp_grpc_requests_total`
//! and `gotemp_grpc_request_duration_seconds` (service, method, code),
//! `gotemp_relay_published_events_total`, `gotemp_audit_consumer_lag_events`,
//! `gotemp_logins_total` (outcome), the cache's `gotemp_cache_*`.

use crate::Gotemp;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets from 100 µs: most calls answer in well under a millisecond.
pub const DURATION_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Installs the process-wide Prometheus recorder (once; later calls reuse it). `None` when the
/// embedding application installed another `metrics` recorder first: `/metrics` then says so
/// instead of showing empty figures.
pub fn install() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let durations = Matcher::Suffix("_duration_seconds".into());
            PrometheusBuilder::new()
                .set_buckets_for_metric(durations, &DURATION_BUCKETS)
                .and_then(|b| b.install_recorder())
                .map_err(|e| tracing::warn!(error = %e, "Prometheus recorder not installed"))
                .ok()
        })
        .clone()
}

/// The Prometheus text of this process, after sampling what is read rather than counted: the
/// outbox (`gotemp_outbox_pending_events`, `gotemp_outbox_oldest_pending_age_seconds`, and
/// `gotemp_outbox_dead_letters`: events the relay set aside because the broker refused them), the
/// connection pools (`gotemp_db_pool_connections` by db, pool and state `idle`|`in_use`) and,
/// in a process that stores the audit trail, `gotemp_audit_dead_letters`. `None` without the
/// recorder (see [`install`]).
pub async fn render(app: &Gotemp, records_audit: bool) -> Option<String> {
    let handle = install()?;
    let outbox = &app.repositories().outbox;
    match outbox.backlog().await {
        Ok(pending) => metrics::gauge!("gotemp_outbox_pending_events").set(pending as f64),
        Err(e) => tracing::warn!(error = %e, "outbox backlog unreadable"),
    }
    match outbox.oldest_pending().await {
        Ok(oldest) => {
            let age = oldest.map_or(0.0, |at| {
                (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
            });
            metrics::gauge!("gotemp_outbox_oldest_pending_age_seconds").set(age);
        }
        Err(e) => tracing::warn!(error = %e, "oldest outbox event unreadable"),
    }
    match outbox.set_aside_count().await {
        Ok(n) => metrics::gauge!("gotemp_outbox_dead_letters").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "set-aside outbox events unreadable"),
    }
    for (serves, pool) in &app.repositories().pools {
        let (open, idle) = pool.connections();
        let labels =
            |state: &'static str| [("db", pool.system()), ("pool", serves), ("state", state)];
        metrics::gauge!("gotemp_db_pool_connections", &labels("idle")).set(f64::from(idle));
        metrics::gauge!("gotemp_db_pool_connections", &labels("in_use"))
            .set(f64::from(open.saturating_sub(idle)));
    }
    if records_audit {
        match app.audit().dead_letter_count().await {
            Ok(parked) => metrics::gauge!("gotemp_audit_dead_letters").set(parked as f64),
            Err(e) => tracing::warn!(error = %e, "dead letters unreadable"),
        }
    }
    Some(handle.render())
}

/// Serves `/metrics` (and nothing else) on `listener` until `shutdown`: for processes whose
/// own protocol is not HTTP. `records_audit`: the process stores the audit trail.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Gotemp,
    records_audit: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse as _;
    let scrape = move || {
        let app = app.clone();
        async move {
            match render(&app, records_audit).await {
                Some(text) => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    text,
                )
                    .into_response(),
                None => (
                    StatusCode::NOT_IMPLEMENTED,
                    "another metrics recorder is installed in this process\n",
                )
                    .into_response(),
            }
        }
    };
    let router = axum::Router::new().route("/metrics", axum::routing::get(scrape));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
