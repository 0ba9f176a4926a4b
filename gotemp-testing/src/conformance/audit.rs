//! The audit trail.

use super::year;
use crate::conformance::tenant;
use chrono::{DateTime, Duration, Utc};
use gotemp_core::entities::AuditFilter;
use gotemp_core::event::{ActionType, AuditEvent, EVENT_SCHEMA_VERSION};
use gotemp_core::page::PageSpec;
use gotemp_core::ports::Repositories;
use serde_json::json;
use uuid::Uuid;

pub(crate) fn ev(
    object: &str,
    id: &str,
    action: ActionType,
    by: i64,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        event_id: Uuid::now_v7(),
        schema_version: EVENT_SCHEMA_VERSION,
        occurred_at: at,
        service: object.into(),
        action_func: format!("{}_{object}", action.as_str()),
        action_type: action,
        object_name: object.into(),
        object_id: id.into(),
        performed_by: by,
        tenant: tenant(),
        object_detail: json!({"id": id, "n": 1}),
        traceparent: None,
    }
}

/// The same event stored twice is one record; every field round-trips.
pub async fn record_is_idempotent(r: &Repositories) {
    let mut e = ev("user", "1", ActionType::Insert, 7, year(2024));
    e.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
    let recorded = year(2024) + Duration::seconds(3);
    assert!(
        r.audit.record(&e, recorded).await.unwrap(),
        "new event stored"
    );
    assert!(
        !r.audit.record(&e, recorded).await.unwrap(),
        "duplicate absorbed"
    );
    let page = r
        .audit
        .list(&tenant(), &AuditFilter::default(), &PageSpec::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let rec = &page.items[0];
    assert_eq!(rec.event_id, e.event_id);
    assert_eq!(
        (rec.action_time, rec.recorded_time),
        (e.occurred_at, recorded)
    );
    assert_eq!(rec.topic, "gotemp.audit.user.insert");
    assert_eq!(
        (rec.service.as_str(), rec.action_func.as_str()),
        ("user", "insert_user")
    );
    assert_eq!((rec.action_type, rec.performed_by), (ActionType::Insert, 7));
    assert_eq!(
        (rec.object_name.as_str(), rec.object_id.as_str()),
        ("user", "1")
    );
    assert_eq!(rec.object_detail, e.object_detail);
    assert_eq!(
        rec.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736"),
        "the trace of the change is kept"
    );
    assert_eq!(
        r.audit.get(&tenant(), rec.id).await.unwrap().as_ref(),
        Some(rec)
    );
    assert_eq!(r.audit.get(&tenant(), rec.id + 1000).await.unwrap(), None);
}

/// Every filter; newest first (ties by id); keyset pages across equal timestamps.
pub async fn filters_newest_first_and_pages(r: &Repositories) {
    let t = year(2024);
    let events = [
        ev("user", "1", ActionType::Insert, 1, t),
        ev("user", "1", ActionType::Update, 2, t + Duration::minutes(1)),
        ev(
            "customer",
            "c",
            ActionType::Insert,
            1,
            t + Duration::minutes(1),
        ),
        ev(
            "customer",
            "c",
            ActionType::Delete,
            2,
            t + Duration::minutes(2),
        ),
        ev("user", "2", ActionType::Insert, 1, t + Duration::minutes(3)),
    ];
    for e in &events {
        r.audit.record(e, Utc::now()).await.unwrap();
    }
    let list = |f: AuditFilter| async move {
        let page = r
            .audit
            .list(&tenant(), &f, &PageSpec::first(100))
            .await
            .unwrap();
        page.items.iter().map(|x| x.event_id).collect::<Vec<_>>()
    };
    let id = |i: usize| events[i].event_id;
    assert_eq!(
        list(AuditFilter::default()).await,
        [id(4), id(3), id(2), id(1), id(0)],
        "newest first, ties by newest id"
    );
    let f = AuditFilter::default;
    assert_eq!(
        list(AuditFilter {
            object_name: Some("user".into()),
            object_id: Some("1".into()),
            ..f()
        })
        .await,
        [id(1), id(0)]
    );
    assert_eq!(
        list(AuditFilter {
            performed_by: Some(2),
            ..f()
        })
        .await,
        [id(3), id(1)]
    );
    assert_eq!(
        list(AuditFilter {
            service: Some("customer".into()),
            ..f()
        })
        .await,
        [id(3), id(2)]
    );
    assert_eq!(
        list(AuditFilter {
            action_type: Some(ActionType::Insert),
            ..f()
        })
        .await,
        [id(4), id(2), id(0)]
    );
    let range = AuditFilter {
        from: Some(t + Duration::minutes(1)),
        to: Some(t + Duration::minutes(3)),
        ..f()
    };
    assert_eq!(
        list(range).await,
        [id(3), id(2), id(1)],
        "from inclusive, to exclusive"
    );

    let pages = super::walk(2, |spec| async move {
        r.audit
            .list(&tenant(), &AuditFilter::default(), &spec)
            .await
    })
    .await;
    let seen: Vec<Uuid> = pages.into_iter().flatten().map(|x| x.event_id).collect();
    assert_eq!(
        seen,
        [id(4), id(3), id(2), id(1), id(0)],
        "pages split a tie without loss"
    );
}

/// Counts per bucket, aligned to the epoch, empty buckets left out, filters applied.
pub async fn counts_per_bucket(r: &Repositories) {
    let t = year(2024);
    for (minutes, object) in [
        (0, "user"),
        (10, "user"),
        (59, "customer"),
        (60, "user"),
        (185, "user"),
    ] {
        r.audit
            .record(
                &ev(
                    object,
                    "1",
                    ActionType::Update,
                    1,
                    t + Duration::minutes(minutes),
                ),
                Utc::now(),
            )
            .await
            .unwrap();
    }
    let buckets = r
        .audit
        .count_by_bucket(&tenant(), &AuditFilter::default(), Duration::hours(1))
        .await
        .unwrap();
    let got: Vec<(DateTime<Utc>, i64)> =
        buckets.iter().map(|b| (b.bucket_start, b.count)).collect();
    assert_eq!(
        got,
        [
            (t, 3),
            (t + Duration::hours(1), 1),
            (t + Duration::hours(3), 1)
        ]
    );
    let users = AuditFilter {
        object_name: Some("user".into()),
        from: Some(t + Duration::minutes(5)),
        ..Default::default()
    };
    let buckets = r
        .audit
        .count_by_bucket(&tenant(), &users, Duration::minutes(30))
        .await
        .unwrap();
    let got: Vec<(DateTime<Utc>, i64)> =
        buckets.iter().map(|b| (b.bucket_start, b.count)).collect();
    assert_eq!(
        got,
        [
            (t, 1),
            (t + Duration::hours(1), 1),
            (t + Duration::minutes(180), 1)
        ]
    );
}

/// Parked messages are kept with their reason, newest first, numbered; one is read and forgotten
/// by its number.
pub async fn dead_letters_are_kept(r: &Repositories) {
    use gotemp_core::ports::DeadLetter;
    let letter = |n: u32, id: Option<Uuid>| DeadLetter {
        id: 0,
        tenant: tenant(),
        event_id: id,
        subject: "gotemp.audit.user.insert".into(),
        payload: format!("{{\"broken\": {n}}}"),
        reason: format!("reason {n}"),
        attempts: n,
        failed_at: year(2024) + Duration::minutes(i64::from(n)),
        source: gotemp_core::ports::DeadLetterSource::Audit,
    };
    let first = letter(1, Some(Uuid::now_v7()));
    let second = letter(5, None);
    r.audit.park(&first).await.unwrap();
    r.audit.park(&second).await.unwrap();
    let listed = r.audit.dead_letters(&tenant(), 10).await.unwrap();
    let numbered = |mut letter: DeadLetter, id: i64| {
        letter.id = id;
        letter
    };
    let (newest, oldest) = (listed[0].id, listed[1].id);
    assert!(oldest > 0 && newest != oldest, "{listed:?}");
    let expected = [numbered(second, newest), numbered(first.clone(), oldest)];
    assert_eq!(listed, expected);
    assert_eq!(r.audit.dead_letters(&tenant(), 1).await.unwrap().len(), 1);
    assert_eq!(r.audit.dead_letter_count(None).await.unwrap(), 2);
    assert_eq!(
        r.audit.dead_letter(&tenant(), oldest).await.unwrap(),
        Some(expected[1].clone())
    );
    assert!(r.audit.remove_dead_letter(&tenant(), oldest).await.unwrap());
    assert!(!r.audit.remove_dead_letter(&tenant(), oldest).await.unwrap());
    assert_eq!(r.audit.dead_letter(&tenant(), oldest).await.unwrap(), None);
    assert_eq!(r.audit.dead_letter_count(None).await.unwrap(), 1);

    // A flood of messages that were never events of this deployment keeps the newest of them
    // only; a parked event of this deployment is never dropped.
    r.audit.park(&first).await.unwrap();
    let max = gotemp_core::ports::MAX_UNVERIFIED_DEAD_LETTERS;
    for n in 0..max + 5 {
        let mut forged = letter(7, None);
        forged.payload = format!("forged {n}");
        r.audit.park(&forged).await.unwrap();
    }
    assert_eq!(
        r.audit.dead_letter_count(None).await.unwrap(),
        max as u64 + 1
    );
    let newest = r.audit.dead_letters(&tenant(), 1).await.unwrap();
    assert_eq!(newest[0].payload, format!("forged {}", max + 4));
    let kept = r
        .audit
        .dead_letters(&tenant(), max as u32 + 1)
        .await
        .unwrap();
    assert!(
        kept.iter().any(|l| l.event_id == first.event_id),
        "the real event stays"
    );
    assert!(
        !kept.iter().any(|l| l.payload == "forged 0"),
        "the oldest forged one went"
    );
}

/// A batch stores each new event once and skips those already stored, in one statement.
pub async fn record_batch_is_idempotent(r: &Repositories) {
    let old = ev("user", "1", ActionType::Insert, 1, year(2024));
    assert!(r.audit.record(&old, Utc::now()).await.unwrap());
    let batch = [
        old.clone(),
        ev("user", "1", ActionType::Update, 1, year(2025)),
        ev("user", "2", ActionType::Insert, 1, year(2025)),
    ];
    assert_eq!(r.audit.record_batch(&batch, Utc::now()).await.unwrap(), 2);
    assert_eq!(
        r.audit.record_batch(&batch, Utc::now()).await.unwrap(),
        0,
        "a re-sent batch changes nothing"
    );
    assert_eq!(r.audit.record_batch(&[], Utc::now()).await.unwrap(), 0);
    let page = r
        .audit
        .list(&tenant(), &AuditFilter::default(), &PageSpec::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    let many: Vec<AuditEvent> = (0..1500)
        .map(|i| ev("bulk", &i.to_string(), ActionType::Insert, 1, year(2026)))
        .collect();
    assert_eq!(
        r.audit.record_batch(&many, Utc::now()).await.unwrap(),
        1500,
        "more rows than one statement takes"
    );
}
