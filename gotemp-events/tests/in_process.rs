//! The embedded pipeline: outbox → relay → in-process bus → audit recorder, on SQLite and on the
//! real PostgreSQL.

mod common;

use async_trait::async_trait;
use common::*;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::{EventSink, Repositories};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use gotemp_events::{AuditRecorder, InProcessBus, OutboxRelay, RelaySettings};
use gotemp_testing::{self as testing, TestStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn settings() -> RelaySettings {
    RelaySettings {
        batch_size: 16,
        idle_poll: Duration::from_millis(500),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..Default::default()
    }
}

fn bus_for(s: &Services) -> Arc<InProcessBus> {
    let bus = Arc::new(InProcessBus::new());
    bus.subscribe(Arc::new(AuditRecorder::new(s.audit.clone(), 3)));
    bus
}

async fn exactly_n(repos: Repositories) {
    let s = services(&repos);
    let relay = OutboxRelay::new(repos.outbox.clone(), bus_for(&s), settings()).spawn();
    let n = make_changes(&s, "c", 30).await;
    let records = wait_for_records(&s.audit, n, Duration::from_secs(30)).await;
    relay.shutdown().await;
    assert_exactly(&records, n);
    assert_eq!(repos.outbox.backlog().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_audited_once_on_sqlite() {
    let store = testing::sqlite_store().await;
    exactly_n(store.repos.clone()).await;
    store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_audited_once_on_postgres() {
    let Some(store) = testing::postgres_store("every_change_is_audited_once_on_postgres").await
    else {
        return;
    };
    exactly_n(store.repos.clone()).await;
    store.finish().await;
}

/// Publishes, then fails the first `failures` batches as if the relay died before marking them
/// sent: every event in them is published again.
struct CrashAfterPublish {
    inner: Arc<InProcessBus>,
    failures: AtomicUsize,
}

#[async_trait]
impl EventSink for CrashAfterPublish {
    async fn publish(&self, events: &[AuditEvent]) -> Result<()> {
        self.inner.publish(events).await?;
        // One decrement per failure, whichever relay gets there first (a load, then a
        // subtraction, let two relays take the last failure and wrap the count around).
        let crashed = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            });
        if crashed.is_ok() {
            return Err(Error::unavailable("crashed before mark-sent"));
        }
        Ok(())
    }
}

async fn resends_are_absorbed(store: TestStore) {
    let repos = store.repos.clone();
    let s = services(&repos);
    let n = make_changes(&s, "r", 10).await;
    let sink = Arc::new(CrashAfterPublish {
        inner: bus_for(&s),
        failures: AtomicUsize::new(3),
    });
    // Two relays on one outbox, both re-sending after their "crashes".
    let a = OutboxRelay::new(repos.outbox.clone(), sink.clone(), settings()).spawn();
    let b = OutboxRelay::new(repos.outbox.clone(), sink.clone(), settings()).spawn();
    let records = wait_for_records(&s.audit, n, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(
        sink.failures.load(Ordering::SeqCst),
        0,
        "the crashes happened"
    );
    assert_exactly(&all_records(&s.audit).await, n);
    assert_eq!(records.len(), n);
    assert_eq!(repos.outbox.backlog().await.unwrap(), 0);
    store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_batches_are_absorbed_on_sqlite() {
    resends_are_absorbed(testing::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_batches_are_absorbed_on_postgres() {
    let Some(store) = testing::postgres_store("resent_batches_are_absorbed_on_postgres").await
    else {
        return;
    };
    resends_are_absorbed(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_that_is_not_an_event_is_parked_not_dropped() {
    let store = testing::sqlite_store().await;
    let s = services(&store.repos);
    let recorder = AuditRecorder::new(s.audit.clone(), 3);
    let got = recorder
        .deliver("gotemp.audit.user.insert", b"{not json", 1)
        .await;
    assert!(matches!(got, gotemp_events::Delivery::Parked(_)), "{got:?}");
    let letters = s
        .audit
        .dead_letters(&TenantId::default_tenant(), 10)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].payload, "{not json");
    assert!(
        letters[0].reason.contains("not an audit event"),
        "{}",
        letters[0].reason
    );
    store.finish().await;
}

/// Counts what reaches the sink.
struct Counting {
    inner: Arc<InProcessBus>,
    published: AtomicUsize,
}

#[async_trait]
impl EventSink for Counting {
    async fn publish(&self, events: &[AuditEvent]) -> Result<()> {
        self.inner.publish(events).await?;
        self.published.fetch_add(events.len(), Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_sharing_one_outbox_send_each_event_once() {
    let Some(store) =
        testing::postgres_store("relays_sharing_one_outbox_send_each_event_once").await
    else {
        return;
    };
    let repos = store.repos.clone();
    let s = services(&repos);
    let sink = Arc::new(Counting {
        inner: bus_for(&s),
        published: AtomicUsize::new(0),
    });
    let small_batches = RelaySettings {
        batch_size: 4,
        ..settings()
    };
    let relays: Vec<_> = (0..3)
        .map(|_| {
            OutboxRelay::new(repos.outbox.clone(), sink.clone(), small_batches.clone()).spawn()
        })
        .collect();
    let n = make_changes(&s, "s", 20).await;
    let records = wait_for_records(&s.audit, n, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for r in relays {
        r.shutdown().await;
    }
    assert_exactly(&records, n);
    assert_eq!(
        sink.published.load(Ordering::SeqCst),
        n,
        "no event was published twice"
    );
    store.finish().await;
}
