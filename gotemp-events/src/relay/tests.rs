use super::*;
use gotemp_core::Error;
use gotemp_core::event::{ActionType, AuditEvent};
use gotemp_core::ports::{MockEventSink, MockOutboxStore};
use std::sync::Mutex;

fn entry(position: i64) -> OutboxEntry {
    OutboxEntry {
        position,
        event: AuditEvent {
            event_id: uuid::Uuid::now_v7(),
            schema_version: 1,
            occurred_at: chrono::Utc::now(),
            service: "customer".into(),
            action_func: "update_customer".into(),
            action_type: ActionType::Update,
            object_name: "customer".into(),
            object_id: position.to_string(),
            performed_by: 1,
            tenant: gotemp_core::values::TenantId::default_tenant(),
            object_detail: serde_json::json!({}),
            traceparent: None,
        },
    }
}

/// An outbox of full batches of two (positions 100, 101, then 200, 201, …) that records
/// what is marked sent and what is given back.
fn outbox(sent: Arc<Mutex<Vec<Vec<i64>>>>, released: Arc<Mutex<Vec<Vec<i64>>>>) -> MockOutboxStore {
    let mut outbox = MockOutboxStore::new();
    let mut claims = 0;
    outbox.expect_claim().returning(move |limit, _| {
        claims += 1;
        Ok((0..i64::from(limit))
            .map(|i| entry(claims * 100 + i))
            .collect())
    });
    outbox.expect_claims_concurrently().return_const(true);
    outbox.expect_mark_sent().returning(move |p| {
        sent.lock().unwrap().push(p.to_vec());
        Ok(())
    });
    outbox.expect_release().returning(move |p| {
        released.lock().unwrap().push(p.to_vec());
        Ok(())
    });
    outbox
}

fn relay(outbox: MockOutboxStore, sink: MockEventSink) -> OutboxRelay {
    let settings = RelaySettings {
        batch_size: 2,
        ..Default::default()
    };
    OutboxRelay::new(Arc::new(outbox), Arc::new(sink), settings)
}

