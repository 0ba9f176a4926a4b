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
                self.park(subject, payload, Some(&event), e.to_string(), attempt)
                    .await
            }
        }
    }

    /// Parks a message that must not be stored (a forged one), with `reason`.
    pub async fn refuse(
        &self,
        subject: &str,
        payload: &[u8],
        reason: String,
        attempt: u32,
    ) -> Delivery {
        metrics::counter!("gotemp_audit_refused_messages_total").increment(1);
        self.park(subject, payload, None, reason, attempt).await
    }

    async fn park(
        &self,
        subject: &str,
        payload: &[u8],
        event: Option<&AuditEvent>,
        reason: String,
        attempt: u32,
    ) -> Delivery {
        // A message that is no event of this deployment names no tenant it can be trusted with:
        // it is the home tenant's, whose administrators run the deployment.
        let home = || self.audit.home_tenant().clone();
        let tenant = event.map_or_else(home, |e| e.tenant.clone());
        let letter = DeadLetter {
            id: 0,
            tenant,
            event_id: event.map(|e| e.event_id),
            subject: subject.to_owned(),
            payload: String::from_utf8_lossy(payload).into_owned(),
            reason: reason.clone(),
            attempts: attempt,
            failed_at: gotemp_core::values::now(),
            source: gotemp_core::ports::DeadLetterSource::Audit,
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

impl AuditRecorder {
    /// Stores a batch in one commit. On failure nothing is stored and the caller handles the
    /// events one by one ([`AuditRecorder::deliver`]), which finds and parks a poison event.
    /// Each traced event gets a span of its own in its change's trace, lasting the commit.
    pub async fn record_batch(&self, events: &[AuditEvent]) -> Result<()> {
        let spans: Vec<tracing::Span> = (events.iter())
            .filter_map(|event| {
                let traceparent = event.traceparent.as_deref()?;
                let span = tracing::info_span!(
                    "audit.store",
                    otel.name = %format_args!("store {}", event.topic()),
                    otel.kind = "consumer",
                    messaging.message.id = %event.event_id,
                    messaging.batch.message_count = events.len(),
                );
                crate::trace::continue_from(&span, traceparent);
                Some(span)
            })
            .collect();
        let stored = self.audit.record_batch(events).await.map(drop);
        drop(spans);
        stored
    }
}

#[async_trait]
impl EventHandler for AuditRecorder {
    /// One commit for the whole batch; if that fails for a reason other than an outage, the
    /// events go one by one so only the one that cannot be stored is parked.
    async fn handle_batch(&self, events: &[AuditEvent]) -> Result<()> {
        match self.record_batch(events).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_retriable() => Err(e),
            Err(_) => {
                for event in events {
                    self.handle(event).await?;
                }
                Ok(())
            }
        }
    }

    /// Retries in place (with a short backoff) up to `max_attempts`; a store that is still down
    /// then fails the batch, and the relay backs off and publishes it again.
    async fn handle(&self, event: &AuditEvent) -> Result<()> {
        let payload = serde_json::to_vec(event)
            .map_err(|e| Error::internal_from(format!("event does not serialize: {e}"), e))?;
        let subject = event.topic();
        let mut attempt = 1;
        loop {
            match self.deliver(&subject, &payload, attempt).await {
                Delivery::Stored | Delivery::Duplicate | Delivery::Parked(_) => return Ok(()),
                Delivery::Retry(reason) if attempt >= self.max_attempts => {
                    return Err(Error::unavailable(reason));
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use gotemp_core::ports::MockAuditRepository;
    use std::sync::Arc;

    fn event_bytes() -> Vec<u8> {
        let event = AuditEvent {
            event_id: uuid::Uuid::now_v7(),
            schema_version: 1,
            occurred_at: Utc::now(),
            service: "user".into(),
            action_func: "create_user".into(),
            action_type: gotemp_core::event::ActionType::Insert,
            object_name: "user".into(),
            object_id: "1".into(),
            performed_by: 1,
            tenant: gotemp_core::values::TenantId::default_tenant(),
            object_detail: serde_json::json!({"id": 1}),
            traceparent: None,
        };
        serde_json::to_vec(&event).unwrap()
    }

    /// An audit store whose every write fails with `error`, giving up after 3 attempts.
    fn recorder(error: Error, mut repo: MockAuditRepository) -> AuditRecorder {
        let batch_error = error.clone();
        repo.expect_record()
            .returning(move |_, _| Err(error.clone()));
        repo.expect_record_batch()
            .returning(move |_, _| Err(batch_error.clone()));
        AuditRecorder::new(AuditService::new(Arc::new(repo)), 3)
    }

    #[tokio::test]
    async fn an_unstorable_event_is_retried_then_parked_with_its_reason() {
        let mut repo = MockAuditRepository::new();
        // Parked once, on the last attempt only: an earlier park matches no expectation.
        repo.expect_park()
            .withf(|letter| {
                letter.attempts == 3
                    && letter.reason.contains("value too long")
                    && letter.event_id.is_some()
            })
            .times(1)
            .returning(|_| Ok(()));
        let r = recorder(Error::internal("value too long"), repo);
        let payload = event_bytes();
        for attempt in 1..3 {
            assert!(matches!(
                r.deliver("s", &payload, attempt).await,
                Delivery::Retry(_)
            ));
        }
        assert!(matches!(
            r.deliver("s", &payload, 3).await,
            Delivery::Parked(_)
        ));
    }

    #[tokio::test]
    async fn an_outage_is_retried_without_parking() {
        let mut repo = MockAuditRepository::new();
        repo.expect_park().never();
        let r = recorder(Error::unavailable("database down"), repo);
        assert!(matches!(
            r.deliver("s", &event_bytes(), 50).await,
            Delivery::Retry(_)
        ));
    }
}
