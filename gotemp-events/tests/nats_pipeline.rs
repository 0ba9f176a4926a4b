//! The distributed pipeline against a real NATS JetStream server: outbox → relay → JetStream →
//! durable consumer → audit store on the real PostgreSQL, with the server, the consumer and the
//! relay stopped mid-run. Each test runs its own `nats-server` on a free loopback port (with its
//! own JetStream directory), so stopping it disturbs no other test.

mod common;

use async_trait::async_trait;
use common::*;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::EventSink;
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use gotemp_events::nats::signing::SIGNATURE_HEADER;
use gotemp_events::nats::{self, EventSigner, NatsAuditConsumer, NatsSettings, NatsSink};
use gotemp_events::{AuditRecorder, OutboxRelay, RelaySettings};
use gotemp_testing::nats::NatsServer;
use gotemp_testing::{self as testing, TestStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn relay_settings() -> RelaySettings {
    RelaySettings {
        batch_size: 32,
        idle_poll: Duration::from_millis(500),
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        ..Default::default()
    }
}

fn nats_settings() -> NatsSettings {
    NatsSettings {
        ack_timeout: Duration::from_secs(2),
        ..Default::default()
    }
}

/// Everything one pipeline test needs.
struct Fixture {
    store: TestStore,
    server: NatsServer,
    client: async_nats::Client,
    services: Services,
}

async fn fixture(test: &str) -> Option<Fixture> {
    let store = testing::postgres_store(test).await?;
    let server = NatsServer::start(test).await?;
    let client = nats::connect(&server.url()).await.unwrap();
    let services = services(&store.repos);
    Some(Fixture {
        store,
        server,
        client,
        services,
    })
}

impl Fixture {
    fn consumer(&self) -> gotemp_events::nats::ConsumerHandle {
        let recorder = AuditRecorder::new(self.services.audit.clone(), 5);
        NatsAuditConsumer::new(self.client.clone(), nats_settings(), recorder).spawn()
    }

    fn relay(&self, sink: Arc<dyn EventSink>) -> gotemp_events::RelayHandle {
        OutboxRelay::new(self.store.repos.outbox.clone(), sink, relay_settings()).spawn()
    }

    fn sink(&self) -> Arc<NatsSink> {
        Arc::new(NatsSink::new(self.client.clone(), nats_settings()))
    }

    /// Messages in the stream: duplicates the server dropped are not among them.
    async fn stream_messages(&self) -> u64 {
        let js = async_nats::jetstream::new(self.client.clone());
        let mut stream = js.get_stream("GOTEMP_AUDIT").await.unwrap();
        stream.info().await.unwrap().state.messages
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_outage_mid_run_loses_nothing() {
    let Some(mut f) = fixture("nats_outage_mid_run_loses_nothing").await else {
        return;
    };
    let consumer = f.consumer();
    let relay = f.relay(f.sink());
    let first = make_changes(&f.services, "a", 10).await;
    assert_eq!(
        wait_for_records(&f.services.audit, first, Duration::from_secs(30))
            .await
            .len(),
        first
    );

    f.server.kill().await;
    let second = make_changes(&f.services, "b", 10).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        f.store.repos.outbox.backlog().await.unwrap() > 0,
        "events wait while NATS is down"
    );
    f.server.resume().await;

    let n = first + second;
    let records = wait_for_records(&f.services.audit, n, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.shutdown().await;
    consumer.shutdown().await;
    assert_exactly(&records, n);
    assert_exactly(&all_records(&f.services.audit).await, n);
    assert_eq!(
        f.stream_messages().await,
        n as u64,
        "the stream holds each event once"
    );
    assert_eq!(f.store.repos.outbox.backlog().await.unwrap(), 0);
    f.store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_consumer_restart_mid_run_loses_nothing() {
    let Some(f) = fixture("audit_consumer_restart_mid_run_loses_nothing").await else {
        return;
    };
    let relay = f.relay(f.sink());
    let consumer = f.consumer();
    let first = make_changes(&f.services, "a", 10).await;
    wait_for_records(&f.services.audit, first / 2, Duration::from_secs(30)).await;
    consumer.abort();
    let second = make_changes(&f.services, "b", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let consumer = f.consumer();
    let n = first + second;
    let records = wait_for_records(&f.services.audit, n, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.shutdown().await;
    consumer.shutdown().await;
    assert_exactly(&records, n);
    assert_exactly(&all_records(&f.services.audit).await, n);
    f.store.finish().await;
}

/// Publishes to NATS, then fails the first `failures` batches, as a relay killed between
/// publishing and marking sent would: the batch is published again.
struct CrashAfterPublish {
    inner: Arc<NatsSink>,
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
            return Err(Error::unavailable("relay killed before mark-sent"));
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_between_publish_and_mark_sent_is_absorbed() {
    let Some(f) = fixture("relay_killed_between_publish_and_mark_sent_is_absorbed").await else {
        return;
    };
    let n = make_changes(&f.services, "k", 12).await;
    let sink = Arc::new(CrashAfterPublish {
        inner: f.sink(),
        failures: AtomicUsize::new(2),
    });
    let consumer = f.consumer();
    let relay = f.relay(sink.clone());
    let records = wait_for_records(&f.services.audit, n, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.shutdown().await;
    consumer.shutdown().await;
    assert_eq!(
        sink.failures.load(Ordering::SeqCst),
        0,
        "the crashes happened"
    );
    assert_exactly(&records, n);
    assert_exactly(&all_records(&f.services.audit).await, n);
    assert_eq!(
        f.stream_messages().await,
        n as u64,
        "Nats-Msg-Id dropped the re-sent events"
    );
    f.store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_messages_are_parked_and_signed_ones_stored() {
    let Some(f) = fixture("forged_messages_are_parked_and_signed_ones_stored").await else {
        return;
    };
    let signer = EventSigner::new(b"the deployment's event signing key, 32+ bytes").unwrap();
    let signed = NatsSettings {
        signing: Some(signer.clone()),
        ..nats_settings()
    };
    let recorder = AuditRecorder::new(f.services.audit.clone(), 5);
    let consumer = NatsAuditConsumer::new(f.client.clone(), signed.clone(), recorder).spawn();
    let sink = Arc::new(NatsSink::new(f.client.clone(), signed));
    let relay = f.relay(sink);
    let made = make_changes(&f.services, "signed", 2).await;
    let records = wait_for_records(&f.services.audit, made, Duration::from_secs(30)).await;
    assert_eq!(records.len(), made, "signed events are stored");

    // Straight to the stream, as anyone who may publish there could.
    let js = async_nats::jetstream::new(f.client.clone());
    let stranger = EventSigner::new(&[9u8; 32]).unwrap();
    let mut forged_ids = Vec::new();
    for signature in [None, Some(&stranger)] {
        let event = AuditEvent {
            event_id: uuid::Uuid::now_v7(),
            schema_version: 1,
            occurred_at: chrono::Utc::now(),
            service: "customer".into(),
            action_func: "delete_customer".into(),
            action_type: gotemp_core::event::ActionType::Delete,
            object_name: "customer".into(),
            object_id: "signed0".into(),
            performed_by: 1,
            tenant: gotemp_core::values::TenantId::default_tenant(),
            object_detail: serde_json::json!({}),
            traceparent: None,
        };
        let payload = serde_json::to_vec(&event).unwrap();
        let id = event.event_id.to_string();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id.as_str());
        if let Some(key) = signature {
            headers.insert(SIGNATURE_HEADER, key.sign(&id, &payload).as_str());
        }
        js.publish_with_headers(event.topic(), headers, payload.into())
            .await
            .unwrap()
            .await
            .unwrap();
        forged_ids.push(event.event_id);
    }
    let parked = async {
        loop {
            let letters = f
                .services
                .audit
                .dead_letters(&TenantId::default_tenant(), 10)
                .await
                .unwrap();
            if letters.len() >= 2 {
                return letters;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let letters = tokio::time::timeout(Duration::from_secs(15), parked)
        .await
        .expect("both forged messages are parked");
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("unsigned message")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("bad signature")),
        "{reasons:?}"
    );
    let stored = all_records(&f.services.audit).await;
    assert_eq!(stored.len(), made, "nothing forged is stored");
    let parked_ids: Vec<_> = letters.iter().filter_map(|l| l.event_id).collect();
    assert!(
        parked_ids.is_empty(),
        "a forged message's id is not taken as an event's"
    );
    let payloads: String = letters.iter().map(|l| l.payload.as_str()).collect();
    for id in forged_ids {
        assert!(
            payloads.contains(&id.to_string()),
            "the parked payload is kept for inspection"
        );
    }
    relay.shutdown().await;
    consumer.shutdown().await;
    f.store.finish().await;
}

/// A change whose event the broker refuses (larger than its `max_payload`) must not hold up the
/// events behind it: the relay sets it aside with the reason, administrators see it among the
/// dead letters, and a requeue tries it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_broker_refuses_is_set_aside_and_the_rest_flow_on() {
    use gotemp_core::actor::Actor;
    use gotemp_core::entities::NewCustomer;
    use gotemp_core::ports::DeadLetterSource;
    let test = "an_event_the_broker_refuses_is_set_aside_and_the_rest_flow_on";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let Some(server) = NatsServer::start_with_max_payload(test, 16 * 1024).await else {
        return;
    };
    let client = nats::connect(&server.url()).await.unwrap();
    let services = services(&store.repos);
    let audit = (services.audit.clone()).with_outbox(store.repos.outbox.clone());
    let admin = Actor::admin(gotemp_core::values::TenantId::default_tenant(), 7);
    let mut extra = gotemp_core::entities::ExtraFields::new();
    extra.insert("notes".into(), "n".repeat(40 * 1024).into());
    let big = NewCustomer {
        id: Some("too-big-for-the-broker".into()),
        name: "Big".into(),
        extra_fields: Some(extra),
        ..Default::default()
    };
    services.customers.create(&admin, big).await.unwrap();
    let n = make_changes(&services, "after", 10).await;

    let recorder = AuditRecorder::new(services.audit.clone(), 5);
    let consumer = NatsAuditConsumer::new(client.clone(), nats_settings(), recorder).spawn();
    let sink = Arc::new(NatsSink::new(client.clone(), nats_settings()));
    let relay = OutboxRelay::new(store.repos.outbox.clone(), sink, relay_settings()).spawn();
    let records = wait_for_records(&services.audit, n, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_exactly(&records, n);
    assert_eq!(
        store.repos.outbox.backlog().await.unwrap(),
        0,
        "nothing waits"
    );

    let letters = audit.list_dead_letters(&admin, 10).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter.source, DeadLetterSource::Outbox);
    assert!(letter.id < 0, "set-aside events have ids below zero");
    assert!(letter.reason.contains("max_payload"), "{}", letter.reason);
    assert!(
        letter.payload.len() <= 16 * 1024 + 4,
        "the listing shows a bounded payload"
    );
    assert_eq!(audit.undelivered_count(None).await.unwrap(), 1);

    // Requeued while the broker still refuses it: set aside again, and nothing else stalls.
    let replayed = audit.replay_dead_letter(&admin, letter.id).await.unwrap();
    assert!(replayed.requeued);
    let more = make_changes(&services, "later", 3).await;
    let records = wait_for_records(&services.audit, n + more, Duration::from_secs(30)).await;
    assert_exactly(&records, n + more);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.repos.outbox.set_aside_count(None).await.unwrap() != 1 {
        assert!(std::time::Instant::now() < deadline, "set aside again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unknown = audit
        .replay_dead_letter(&admin, -999_999)
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
    relay.shutdown().await;
    consumer.shutdown().await;
    store.finish().await;
}
