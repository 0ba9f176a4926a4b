//! The embedded default sink: events go straight to in-process handlers.

use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::EventSink;
use std::sync::{Arc, RwLock};

/// Something that reacts to events in the same process (the audit recorder, cache invalidation).
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Handles one event. An error makes the relay publish the batch again later, so handlers
    /// must tolerate seeing an event twice.
    async fn handle(&self, event: &AuditEvent) -> Result<()>;

    /// Handles a batch in order; override to do it in one go (one commit per batch).
    async fn handle_batch(&self, events: &[AuditEvent]) -> Result<()> {
        for event in events {
            self.handle(event).await?;
        }
        Ok(())
    }
}

/// Delivers every published event to every subscribed handler, in order, and confirms a batch
/// only when all handlers took all of it.
#[derive(Default, Clone)]
pub struct InProcessBus {
    handlers: Arc<RwLock<Vec<Arc<dyn EventHandler>>>>,
}

impl InProcessBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler for every event published from now on.
    pub fn subscribe(&self, handler: Arc<dyn EventHandler>) {
        self.handlers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(handler);
    }

    fn handlers(&self) -> Vec<Arc<dyn EventHandler>> {
        self.handlers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

#[async_trait]
impl EventSink for InProcessBus {
    async fn publish(&self, events: &[AuditEvent]) -> Result<()> {
        for handler in self.handlers() {
            handler.handle_batch(events).await?;
        }
        Ok(())
    }
}
