//! Tenants on the broker: each event travels on its tenant's subject with a `Gotemp-Tenant`
//! header and is stored in its tenant's trail; a message whose subject names another tenant
//! than the event it carries is refused and parked, never stored — signed or not.

mod common;

use common::*;
use gotemp_core::actor::Actor;
use gotemp_core::entities::{AuditFilter, NewCustomer};
use gotemp_core::event::AuditEvent;
use gotemp_core::page::PageRequest;
use gotemp_core::values::TenantId;
use gotemp_events::nats::signing::TENANT_HEADER;
use gotemp_events::nats::{self, NatsAuditConsumer, NatsSettings, NatsSink};
use gotemp_events::{AuditRecorder, OutboxRelay, RelaySettings};
use gotemp_testing::nats::NatsServer;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_travel_and_are_stored_under_their_tenant_and_a_mismatch_is_parked() {
    let test = "events_travel_and_are_stored_under_their_tenant_and_a_mismatch_is_parked";
    let Some(store) = gotemp_testing::postgres_store(test).await else {
        return;
    };
    let Some(server) = NatsServer::start(test).await else {
        return;
    };
    let client = nats::connect(&server.url()).await.unwrap();
    let s = services(&store.repos);
    let settings = NatsSettings {
        ack_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let recorder = AuditRecorder::new(s.audit.clone(), 5);
    let consumer = NatsAuditConsumer::new(client.clone(), settings.clone(), recorder).spawn();
    let sink = Arc::new(NatsSink::new(client.clone(), settings));
    let relay_settings = RelaySettings {
        idle_poll: Duration::from_millis(200),
        ..Default::default()
    };
    let relay = OutboxRelay::new(store.repos.outbox.clone(), sink, relay_settings).spawn();
    // Watch the subjects and headers the relay publishes on.
    let mut watched = client.subscribe("gotemp.audit.>").await.unwrap();

    let ducks = TenantId::parse("tenant", "ducks").unwrap();
    let duck = Actor::admin(ducks.clone(), 7);
    let new = NewCustomer {
        id: Some("ducksrus".into()),
        name: "Ducks R Us".into(),
        ..Default::default()
    };
    s.customers.create(&duck, new).await.unwrap();
    let seen = tokio::time::timeout(
        Duration::from_secs(15),
        futures::StreamExt::next(&mut watched),
    )
    .await
    .expect("the event is published");
    let seen = seen.expect("a message");
    assert_eq!(seen.subject.as_str(), "gotemp.audit.ducks.customer.insert");
    let header = seen.headers.as_ref().and_then(|h| h.get(TENANT_HEADER));
    assert_eq!(header.map(|h| h.as_str()), Some("ducks"));

    let read = |actor: Actor| {
        let audit = s.audit.clone();
        async move {
            let page = PageRequest::first(10);
            audit
                .list(&actor, &AuditFilter::default(), &page)
                .await
                .unwrap()
                .items
        }
    };
    let stored = async {
        loop {
            let items = read(duck.clone()).await;
            if !items.is_empty() {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let stored = tokio::time::timeout(Duration::from_secs(15), stored)
        .await
        .expect("the event is stored in ducks' trail");
    assert_eq!(stored[0].object_id, "ducksrus");
    let home = Actor::admin(TenantId::default_tenant(), 7);
    assert!(
        read(home.clone()).await.is_empty(),
        "nothing in the default trail"
    );

    // A ducks' event sent on geese's subject, as a publisher of geese could.
    let mut event: AuditEvent = serde_json::from_slice(&seen.payload).unwrap();
    event.event_id = uuid::Uuid::now_v7();
    let payload = serde_json::to_vec(&event).unwrap();
    let js = async_nats::jetstream::new(client.clone());
    let ack = js.publish("gotemp.audit.geese.customer.insert", payload.into());
    ack.await.unwrap().await.unwrap();
    let parked = async {
        loop {
            let letters = s.audit.list_dead_letters(&home, 10).await.unwrap();
            if let Some(letter) = letters.into_iter().next() {
                return letter;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let letter = tokio::time::timeout(Duration::from_secs(15), parked)
        .await
        .expect("the mismatch is parked for the deployment's administrators");
    assert!(
        letter.reason.starts_with("tenant mismatch"),
        "{}",
        letter.reason
    );
    assert_eq!(letter.event_id, None, "its id is not taken as an event's");
    assert_eq!(read(duck).await.len(), 1, "nothing of it is stored");
    let geese = Actor::admin(TenantId::parse("tenant", "geese").unwrap(), 7);
    assert!(read(geese).await.is_empty());
    relay.shutdown().await;
    consumer.shutdown().await;
    store.finish().await;
}
