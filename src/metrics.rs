//! Prometheus metrics for every gotemp process: one recorder per process, the figures that need
//! a query (outbox backlog and age, parked audit messages) sampled in the background, and the
//! `/metrics` endpoint on a listener of its own (`GOTEMP_METRICS_ADDR`), never on the public
//! API: what it shows (login outcomes, dead letters, pool usage) is for operators.
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

/// Samples what is read rather than counted: the outbox (`gotemp_outbox_pending_events`, `gotemp_outbox_oldest_pending_age_seconds`, and
/// `gotemp_outbox_dead_letters`: events the relay set aside because the broker refused them), the
/// connection pools (`gotemp_db_pool_connections` by db, pool and state `idle`|`in_use`) and,
/// in a process that stores the audit trail, `gotemp_audit_dead_letters`. [`serve`] calls it
/// every [`SAMPLE_EVERY`]; a scrape runs no query, so scraping cannot load the database.
pub async fn sample(app: &Gotemp, records_audit: bool) {
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
    match outbox.set_aside_count(None).await {
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
        match app.audit().dead_letter_count(None).await {
            Ok(parked) => metrics::gauge!("gotemp_audit_dead_letters").set(parked as f64),
            Err(e) => tracing::warn!(error = %e, "dead letters unreadable"),
        }
    }
}

/// How often [`serve`] samples the figures that need a query.
pub const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The Prometheus text of this process. `None` without the recorder (see [`install`]).
pub fn render() -> Option<String> {
    install().map(|handle| handle.render())
}

/// Serves `/metrics` and the whole readiness report at `/readyz` (which backend failed, and
/// why: the public API tells strangers only the status) on `listener` until `shutdown`,
/// sampling the figures that need a query every [`SAMPLE_EVERY`] meanwhile. Every gotemp binary
/// serves it on `GOTEMP_METRICS_ADDR`, apart from its API. `events`: the pipeline whose broker
/// readiness reports; `records_audit`: the process stores the audit trail.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Gotemp,
    events: Option<std::sync::Arc<crate::EventPipeline>>,
    records_audit: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse as _;
    // Ends with this call, however it ends.
    struct Sampler(tokio::task::JoinHandle<()>);
    impl Drop for Sampler {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let sampled = app.clone();
    let _sampler = Sampler(tokio::spawn(async move {
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        loop {
            every.tick().await;
            sample(&sampled, records_audit).await;
        }
    }));
    let ready = move || {
        let (app, events) = (app.clone(), events.clone());
        async move {
            let (ready, report) = crate::readiness(&app, events.as_deref()).await;
            let status = match ready {
                true => StatusCode::OK,
                false => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, axum::Json(report)).into_response()
        }
    };
    let scrape = move || async move {
        match render() {
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
    };
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .route("/readyz", axum::routing::get(ready));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// [`serve`] running in the background on an address of its own, until [`MetricsServer::stop`].
pub struct MetricsServer {
    /// Where it listens (port 0 in the setting: the port chosen).
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl MetricsServer {
    /// Listens on `addr` (`GOTEMP_METRICS_ADDR`) and serves [`serve`]'s routes there.
    pub async fn start(
        addr: std::net::SocketAddr,
        app: Gotemp,
        events: Option<std::sync::Arc<crate::EventPipeline>>,
        records_audit: bool,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, app, events, records_audit, shutdown));
        Ok(Self { addr, stop, task })
    }

    /// Stops serving and waits until it has.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)?
    }
}
