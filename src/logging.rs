//! Logs and traces of a gotemp process.
//!
//! Logs go to standard error (standard output is for the line saying where a server listens),
//! filtered by `RUST_LOG`, as text or — `GOTEMP_LOG_FORMAT=json` — one JSON object per line for a
//! log collector, with the fields of the spans it happened in (the request's `request_id`, and
//! `trace_id`/`span_id` when tracing is on).
//!
//! Traces are OpenTelemetry spans exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
//! (`OTEL_EXPORTER_OTLP_PROTOCOL` `grpc` or `http/protobuf`, the default; `OTEL_SERVICE_NAME`;
//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`), with W3C trace context propagation.
//! Without an endpoint no tracer is installed at all.
//!
//! Read from the environment, not from the settings file: logging starts before the settings
//! are read, so that reading them can be logged.

#[cfg(feature = "otlp")]
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// What becomes a span of a trace unless `GOTEMP_TRACE_FILTER` says otherwise: gotemp's own
/// spans at info (requests, calls, writes, the event pipeline), not the internals of the HTTP/2,
/// database and broker clients. The cache's spans are at debug: add `gotemp_core::cache=debug`
/// to see each cache call — measured at a quarter of a warm read's throughput when on
/// (benches/RESULTS.md), so they are not traced by default.
#[cfg(feature = "otlp")]
const TRACED: &str = "info,h2=off,hyper=off,hyper_util=off,tonic=off,\
                      tower=off,sqlx=off,async_nats=off,opentelemetry=off,opentelemetry_sdk=off,\
                      reqwest=off";

/// What exports spans: the OpenTelemetry SDK's provider (feature `otlp`).
#[cfg(feature = "otlp")]
type Provider = opentelemetry_sdk::trace::SdkTracerProvider;
/// Without the `otlp` feature nothing exports spans: there is never a provider.
#[cfg(not(feature = "otlp"))]
type Provider = std::convert::Infallible;

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `GOTEMP_LOG_FORMAT`: `text` (default) or `json`; anything else is an error naming it.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("GOTEMP_LOG_FORMAT").ok().as_deref() {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!(
                "GOTEMP_LOG_FORMAT must be text or json, got {other:?}"
            )),
        }
    }
}

/// What [`init`] started; [`Telemetry::shutdown`] sends the spans still buffered.
#[must_use = "keep it until the process ends, then call shutdown"]
pub struct Telemetry {
    tracer: Option<Provider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn tracing(&self) -> bool {
        self.tracer.is_some()
    }

    /// Exports the spans still buffered and stops the exporter (at most a few seconds). The
    /// wait happens off the runtime's workers, which do the exporting.
    pub async fn shutdown(self) {
        let Some(provider) = self.tracer else {
            return;
        };
        #[cfg(not(feature = "otlp"))]
        match provider {}
        #[cfg(feature = "otlp")]
        {
            let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(e)) = done {
                eprintln!("traces not all exported: {e}");
            }
        }
    }
}

/// Starts logging at `default` (`RUST_LOG` wins) in the format `GOTEMP_LOG_FORMAT` asks for, and
/// tracing when an OTLP endpoint is configured, naming the service `service` unless
/// `OTEL_SERVICE_NAME` says otherwise. Must run inside the Tokio runtime. An unknown format or
/// protocol is an error, said before anything else happens.
pub fn init(default: &str, service: &str) -> Result<Telemetry, String> {
    let format = LogFormat::from_env()?;
    let provider = tracer_provider(service)?;
    use tracing_subscriber::Layer as _;
    // Each output has its own filter: RUST_LOG quiets the log without losing spans.
    let logged =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    #[cfg(not(feature = "otlp"))]
    let otel: Option<tracing_subscriber::filter::LevelFilter> = None;
    #[cfg(feature = "otlp")]
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("gotemp"))
            .with_error_records_to_exceptions(true)
            .with_filter(tracing_subscriber::EnvFilter::new(
                std::env::var("GOTEMP_TRACE_FILTER").unwrap_or_else(|_| TRACED.to_owned()),
            ))
    });
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(otel);
    let installed = match format {
        LogFormat::Text => registry.with(fmt.with_filter(logged)).try_init(),
        LogFormat::Json => registry
            .with(
                fmt.json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .flatten_event(true)
                    .with_filter(logged),
            )
            .try_init(),
    };
    installed.map_err(|e| format!("logging not started: {e}"))?;
    Ok(Telemetry { tracer: provider })
}

/// A setting of the environment, blank being the same as absent.
fn configured(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the environment asks for spans to be exported.
fn exporting() -> bool {
    configured("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || configured("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
}

/// Without the `otlp` feature: asking for an export is an error, said at start rather than
/// ignored.
#[cfg(not(feature = "otlp"))]
fn tracer_provider(_service: &str) -> Result<Option<Provider>, String> {
    match exporting() {
        true => Err(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build exports no traces \
                     (gotemp's `otlp` feature)"
                .into(),
        ),
        false => Ok(None),
    }
}

/// The tracer provider the `OTEL_*` variables ask for; `None` without an endpoint.
#[cfg(feature = "otlp")]
fn tracer_provider(service: &str) -> Result<Option<Provider>, String> {
    use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig as _};
    if !exporting() {
        return Ok(None);
    }
    let protocol = configured("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| configured("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_else(|| "http/protobuf".into());
    let exporter = match protocol.as_str() {
        "grpc" => SpanExporter::builder().with_tonic().build(),
        "http/protobuf" => SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build(),
        other => {
            return Err(format!(
                "OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got {other:?}"
            ));
        }
    }
    .map_err(|e| format!("OTLP exporter: {e}"))?;
    // Exports run on the Tokio runtime: the tonic and reqwest clients need its reactor.
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let mut resource = opentelemetry_sdk::Resource::builder();
    if configured("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(service.to_owned());
    }
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource.build())
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    opentelemetry::global::set_tracer_provider(provider.clone());
    // Changes carry their request's trace through the outbox and the broker.
    gotemp_core::event::set_trace_source(current_traceparent);
    Ok(Some(provider))
}

/// Continues the trace a caller started, if the caller is `trusted`: makes `span` (a request's
/// or call's span, declared with empty `trace_id` and `span_id` fields) a child of the W3C
/// `traceparent`/`tracestate` in `carrier` (HTTP headers, gRPC metadata as headers), and records
/// the trace and span ids on it so every log line inside shows them. A caller that is not
/// trusted (a stranger at the public edge) does not get to choose the trace, its id or whether
/// it is sampled: the span starts a trace of its own with a link to the caller's, so the two can
/// still be found together. Without a `traceparent` the span starts a trace; with tracing off it
/// only records nothing.
pub fn continue_trace(span: &tracing::Span, carrier: &http::HeaderMap, trusted: bool) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&opentelemetry_http::HeaderExtractor(carrier))
    });
    let caller = parent.span().span_context().clone();
    if caller.is_valid() {
        if trusted {
            let _ = span.set_parent(parent);
        } else {
            span.add_link(caller);
        }
    }
    let context = span.context();
    let ids = context.span().span_context().clone();
    if ids.is_valid() {
        span.record("trace_id", tracing::field::display(ids.trace_id()));
        span.record("span_id", tracing::field::display(ids.span_id()));
    }
}

/// The current span's W3C `traceparent`, to carry the trace across a hop gotemp makes itself
/// (an outgoing call, the outbox, a broker message); `None` with tracing off.
pub fn current_traceparent() -> Option<String> {
    gotemp_events::trace::traceparent_of(&tracing::Span::current())
}
