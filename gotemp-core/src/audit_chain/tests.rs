use super::*;
use crate::event::ActionType;
use chrono::TimeZone as _;
use serde_json::json;

fn tenant() -> TenantId {
    TenantId::parse("tenant", "ducks").unwrap()
}

/// A chain of `n` records as a store would keep them.
fn chain(n: i64) -> Vec<AuditRecord> {
    let mut head = Link::empty();
    (1..=n)
        .map(|i| {
            let mut r = AuditRecord {
                id: i * 10,
                event_id: Uuid::from_u128(i as u128),
                action_time: Utc.timestamp_micros(1_700_000_000_000_000 + i).unwrap(),
                recorded_time: Utc.timestamp_micros(1_700_000_000_500_000 + i).unwrap(),
                topic: "gotemp.audit.ducks.customer.insert".into(),
                service: "customer".into(),
                action_func: "create_customer".into(),
                action_type: ActionType::Insert,
                object_name: "customer".into(),
                object_id: format!("c{i}"),
                performed_by: 1,
                object_detail: json!({"name": format!("Customer {i}"), "n": i, "ok": true}),
                trace_id: None,
                seq: i,
                prev_hash: head.hash.clone(),
                hash: String::new(),
            };
            r.hash = record_hash(&tenant(), &r);
            head = head.next(r.hash.clone());
            r
        })
        .collect()
}

fn check(records: &[AuditRecord]) -> std::result::Result<i64, Break> {
    let t = tenant();
    verify_segment(&Segment {
        tenant: &t,
        from_seq: 1,
        prev_hash: GENESIS,
        records,
        after: &[],
    })
}

#[test]
fn an_intact_chain_verifies_to_its_last_record() {
    assert_eq!(check(&chain(5)), Ok(5));
    assert_eq!(check(&[]), Ok(0));
}

