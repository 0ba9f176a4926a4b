//! Writers racing each other: the store, not luck, decides.

use super::{event, period, text};
use crate::conformance::tenant;
use gotemp_core::entities::*;
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::ports::Repositories;
use gotemp_core::values::EntityKey;

fn customer(id: &str, name: &str) -> CustomerDraft {
    CustomerDraft {
        id: EntityKey::parse("id", id).unwrap(),
        name: text(name),
        validity: period(2000, 2100),
        extra_fields: ExtraFields::new(),
        extras: (),
    }
}

/// Sixteen updates naming the same version at once: exactly one wins, the others are
/// StaleVersion conflicts, and exactly one update event is queued.
pub async fn one_of_concurrent_updates_wins(r: &Repositories) {
    let start = r
        .customers
        .create(
            &tenant(),
            &customer("race", "Start"),
            event::<Customer>(ActionType::Insert),
        )
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (repo, start) = (r.customers.clone(), start.clone());
            tokio::spawn(async move {
                repo.update(
                    &tenant(),
                    &customer("race", &format!("Writer {i}")),
                    &start,
                    event::<Customer>(ActionType::Update),
                )
                .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => {
                assert_eq!(c.version, 2);
                won += 1;
            }
            Err(Error::Conflict {
                kind: ConflictKind::StaleVersion,
                ..
            }) => {}
            Err(other) => panic!("a racing update failed with {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let events = r.outbox.pending(100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.action_type == ActionType::Update)
            .count(),
        1
    );
}

/// Thirty-two creates at once all succeed (no "database is locked"), each with its event.
pub async fn concurrent_creates_all_commit(r: &Repositories) {
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let repo = r.customers.clone();
            tokio::spawn(async move {
                repo.create(
                    &tenant(),
                    &customer(&format!("c{i:02}"), "Many"),
                    event::<Customer>(ActionType::Insert),
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("a concurrent create failed");
    }
    let filter = CustomerFilter {
        name: Some("Many".into()),
        ..Default::default()
    };
    let all = r
        .customers
        .list(&tenant(), &filter, &gotemp_core::page::PageSpec::first(100))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 32);
    assert_eq!(r.outbox.pending(100).await.unwrap().len(), 32);
}
