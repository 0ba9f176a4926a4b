//! The outbox every store writes its events to, and where the relay publishes them.

use crate::error::Result;
use crate::event::AuditEvent;
use crate::values::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// An event waiting in an outbox to be published.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Position in the outbox; publish in this order.
    pub position: i64,
    /// The event.
    pub event: AuditEvent,
}

/// The outbox a store writes events to; the relay drains it.
///
/// Several relays may drain one outbox: [`OutboxStore::claim`] leases rows to one of them, and a
/// lease that runs out (its relay died) makes the rows claimable again. A row can therefore be
/// published twice, never lost; consumers drop the duplicate by event id.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Up to `limit` unsent events, oldest first, without claiming them (inspection, tests).
    async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>>;
    /// Claims up to `limit` unsent events that no live lease holds, oldest first, for `lease`.
    async fn claim(&self, limit: u32, lease: std::time::Duration) -> Result<Vec<OutboxEntry>>;
    /// Marks events as published (after the sink confirmed them).
    async fn mark_sent(&self, positions: &[i64]) -> Result<()>;
    /// Gives claimed events back at once (publishing failed), so a retry need not wait out the
    /// lease.
    async fn release(&self, positions: &[i64]) -> Result<()>;
    /// Deletes sent events older than `before`; returns how many.
    async fn prune_sent(&self, before: DateTime<Utc>) -> Result<u64>;
    /// How many events are not sent yet.
    async fn backlog(&self) -> Result<u64>;
    /// When the oldest unsent event happened (`None`: nothing waits). Its age is how far the
    /// audit trail and other instances' caches lag behind the store. Reads the first unsent
    /// event (by position, on the index of unsent events).
    async fn oldest_pending(&self) -> Result<Option<DateTime<Utc>>> {
        let first = self.pending(1).await?;
        Ok(first.first().map(|entry| entry.event.occurred_at))
    }
    /// Returns when new events may have been written, or after `max_wait` at the latest. The
    /// default only sleeps; stores that can be told (a channel, LISTEN/NOTIFY) return sooner.
    /// Whether a claim can run while a claimed batch is being stored and marked, without
    /// waiting for it: the relay then claims the next batch meanwhile. Not where writers take
    /// turns (SQLite), where the two would only queue for the same lock.
    fn claims_concurrently(&self) -> bool {
        true
    }
    async fn wait_for_new(&self, max_wait: std::time::Duration) {
        tokio::time::sleep(max_wait).await;
    }
    /// Takes the event at `position` out of the queue, with the reason it cannot be published
    /// (the broker refuses it, or it failed again and again while everything else went
    /// through), so the events behind it flow on. It stays in the outbox, outside pruning, until
    /// [`OutboxStore::requeue`] puts it back.
    async fn set_aside(&self, position: i64, reason: &str) -> Result<()> {
        let _ = (position, reason);
        Err(crate::Error::internal(
            "this outbox cannot set events aside",
        ))
    }
    /// The events of `tenant` set aside, newest first, at most `limit`.
    async fn set_aside_events(&self, tenant: &TenantId, limit: u32) -> Result<Vec<SetAside>> {
        let _ = (tenant, limit);
        Ok(Vec::new())
    }
    /// How many events of `tenant` are set aside, or of every tenant with `None`.
    async fn set_aside_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        let _ = tenant;
        Ok(0)
    }
    /// Puts the event of `tenant` set aside at `position` back in the queue (its cause was
    /// fixed: the broker's limit raised, say); `false` when no event of it is set aside there.
    async fn requeue(&self, tenant: &TenantId, position: i64) -> Result<bool> {
        let _ = (tenant, position);
        Ok(false)
    }
}

/// An event the relay could not publish and took out of the queue, so one event cannot hold up
/// every other.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// Its position in the outbox, to requeue it by.
    pub position: i64,
    /// The event.
    pub event: AuditEvent,
    /// Why it could not be published.
    pub reason: String,
    /// When it was set aside.
    pub failed_at: DateTime<Utc>,
}

/// Where the relay publishes events: the in-process bus or a broker.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Publishes a batch, in order. `Ok` only once every event is confirmed (stored by the
    /// in-process subscribers, acknowledged by the broker); on `Err` the relay publishes the whole
    /// batch again later, so a sink must tolerate re-sent events.
    async fn publish(&self, events: &[AuditEvent]) -> Result<()>;
}