#[test]
fn the_hash_is_of_canonical_json_so_key_order_does_not_matter() {
    let mut a = chain(1).remove(0);
    let before = record_hash(&tenant(), &a);
    a.object_detail = serde_json::from_str(r#"{"ok":true,"n":1,"name":"Customer 1"}"#).unwrap();
    assert_eq!(record_hash(&tenant(), &a), before);
    // … and anything a reader sees does.
    a.object_detail["name"] = json!("Mallory");
    assert_ne!(record_hash(&tenant(), &a), before);
    let other = TenantId::parse("tenant", "geese").unwrap();
    assert_ne!(record_hash(&other, &chain(1)[0]), before);
}

#[test]
fn an_event_hashes_as_the_record_it_becomes() {
    let r = chain(1).remove(0);
    let event = AuditEvent {
        event_id: r.event_id,
        schema_version: crate::event::EVENT_SCHEMA_VERSION,
        // Nanoseconds the stores drop do not change the hash.
        occurred_at: r.action_time + chrono::Duration::nanoseconds(999),
        service: r.service.clone(),
        action_func: r.action_func.clone(),
        action_type: r.action_type,
        object_name: r.object_name.clone(),
        object_id: r.object_id.clone(),
        performed_by: r.performed_by,
        tenant: tenant(),
        object_detail: r.object_detail.clone(),
        traceparent: None,
    };
    assert_eq!(event_hash(&event, r.recorded_time, GENESIS), r.hash);
}

#[test]
fn each_way_of_breaking_a_chain_is_named_at_its_seq() {
    let mut changed = chain(5);
    changed[2].object_detail["name"] = json!("Mallory");
    assert_eq!(check(&changed).unwrap_err().reason, BreakReason::Changed);
    assert_eq!(check(&changed).unwrap_err().seq, 3);

    let mut missing = chain(5);
    missing.remove(2);
    let at = check(&missing).unwrap_err();
    assert_eq!((at.seq, at.reason), (3, BreakReason::Missing));

    let mut swapped = chain(5);
    swapped.swap(1, 2);
    (swapped[1].seq, swapped[2].seq) = (2, 3);
    let at = check(&swapped).unwrap_err();
    assert_eq!((at.seq, at.reason), (2, BreakReason::OutOfOrder));

    // Rewritten with a fresh hash: the next record no longer follows it.
    let mut rewritten = chain(5);
    rewritten[1].object_detail["name"] = json!("Mallory");
    rewritten[1].hash = record_hash(&tenant(), &rewritten[1]);
    let at = check(&rewritten).unwrap_err();
    assert_eq!((at.seq, at.reason), (2, BreakReason::Changed));
}

#[test]
fn a_checkpoint_is_a_signed_note_that_verifies_and_names_its_predecessor() {
    let key = CheckpointKey::generate();
    let records = chain(4);
    let t = tenant();
    let time = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let first = key.checkpoint(&t, 2, &records[1].hash, time, None);
    let second = key.checkpoint(&t, 4, &records[3].hash, time, Some(&first));
    let opened = Checkpoint::open(&second.note, &key.verifier()).unwrap();
    assert_eq!(opened, second);
    assert_eq!(opened.prev, Some((2, first.note_hash())));
    assert!(second.note.starts_with("gotemp-audit/ducks\n4\n"));
    assert!(second.note.contains("\n\n\u{2014} gotemp-audit "));

    // The public key round-trips through its text form.
    let verifier = Verifier::parse(&key.verifier().to_string()).unwrap();
    assert_eq!(verifier, key.verifier());

    // A note changed after signing, or checked with another key, does not verify.
    let forged = second.note.replacen("\n4\n", "\n3\n", 1);
    assert_eq!(
        Checkpoint::open(&forged, &verifier),
        Err(NoteError::BadSignature)
    );
    let other = CheckpointKey::generate().verifier();
    assert!(matches!(
        Checkpoint::open(&second.note, &other),
        Err(NoteError::NotSignedBy(_))
    ));
}

#[test]
fn checkpoints_find_a_cut_tail_and_a_rewritten_history() {
    let key = CheckpointKey::generate();
    let records = chain(4);
    let t = tenant();
    let cp = key.checkpoint(&t, 4, &records[3].hash, Utc::now(), None);
    let held: std::collections::HashMap<i64, &str> =
        records.iter().map(|r| (r.seq, r.hash.as_str())).collect();
    let verifier = key.verifier();
    assert_eq!(
        verify::verify_checkpoint(&cp, std::slice::from_ref(&verifier), &held, 4),
        Ok(true)
    );
    let cut =
        verify::verify_checkpoint(&cp, std::slice::from_ref(&verifier), &held, 3).unwrap_err();
    assert_eq!((cut.seq, cut.reason), (4, BreakReason::Truncated));
    let mut rewritten = held.clone();
    rewritten.insert(4, GENESIS);
    let at =
        verify::verify_checkpoint(&cp, std::slice::from_ref(&verifier), &rewritten, 4).unwrap_err();
    assert_eq!((at.seq, at.reason), (4, BreakReason::Changed));
    let other = CheckpointKey::generate().verifier();
    let at = verify::verify_checkpoint(&cp, &[], &held, 4).unwrap_err();
    assert_eq!(at.reason, BreakReason::BadSignature, "no key: not trusted");
    let at = verify::verify_checkpoint(&cp, std::slice::from_ref(&other), &held, 4).unwrap_err();
    assert_eq!(at.reason, BreakReason::BadSignature);
}

#[test]
fn weak_or_malformed_keys_are_refused() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert!(CheckpointKey::from_seed_text(&b64.encode([7u8; 32])).is_err());
    assert!(CheckpointKey::from_seed_text(&b64.encode([1u8; 16])).is_err());
    assert!(CheckpointKey::from_seed_text("not base64!").is_err());
    let key = CheckpointKey::generate();
    let again = CheckpointKey::from_seed_text(&key.seed_text()).unwrap();
    assert_eq!(again.verifier(), key.verifier());
    assert!(!format!("{key:?}").contains(&key.seed_text()));
}

#[test]
fn integers_beyond_double_precision_still_change_the_hash() {
    let mut a = chain(1).remove(0);
    a.object_detail = json!({"account": 9_007_199_254_740_993_i64, "small": 42});
    let before = record_hash(&tenant(), &a);
    // 2^53 + 1 and 2^53 + 2 are one double apart: as doubles they would hash alike.
    a.object_detail["account"] = json!(9_007_199_254_740_994_i64);
    assert_ne!(record_hash(&tenant(), &a), before);
    a.performed_by = i64::MAX;
    let big = record_hash(&tenant(), &a);
    a.performed_by = i64::MAX - 1;
    assert_ne!(record_hash(&tenant(), &a), big);
}
