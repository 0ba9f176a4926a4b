//! Carrying a trace across the hops the event pipeline makes: the outbox (the event keeps the
//! W3C `traceparent` of the change), the broker (a message header), and the audit consumer
//! (whose span continues the change's trace). With tracing off, spans have no context and these
//! do nothing.

use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Makes `span` a child of the context `traceparent` names (ignored when malformed).
pub fn continue_from(span: &tracing::Span, traceparent: &str) {
    use opentelemetry::trace::TraceContextExt as _;
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// `span`'s own `traceparent`, for the next hop to continue from; `None` with tracing off.
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut carrier));
    carrier.remove("traceparent")
}
