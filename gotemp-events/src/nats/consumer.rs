//! The audit service's durable JetStream consumer: pulls in bounded batches, stores each batch
//! in one commit, parks what cannot be stored, and reconnects with a back-off.

use super::{NatsSettings, signing, stream_config, unavailable};
use crate::recorder::{AuditRecorder, Delivery};
use async_nats::Client;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt as _;
use gotemp_core::event::AuditEvent;
use gotemp_core::{Error, Result};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

/// Most bytes one pull request asks for: with up to 1,024 messages of up to the event size
/// limit each, a pull by count alone could bring half a gigabyte into the consumer at once.
/// It is above the largest message NATS recommends allowing (`max_payload` 8 MB), so no single
/// message can exceed a pull.
const PULL_BYTES: usize = 8 * 1024 * 1024;

/// The audit service's durable JetStream consumer: explicit acks, shared durable name, parking
/// of messages that cannot be stored.
pub struct NatsAuditConsumer {
    js: jetstream::Context,
    settings: NatsSettings,
    recorder: AuditRecorder,
}

/// A running consumer; stop it with [`ConsumerHandle::shutdown`].
pub struct ConsumerHandle {
    pub(super) cancel: CancellationToken,
    pub(super) task: JoinHandle<()>,
}

impl ConsumerHandle {
    /// Stops after the message in hand and waits until it has.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }

    /// Stops at once, as a crash would: unacknowledged messages are delivered again.
    pub fn abort(self) {
        self.task.abort();
    }
}

impl NatsAuditConsumer {
    /// A consumer over `client` storing through `recorder`.
    pub fn new(client: Client, settings: NatsSettings, recorder: AuditRecorder) -> Self {
        Self {
            js: jetstream::new(client),
            settings,
            recorder,
        }
    }

    /// Starts [`NatsAuditConsumer::run`] on the runtime.
    pub fn spawn(self) -> ConsumerHandle {
        let cancel = CancellationToken::new();
        let task = tokio::spawn(self.run(cancel.clone()));
        ConsumerHandle { cancel, task }
    }