#[tokio::test]
async fn a_full_batch_is_sent_while_the_next_is_claimed() {
    let (sent, released) = Default::default();
    let mut sink = MockEventSink::new();
    sink.expect_publish().times(1).returning(|_| Ok(()));
    let relay = relay(outbox(Arc::clone(&sent), Arc::clone(&released)), sink);
    let batch = relay.claim().await.unwrap();
    let (outcome, next) = relay.send_and_claim_next(batch, 0).await;
    assert_eq!(outcome.unwrap(), 2);
    let next: Vec<i64> = next.unwrap().iter().map(|e| e.position).collect();
    assert_eq!(next, [200, 201], "claimed meanwhile, published next");
    assert_eq!(*sent.lock().unwrap(), [vec![100, 101]]);
    assert!(released.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_batch_gives_back_the_next_one_claimed_meanwhile() {
    let (sent, released) = Default::default();
    let mut sink = MockEventSink::new();
    sink.expect_publish()
        .returning(|_| Err(Error::unavailable("the broker is down")));
    let relay = relay(outbox(Arc::clone(&sent), Arc::clone(&released)), sink);
    let batch = relay.claim().await.unwrap();
    let (outcome, next) = relay.send_and_claim_next(batch, 0).await;
    assert!(outcome.is_err());
    assert!(next.is_none(), "nothing goes ahead of the failed batch");
    assert!(sent.lock().unwrap().is_empty());
    let mut released = released.lock().unwrap().clone();
    released.sort();
    assert_eq!(released, [vec![100, 101], vec![200, 201]]);
}

/// An outbox holding one batch of `n` events (positions 1..=n) that records what is sent,
/// given back and set aside.
#[derive(Default, Clone)]
struct Ledger {
    sent: Arc<Mutex<Vec<i64>>>,
    released: Arc<Mutex<Vec<i64>>>,
    aside: Arc<Mutex<Vec<(i64, String)>>>,
}

fn ledger_outbox(ledger: &Ledger) -> MockOutboxStore {
    let mut outbox = MockOutboxStore::new();
    let l = ledger.clone();
    outbox.expect_mark_sent().returning(move |p| {
        l.sent.lock().unwrap().extend(p);
        Ok(())
    });
    let l = ledger.clone();
    outbox.expect_release().returning(move |p| {
        l.released.lock().unwrap().extend(p);
        Ok(())
    });
    let l = ledger.clone();
    outbox.expect_set_aside().returning(move |p, reason| {
        l.aside.lock().unwrap().push((p, reason.to_owned()));
        Ok(())
    });
    outbox
}

/// A sink that fails every publish holding the event at `bad` with `error`, and counts
/// its calls.
fn sink_refusing(bad: i64, error: Error, calls: Arc<Mutex<u32>>) -> MockEventSink {
    let mut sink = MockEventSink::new();
    sink.expect_publish().returning(move |events| {
        *calls.lock().unwrap() += 1;
        if events.iter().any(|e| e.object_id == bad.to_string()) {
            return Err(error.clone());
        }
        Ok(())
    });
    sink
}

fn batch(n: i64) -> Vec<OutboxEntry> {
    (1..=n).map(entry).collect()
}

#[tokio::test]
async fn an_event_the_sink_refuses_for_good_is_set_aside_and_the_rest_sent() {
    let ledger = Ledger::default();
    let refused = Error::internal("event is 2000000 bytes, more than max_payload");
    let sink = sink_refusing(3, refused, Default::default());
    let relay = relay(ledger_outbox(&ledger), sink);
    assert_eq!(relay.send(batch(5), 0).await.unwrap(), 4);
    assert_eq!(*ledger.sent.lock().unwrap(), [1, 2, 4, 5]);
    let aside = ledger.aside.lock().unwrap().clone();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].0, 3);
    assert!(aside[0].1.contains("max_payload"), "{}", aside[0].1);
    assert!(ledger.released.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_retriable_failure_is_retried_until_it_persists_while_others_go_through() {
    let ledger = Ledger::default();
    let sink = sink_refusing(1, Error::unavailable("no ack"), Default::default());
    let relay = relay(ledger_outbox(&ledger), sink);
    assert!(
        relay.send(batch(3), 1).await.is_err(),
        "retried as usual at first"
    );
    assert_eq!(*ledger.released.lock().unwrap(), [1, 2, 3]);
    assert!(ledger.aside.lock().unwrap().is_empty());
    let failures = relay.settings.isolate_after;
    assert_eq!(relay.send(batch(3), failures).await.unwrap(), 2);
    assert_eq!(*ledger.sent.lock().unwrap(), [2, 3]);
    assert_eq!(ledger.aside.lock().unwrap()[0].0, 1);
}

#[tokio::test]
async fn a_sink_that_is_down_costs_two_publishes_and_sets_nothing_aside() {
    let ledger = Ledger::default();
    let calls = Arc::new(Mutex::new(0));
    let mut sink = MockEventSink::new();
    let counted = Arc::clone(&calls);
    sink.expect_publish().returning(move |_| {
        *counted.lock().unwrap() += 1;
        Err(Error::unavailable("the broker is down"))
    });
    let relay = relay(ledger_outbox(&ledger), sink);
    let failures = relay.settings.isolate_after + 10;
    assert!(relay.send(batch(50), failures).await.is_err());
    assert_eq!(*calls.lock().unwrap(), 2);
    assert!(
        ledger.aside.lock().unwrap().is_empty(),
        "an outage is not a bad event"
    );
    let mut released = ledger.released.lock().unwrap().clone();
    released.sort();
    assert_eq!(released, (1..=50).collect::<Vec<_>>(), "all given back");
    assert!(ledger.sent.lock().unwrap().is_empty());
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let relay = OutboxRelay::new(
        Arc::new(gotemp_core::ports::MockOutboxStore::new()),
        Arc::new(crate::InProcessBus::new()),
        RelaySettings {
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        },
    );
    let delays: Vec<u128> = (1..=6).map(|f| relay.backoff(f).as_millis()).collect();
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    assert_eq!(relay.backoff(u32::MAX), Duration::from_secs(1));
}
