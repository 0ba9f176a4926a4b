//! The follower that keeps each instance's cache fresh from the audit stream.

use super::consumer::backoff;
use super::{ConsumerHandle, NatsSettings, stream_config, unavailable};
use crate::invalidation::CacheInvalidator;
use async_nats::Client;
use async_nats::jetstream::{self, consumer::pull};
use futures::StreamExt as _;
use gotemp_core::Result;
use gotemp_core::cache::CacheLayer;
use gotemp_core::event::AuditEvent;
use tokio_util::sync::CancellationToken;

/// Keeps this instance's cache fresh: follows the audit stream from the moment it is made and
/// evicts every customer or product that any instance changed. Each instance runs its own
/// (an ephemeral, ordered consumer: nothing shared, nothing to acknowledge); after losing NATS it
/// resumes from the last message it saw, so no eviction is missed while the stream keeps it.
pub struct NatsCacheInvalidator {
    js: jetstream::Context,
    settings: NatsSettings,
    invalidator: CacheInvalidator,
    started: time::OffsetDateTime,
}

impl NatsCacheInvalidator {
    /// Follows the stream of `settings` over `client`, evicting from `cache`.
    pub fn new(client: Client, settings: NatsSettings, cache: CacheLayer) -> Self {
        Self {
            js: jetstream::new(client),
            settings,
            invalidator: CacheInvalidator::new(cache),
            started: time::OffsetDateTime::now_utc(),
        }
    }

    /// Starts following on the runtime; stop it with [`ConsumerHandle::shutdown`].
    pub fn spawn(self) -> ConsumerHandle {
        let cancel = CancellationToken::new();
        let task = tokio::spawn(self.run(cancel.clone()));
        ConsumerHandle { cancel, task }
    }

    async fn run(self, cancel: CancellationToken) {
        let mut resume_after: Option<u64> = None;
        let mut failures: u32 = 0;
        while !cancel.is_cancelled() {
            match self.follow(&cancel, &mut resume_after, &mut failures).await {
                Ok(()) => break,
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, "cache invalidation lost NATS; resuming with backoff");
                    }
                    failures = failures.saturating_add(1);
                    if backoff(&cancel, failures).await {
                        break;
                    }
                }
            }
        }
    }

    async fn follow(
        &self,
        cancel: &CancellationToken,
        resume_after: &mut Option<u64>,
        failures: &mut u32,
    ) -> Result<()> {
        let stream = self
            .js
            .get_or_create_stream(stream_config(&self.settings))
            .await
            .map_err(|e| unavailable("stream", e))?;
        let deliver_policy = match *resume_after {
            Some(seq) => jetstream::consumer::DeliverPolicy::ByStartSequence {
                start_sequence: seq + 1,
            },
            // Everything published since this follower was made (less a margin for clock skew
            // between hosts): a change committed while the consumer was still being created is
            // not missed, and evicting twice is harmless.
            None => jetstream::consumer::DeliverPolicy::ByStartTime {
                start_time: self.started - time::Duration::seconds(5),
            },
        };
        let mut messages = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: self.settings.subjects.clone(),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| unavailable("consumer", e))?
            .messages()
            .await
            .map_err(|e| unavailable("messages", e))?;
        if *failures > 0 {
            tracing::info!(
                after_failures = *failures,
                "cache invalidation following NATS again"
            );
            *failures = 0;
        }
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                message = messages.next() => {
                    let message = match message {
                        Some(Ok(m)) => m,
                        Some(Err(e)) => return Err(unavailable("messages", e)),
                        None => return Err(unavailable("messages", "the stream ended")),
                    };
                    let forged = match &self.settings.signing {
                        Some(signer) => signer.verify(message.headers.as_ref(), &message.payload).err(),
                        None => None,
                    };
                    match (forged, serde_json::from_slice::<AuditEvent>(&message.payload)) {
                        // The audit consumer parks it; here it just evicts nothing.
                        (Some(why), _) => tracing::warn!(subject = %message.subject, reason = %why, "change event refused"),
                        (None, Ok(event)) => self.invalidator.apply(&event).await,
                        (None, Err(e)) => tracing::debug!(subject = %message.subject, error = %e, "not an audit event; ignored"),
                    }
                    if let Ok(info) = message.info() {
                        *resume_after = Some(info.stream_sequence);
                    }
                }
            }
        }
    }
}