    /// Consumes until `cancel` fires, reconnecting with backoff while NATS is away.
    pub async fn run(self, cancel: CancellationToken) {
        let mut failures: u32 = 0;
        while !cancel.is_cancelled() {
            match self.consume(&cancel, &mut failures).await {
                Ok(()) => break,
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, "audit consumer lost NATS; retrying with backoff");
                    }
                    failures = failures.saturating_add(1);
                    if backoff(&cancel, failures).await {
                        break;
                    }
                }
            }
        }
    }

    async fn consume(&self, cancel: &CancellationToken, failures: &mut u32) -> Result<()> {
        let stream = self
            .js
            .get_or_create_stream(stream_config(&self.settings))
            .await
            .map_err(|e| unavailable("stream", e))?;
        let consumer: jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(
                &self.settings.durable,
                pull::Config {
                    durable_name: Some(self.settings.durable.clone()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(30),
                    filter_subject: self.settings.subjects.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| unavailable("consumer", e))?;
        if *failures > 0 {
            tracing::info!(after_failures = *failures, "audit consumer reconnected");
            *failures = 0;
        }
        // A pull of its own keeps fetching while a batch is stored: the client asks the server
        // for more only while its stream is polled, so storing and fetching in one loop would
        // take turns. The bounded channel holds two store batches, then holds the pull back.
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(STORE_BATCH)
            .max_bytes_per_batch(PULL_BYTES)
            .messages()
            .await
            .map_err(|e| unavailable("messages", e))?;
        let (tx, mut rx) = tokio::sync::mpsc::channel(2 * STORE_BATCH);
        // Ends with this call (a consumer that stops or reconnects stops its pull).
        let _pump = AbortOnDropHandle::new(tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                if tx.send(message).await.is_err() {
                    break;
                }
            }
        }));
        // Whatever has arrived (up to STORE_BATCH) is stored at once, without waiting for more:
        // a quiet stream costs no latency and a busy one is stored a large batch per commit.
        let mut chunk = Vec::with_capacity(STORE_BATCH);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                received = rx.recv_many(&mut chunk, STORE_BATCH) => {
                    if received == 0 {
                        return Err(Error::unavailable("NATS messages: the pull stream ended"));
                    }
                    let messages = chunk
                        .drain(..)
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(|e| unavailable("message", e))?;
                    self.store_chunk(messages).await?;
                }
            }
        }
    }

    /// Stores a chunk in one commit and acknowledges it; if the batch cannot be stored, each
    /// message gets its own verdict (stored, redelivered later, or parked).
    /// A message without a good signature (when signing is on) is parked with the reason.
    async fn store_chunk(&self, messages: Vec<jetstream::Message>) -> Result<()> {
        let forged: Vec<Option<signing::Forged>> = messages
            .iter()
            .map(|m| match &self.settings.signing {
                Some(signer) => signer.verify(m.headers.as_ref(), &m.payload).err(),
                None => None,
            })
            .collect();
        let mut forged = forged;
        let events: Vec<Option<AuditEvent>> = messages
            .iter()
            .zip(&mut forged)
            .map(|(m, forged)| match forged {
                None => {
                    let event: AuditEvent = serde_json::from_slice(&m.payload).ok()?;
                    // An event on another tenant's subject is refused like a forged one.
                    match signing::check_tenant(&m.subject, m.headers.as_ref(), &event) {
                        Ok(()) => Some(from_publisher(event, m)),
                        Err(mismatch) => {
                            *forged = Some(mismatch);
                            None
                        }
                    }
                }
                Some(_) => None,
            })
            .collect();
        let readable: Vec<AuditEvent> = events.iter().flatten().cloned().collect();
        let batch_stored =
            !readable.is_empty() && self.recorder.record_batch(&readable).await.is_ok();
        for ((message, event), forged) in messages.iter().zip(&events).zip(&forged) {
            let ack = if batch_stored && event.is_some() {
                AckKind::Ack
            } else {
                let attempt = message
                    .info()
                    .map(|i| u32::try_from(i.delivered).unwrap_or(u32::MAX))
                    .unwrap_or(1);
                let subject = message.subject.as_str();
                let payload = &message.payload;
                let delivery = match forged {
                    Some(why) => {
                        let reason = why.to_string();
                        self.recorder
                            .refuse(subject, payload, reason, attempt)
                            .await
                    }
                    None => self.recorder.deliver(subject, payload, attempt).await,
                };
                match delivery {
                    Delivery::Stored | Delivery::Duplicate | Delivery::Parked(_) => AckKind::Ack,
                    Delivery::Retry(reason) => {
                        tracing::warn!(subject, attempt, %reason, "audit message not stored; redelivering");
                        AckKind::Nak(Some(Duration::from_millis(200 << attempt.min(6))))
                    }
                }
            };
            message
                .ack_with(ack)
                .await
                .map_err(|e| unavailable("ack", e))?;
        }
        // How many messages the stream still holds for this consumer after the chunk.
        if let Some(info) = messages.last().and_then(|m| m.info().ok()) {
            metrics::gauge!("gotemp_audit_consumer_lag_events").set(info.pending as f64);
        }
        Ok(())
    }
}

/// The event a message carries, continuing the trace from the publisher's span (its
/// `traceparent` header) rather than from the change itself, so the store is the publish's child.
fn from_publisher(mut event: AuditEvent, message: &jetstream::Message) -> AuditEvent {
    let header = (message.headers.as_ref())
        .and_then(|h| h.get("traceparent"))
        .map(|v| v.as_str().to_owned());
    if header.is_some() && event.traceparent.is_some() {
        event.traceparent = header;
    }
    event
}

/// Most messages stored in one commit, and asked of the server in one pull request: a burst is
/// stored in few commits, and one statement's rows stay in a handful of prepared shapes.
const STORE_BATCH: usize = 1024;

/// Sleeps before the next reconnection attempt (100 ms doubling up to 6.4 s); `true` when
/// cancelled meanwhile.
pub(super) async fn backoff(cancel: &CancellationToken, failures: u32) -> bool {
    let delay = Duration::from_millis(100 << failures.min(6));
    tokio::select! {
        _ = cancel.cancelled() => true,
        _ = tokio::time::sleep(delay) => false,
    }
}
