//! The outbox collection, drained by the same relay as the SQL outboxes. Keys are generated
//! zero-padded hexadecimal (`padded` key generator), so they sort in write order and the
//! position of an event is its key read as a number.

use super::{ArangoStore, aql};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::{OutboxEntry, OutboxStore};
use gotemp_core::{Error, Result};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

#[derive(Deserialize)]
struct OutboxDoc {
    #[serde(rename = "_key")]
    key: String,
    event: AuditEvent,
}

fn entries(docs: Vec<OutboxDoc>) -> Result<Vec<OutboxEntry>> {
    docs.into_iter()
        .map(|d| {
            let position = i64::from_str_radix(&d.key, 16)
                .map_err(|e| Error::internal_from(format!("outbox key {:?}: {e}", d.key), e))?;
            Ok(OutboxEntry {
                position,
                event: d.event,
            })
        })
        .collect()
}

/// The key of the event at `position`: 16 hexadecimal digits, as the generator makes them.
fn key(position: i64) -> String {
    format!("{position:016x}")
}

fn lease_end(lease: Duration) -> i64 {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    (gotemp_core::values::now() + lease).timestamp_micros()
}

#[async_trait]
impl OutboxStore for ArangoStore {
    async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        entries(self.run(aql::pending(i64::from(limit))).await?)
    }

    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<OutboxEntry>> {
        let now = gotemp_core::values::now().timestamp_micros();
        let q = aql::claim(now, lease_end(lease), i64::from(limit));
        // One query: its updates commit together or not at all; a relay racing for the same
        // events gets a write-write conflict (retriable) instead of a second lease.
        entries(self.run(q).await?)
    }

    async fn mark_sent(&self, positions: &[i64]) -> Result<()> {
        let keys: Vec<String> = positions.iter().copied().map(key).collect();
        let now = gotemp_core::values::now().timestamp_micros();
        let q = aql::outbox_set(&keys, json!({"sent": true, "sent_at": now}));
        self.run::<serde_json::Value>(q).await.map(|_| ())
    }

    async fn release(&self, positions: &[i64]) -> Result<()> {
        let keys: Vec<String> = positions.iter().copied().map(key).collect();
        let q = aql::outbox_set(&keys, json!({"claimed_until": null}));
        self.run::<serde_json::Value>(q).await.map(|_| ())
    }

    async fn prune_sent(&self, before: DateTime<Utc>) -> Result<u64> {
        let counts: Vec<u64> = self.run(aql::prune(before.timestamp_micros())).await?;
        Ok(counts.into_iter().sum())
    }

    async fn backlog(&self) -> Result<u64> {
        let counts: Vec<u64> = self.run(aql::backlog()).await?;
        Ok(counts.into_iter().sum())
    }

    async fn wait_for_new(&self, max_wait: Duration) {
        // Changes this process commits wake the relay at once; other processes' changes are
        // found by the relay's poll.
        let _ = tokio::time::timeout(max_wait, self.signal.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_keys_are_the_same_number() {
        assert_eq!(key(26), "000000000000001a");
        let doc = OutboxDoc {
            key: key(26),
            event: serde_json::from_value(sample_event()).unwrap(),
        };
        assert_eq!(entries(vec![doc]).unwrap()[0].position, 26);
        let bad = OutboxDoc {
            key: "zz".into(),
            event: serde_json::from_value(sample_event()).unwrap(),
        };
        assert!(entries(vec![bad]).is_err());
    }

    fn sample_event() -> serde_json::Value {
        let event = gotemp_core::event::PendingEvent::new::<gotemp_core::entities::Customer>(
            gotemp_core::event::ActionType::Insert,
            &gotemp_core::Actor::admin(gotemp_core::values::TenantId::default_tenant(), 1),
            gotemp_core::values::now(),
        );
        let customer = gotemp_core::entities::Customer {
            id: "c".into(),
            name: "C".into(),
            valid_from: gotemp_core::values::now(),
            valid_thru: gotemp_core::values::now(),
            extra_fields: Default::default(),
            created_at: gotemp_core::values::now(),
            updated_at: gotemp_core::values::now(),
            modified_by: 1,
            version: 1,
        };
        serde_json::to_value(event.complete(&customer).unwrap()).unwrap()
    }
}
