//! NATS JetStream: the sink the relay publishes to, the durable consumer the audit service
//! reads from, and the follower that keeps each instance's cache fresh.
//!
//! Events go to the stream `GOTEMP_AUDIT` on subjects `gotemp.audit.<tenant>.<service>.<action>`
//! (`gotemp.audit.<service>.<action>` for the tenant `default`), with the tenant also in the
//! `Gotemp-Tenant` header. Each
//! message carries `Nats-Msg-Id` = event id, so the server drops a re-sent event within its
//! duplicate window, and the audit store drops it after that. Publishing waits for the server's
//! acknowledgement of every message before the relay marks a batch sent.

use async_nats::jetstream::{self, stream};
use async_nats::{Client, HeaderMap, header::NATS_MESSAGE_ID};
use async_trait::async_trait;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::EventSink;
use gotemp_core::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod connect;
mod consumer;
mod invalidator;
pub mod signing;
pub use connect::{NatsConnect, connect, connect_with};
pub use consumer::{ConsumerHandle, NatsAuditConsumer};
pub use invalidator::NatsCacheInvalidator;
pub use signing::EventSigner;

/// Where and how the audit stream lives.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    /// Stream name.
    pub stream: String,
    /// Subjects the stream takes.
    pub subjects: String,
    /// How long the server remembers message ids to drop duplicates.
    pub duplicate_window: Duration,
    /// Longest wait for the server's acknowledgements of one batch.
    pub ack_timeout: Duration,
    /// Durable consumer name; every audit service instance uses the same one, so they share the
    /// work instead of each storing everything.
    pub durable: String,
    /// Deliveries before a message the recorder cannot store is parked.
    pub max_attempts: u32,
    /// Sign what is published, and take only messages signed with the same key; `None`: no
    /// signatures made or checked.
    pub signing: Option<EventSigner>,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            stream: "GOTEMP_AUDIT".into(),
            subjects: "gotemp.audit.>".into(),
            duplicate_window: Duration::from_secs(600),
            ack_timeout: Duration::from_secs(10),
            durable: "gotemp-audit".into(),
            max_attempts: 5,
            signing: None,
        }
    }
}

fn unavailable(
    what: &str,
    e: impl Into<gotemp_core::error::BoxError> + std::fmt::Display,
) -> Error {
    Error::unavailable_from(format!("NATS {what}: {e}"), e)
}

/// A failed publish: an event larger than the server takes can never be published, so the
/// error is not retriable (the relay sets the event aside); anything else is the broker being
/// unreachable for now.
fn publish_error(
    event: &AuditEvent,
    size: usize,
    e: async_nats::jetstream::context::PublishError,
) -> Error {
    use async_nats::jetstream::context::PublishErrorKind;
    if e.kind() == PublishErrorKind::MaxPayloadExceeded {
        return Error::internal_from(
            format!(
                "NATS publish: event {} is {size} bytes, more than the server's max_payload",
                event.event_id
            ),
            e,
        );
    }
    unavailable("publish", e)
}

fn stream_config(s: &NatsSettings) -> stream::Config {
    stream::Config {
        name: s.stream.clone(),
        subjects: vec![s.subjects.clone()],
        duplicate_window: s.duplicate_window,
        storage: stream::StorageType::File,
        ..Default::default()
    }
}

/// Publishes audit events to JetStream.
pub struct NatsSink {
    js: jetstream::Context,
    settings: NatsSettings,
    stream_ready: AtomicBool,
}

impl NatsSink {
    /// A sink over `client`; the stream is created on first use when missing.
    pub fn new(client: Client, settings: NatsSettings) -> Self {
        Self {
            js: jetstream::new(client),
            settings,
            stream_ready: AtomicBool::new(false),
        }
    }

    async fn ensure_stream(&self) -> Result<()> {
        if !self.stream_ready.load(Ordering::Acquire) {
            self.js
                .get_or_create_stream(stream_config(&self.settings))
                .await
                .map_err(|e| unavailable("stream", e))?;
            self.stream_ready.store(true, Ordering::Release);
        }
        Ok(())
    }

    async fn publish_all(&self, events: &[AuditEvent]) -> Result<()> {
        self.ensure_stream().await?;
        let mut acks = Vec::with_capacity(events.len());
        // One producer span per event, in the trace of the change; held until acknowledged.
        let mut spans = Vec::with_capacity(events.len());
        for event in events {
            let mut headers = HeaderMap::new();
            headers.insert(NATS_MESSAGE_ID, event.event_id.to_string().as_str());
            headers.insert(signing::TENANT_HEADER, event.tenant.as_str());
            let topic = event.topic();
            let span = tracing::info_span!(
                "publish",
                otel.name = %format_args!("publish {topic}"),
                otel.kind = "producer",
                messaging.system = "nats",
                messaging.destination.name = %topic,
                messaging.message.id = %event.event_id,
            );
            if let Some(traceparent) = &event.traceparent {
                crate::trace::continue_from(&span, traceparent);
            }
            if let Some(traceparent) = crate::trace::traceparent_of(&span) {
                headers.insert("traceparent", traceparent.as_str());
            }
            spans.push(span);
            let payload = serde_json::to_vec(event)
                .map_err(|e| Error::internal_from(format!("event does not serialize: {e}"), e))?;
            if let Some(signer) = &self.settings.signing {
                let signature = signer.sign(&event.event_id.to_string(), &payload);
                headers.insert(signing::SIGNATURE_HEADER, signature.as_str());
            }
            let size = payload.len();
            let ack = self
                .js
                .publish_with_headers(topic, headers, payload.into())
                .await
                .map_err(|e| publish_error(event, size, e))?;
            acks.push(ack);
        }
        // Pipelined: every message is in flight before the first acknowledgement is awaited.
        for ack in acks {
            ack.await.map_err(|e| unavailable("acknowledgement", e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl EventSink for NatsSink {
    async fn publish(&self, events: &[AuditEvent]) -> Result<()> {
        let result = tokio::time::timeout(self.settings.ack_timeout, self.publish_all(events))
            .await
            .unwrap_or_else(|_| {
                Err(unavailable(
                    "publish",
                    "timed out waiting for acknowledgements",
                ))
            });
        if result.is_err() {
            // The stream may have gone with the server's state; check it again next time.
            self.stream_ready.store(false, Ordering::Release);
        }
        result
    }
}
