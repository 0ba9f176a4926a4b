//! The audit service's side of the pipeline: store each event once, retry what may succeed
//! later, park what never will.

use crate::bus::EventHandler;
use async_trait::async_trait;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::DeadLetter;
use gotemp_core::services::AuditService;
use gotemp_core::{Error, Result};

/// What became of one delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Stored for the first time.
    Stored,
    /// Already stored (a re-sent event); nothing changed.
    Duplicate,
    /// Could not be stored now; deliver it again later.
    Retry(String),
    /// Could not be stored and never will be; kept in the dead-letter table.
    Parked(String),
}

/// Stores events through the [`AuditService`]. Used directly as an in-process handler, and by
/// the NATS consumer for each message.
#[derive(Clone)]
pub struct AuditRecorder {
    audit: AuditService,
    max_attempts: u32,
}

impl AuditRecorder {
    /// A recorder that parks a message after `max_attempts` failed deliveries.
    pub fn new(audit: AuditService, max_attempts: u32) -> Self {
        Self {
            audit,
            max_attempts: max_attempts.max(1),
        }
    }

    /// Handles one raw message: `attempt` counts deliveries from 1. A payload that is not an
    /// event is parked at once (retrying cannot help); a store that is down (`Unavailable`) is
    /// retried without limit, since parking would only move the outage's events aside; any other
    /// failure is retried and parked after `max_attempts`.
    pub async fn deliver(&self, subject: &str, payload: &[u8], attempt: u32) -> Delivery {
        let event: AuditEvent = match serde_json::from_slice(payload) {
            Ok(e) => e,
            Err(e) => {
                return self
                    .park(
                        subject,
                        payload,
                        None,
                        format!("not an audit event: {e}"),
                        attempt,
                    )
                    .await;
            }
        };
        match self.audit.record(&event).await {
            Ok(true) => Delivery::Stored,
            Ok(false) => Delivery::Duplicate,
            Err(e) if e.is_retriable() => Delivery::Retry(e.to_string()),
            Err(e) if attempt < self.max_attempts => Delivery::Retry(e.to_string()),
            Err(e) => {
                self.park(
                    subject,
                    payload,
                    Some(event.event_id),
                    e.to_string(),
                    attempt,
                )
                .await
            }
        }
    }

    async fn park(
        &self,
        subject: &str,
        payload: &[u8],
        event_id: Option<uuid::Uuid>,
        reason: String,
        attempt: u32,
    ) -> Delivery {
        let letter = DeadLetter {
            event_id,
            subject: subject.to_owned(),
            payload: String::from_utf8_lossy(payload).into_owned(),
            reason: reason.clone(),
            attempts: attempt,
            failed_at: gotemp_core::values::now(),
        };
        match self.audit.park(&letter).await {
            Ok(()) => {
                tracing::error!(subject, %reason, attempts = attempt, "audit message parked in the dead-letter table");
                Delivery::Parked(reason)
            }
            Err(e) => Delivery::Retry(format!("{reason}; parking failed too: {e}")),
        }
    }
}

#[async_trait]
impl EventHandler for AuditRecorder {
    /// Retries in place (with a short backoff) up to `max_attempts`; a store that is still down
    /// then fails the batch, and the relay backs off and publishes it again.
    async fn handle(&self, event: &AuditEvent) -> Result<()> {
        let payload = serde_json::to_vec(event)
            .map_err(|e| Error::Internal(format!("event does not serialize: {e}")))?;
        let subject = event.topic();
        let mut attempt = 1;
        loop {
            match self.deliver(&subject, &payload, attempt).await {
                Delivery::Stored | Delivery::Duplicate | Delivery::Parked(_) => return Ok(()),
                Delivery::Retry(reason) if attempt >= self.max_attempts => {
                    return Err(Error::Unavailable(reason));
                }
                Delivery::Retry(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(6)))
                        .await;
                    attempt += 1;
                }
            }
        }
    }
}
