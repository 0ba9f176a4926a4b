//! The audit trail's hash chain: every store links each tenant's records in one gapless chain,
//! however many consumers store at once and however often an event is redelivered, keeps
//! checkpoints in turn, and — given a way to write behind its back — is caught when changed.

use super::audit::ev;
use super::year;
use async_trait::async_trait;
use chrono::{Duration, Utc};
use gotemp_core::audit_chain::verify::{DEFAULT_VERIFY_RECORDS, verify_chain, verify_trail};
use gotemp_core::audit_chain::{BreakReason, CheckpointKey, Verification};
use gotemp_core::event::{ActionType, AuditEvent};
use gotemp_core::ports::Repositories;
use gotemp_core::values::TenantId;

fn key(name: &str) -> TenantId {
    TenantId::parse("tenant", name).expect("a tenant key")
}

/// `n` new events of `tenant`, a second apart from the start of 2026.
pub fn events(tenant: &TenantId, n: usize) -> Vec<AuditEvent> {
    (0..n)
        .map(|i| {
            let at = year(2026) + Duration::seconds(i as i64);
            let mut e = ev("customer", &format!("c{i}"), ActionType::Insert, 1, at);
            e.tenant = tenant.clone();
            e
        })
        .collect()
}

async fn verify(r: &Repositories, tenant: &TenantId) -> Verification {
    verify_chain(&*r.audit, tenant, 1, DEFAULT_VERIFY_RECORDS, &[], None)
        .await
        .expect("the chain can be read")
}

/// Records of two tenants, stored one by one and in mixed batches, make one chain per tenant:
/// seqs 1, 2, … each linked to the one before; a redelivered event changes nothing.
pub async fn every_record_is_linked_per_tenant(r: &Repositories) {
    let (ducks, geese) = (key("ducks"), key("geese"));
    let (d, g) = (events(&ducks, 6), events(&geese, 4));
    assert!(r.audit.record(&d[0], Utc::now()).await.unwrap());
    let mixed = [d[1].clone(), g[0].clone(), d[2].clone(), g[1].clone()];
    assert_eq!(r.audit.record_batch(&mixed, Utc::now()).await.unwrap(), 4);
    let rest: Vec<AuditEvent> = d[3..].iter().chain(&g[2..]).cloned().collect();
    assert_eq!(r.audit.record_batch(&rest, Utc::now()).await.unwrap(), 5);
    // Redelivered, alone, in a batch, twice in one batch: absorbed, no fork, no gap.
    assert!(!r.audit.record(&d[4], Utc::now()).await.unwrap());
    let again = [d[5].clone(), d[5].clone(), g[3].clone()];
    assert_eq!(r.audit.record_batch(&again, Utc::now()).await.unwrap(), 0);

    for (tenant, n) in [(&ducks, 6), (&geese, 4)] {
        let chain = r.audit.chain(tenant, 1, 100).await.unwrap();
        let seqs: Vec<i64> = chain.iter().map(|c| c.seq).collect();
        assert_eq!(
            seqs,
            (1..=n).collect::<Vec<_>>(),
            "{tenant}: one gapless chain"
        );
        assert_eq!(chain[0].prev_hash, gotemp_core::audit_chain::GENESIS);
        assert!(chain.windows(2).all(|w| w[1].prev_hash == w[0].hash));
        let report = verify(r, tenant).await;
        assert!(report.ok, "{tenant}: {report:?}");
        assert_eq!((report.verified_to_seq, report.head_seq), (n, n));
        let head = r.audit.chain_head(tenant).await.unwrap().expect("a head");
        assert_eq!((head.size, &head.hash), (n, &chain[n as usize - 1].hash));
    }
    // Resumed from the middle, it checks the rest against the record before it.
    let tail = verify_chain(&*r.audit, &ducks, 4, 2, &[], None)
        .await
        .unwrap();
    assert!(tail.ok, "{tail:?}");
    assert_eq!((tail.verified_to_seq, tail.next_from_seq), (5, Some(6)));
    assert!(r.audit.chain_head(&key("nobody")).await.unwrap().is_none());
}

/// Two consumers storing one tenant's events at once — overlapping redeliveries included —
/// make one gapless chain holding each event once.
pub async fn concurrent_consumers_make_one_chain(r: &Repositories) {
    let tenant = key("ducks");
    let all = events(&tenant, 240);
    let mut tasks = Vec::new();
    for consumer in 0..2 {
        let (audit, all) = (r.audit.clone(), all.clone());
        tasks.push(tokio::spawn(async move {
            // Each stores every event, in batches of different sizes and orders.
            let size = 7 + consumer * 5;
            let mut stored = 0;
            let order: Vec<AuditEvent> = match consumer {
                0 => all,
                _ => all.into_iter().rev().collect(),
            };
            for batch in order.chunks(size) {
                stored += audit.record_batch(batch, Utc::now()).await.unwrap();
            }
            stored
        }));
    }
    let mut stored = 0;
    for task in tasks {
        stored += task.await.unwrap();
    }
    assert_eq!(stored, 240, "each event stored by exactly one consumer");
    let report = verify(r, &tenant).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.verified_to_seq, 240);
}

/// Checkpoints are kept in turn: one per size, each after the latest, the latest found.
pub async fn checkpoints_are_kept_in_turn(r: &Repositories) {
    let tenant = key("ducks");
    r.audit
        .record_batch(&events(&tenant, 5), Utc::now())
        .await
        .unwrap();
    let heads = r.audit.unsigned_heads().await.unwrap();
    let head = heads
        .iter()
        .find(|h| h.tenant == tenant)
        .expect("a head to sign");
    assert_eq!((head.size, head.checkpoint_size), (5, 0));
    let signer = CheckpointKey::generate();
    let first = signer.checkpoint(&tenant, 5, &head.hash, Utc::now(), None);
    assert!(r.audit.add_checkpoint(&first, 0).await.unwrap());
    assert!(
        !r.audit.add_checkpoint(&first, 0).await.unwrap(),
        "a second signer of the same head loses"
    );
    assert!(
        r.audit
            .unsigned_heads()
            .await
            .unwrap()
            .iter()
            .all(|h| h.tenant != tenant)
    );
    r.audit
        .record_batch(&events(&tenant, 8)[5..], Utc::now())
        .await
        .unwrap();
    let head = r.audit.chain_head(&tenant).await.unwrap().unwrap();
    let second = signer.checkpoint(&tenant, 8, &head.hash, Utc::now(), Some(&first));
    assert!(
        !r.audit.add_checkpoint(&second, 3).await.unwrap(),
        "not after the latest"
    );
    assert!(r.audit.add_checkpoint(&second, 5).await.unwrap());
    assert_eq!(
        r.audit.checkpoint(&tenant, None).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        r.audit.checkpoint(&tenant, Some(5)).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(r.audit.checkpoint(&tenant, Some(6)).await.unwrap(), None);
    assert_eq!(
        r.audit.checkpoints(&tenant, 1, 8).await.unwrap(),
        vec![first, second]
    );
    let report = verify_chain(&*r.audit, &tenant, 1, 100, &[signer.verifier()], None)
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checkpoints_verified, 2);
}

/// `tenant`'s records, stored before the chain existed, were chained from the oldest (at least
/// `at_least` of them) at the first start after it, and verify.
pub async fn chained_from_the_oldest_record(r: &Repositories, tenant: &TenantId, at_least: i64) {
    let chained = verify(r, tenant).await;
    assert!(chained.ok, "{chained:?}");
    assert_eq!(chained.verified_to_seq, chained.head_seq);
    assert!(chained.head_seq >= at_least, "{chained:?}");
    let every = gotemp_core::page::PageSpec::first(500);
    let trail = r
        .audit
        .list(tenant, &Default::default(), &every)
        .await
        .unwrap();
    let oldest = trail.items.iter().map(|r| r.action_time).min();
    let first = r.audit.chain(tenant, 1, 1).await.unwrap();
    assert_eq!(
        first.first().map(|r| r.action_time),
        oldest,
        "the oldest is first"
    );
}

/// Statements run on the store's database behind gotemp's back, as someone with write access
/// to it would.
#[async_trait]
pub trait Behind: Sync {
    /// Runs `sql` (one statement, across tenants), first switching the trail's insert-only
    /// triggers off when `unguarded` (as the database's owner could). The database's error, if
    /// any.
    async fn run(&self, sql: &str, unguarded: bool) -> Result<(), String>;
}

/// The trail refuses changes while its triggers are on, and each way of changing it behind
/// them is reported at the right seq with the right reason.
pub async fn tampering_is_found(r: &Repositories, db: &dyn Behind) {
    let signer = CheckpointKey::generate();
    let cases = ["changed", "missing", "swapped", "cut"];
    for case in cases {
        let tenant = key(case);
        r.audit
            .record_batch(&events(&tenant, 10), Utc::now())
            .await
            .unwrap();
        assert!(verify(r, &tenant).await.ok);
    }
    let refused = db
        .run(
            "UPDATE audit_records SET object_id = 'x' WHERE tenant_id = 'changed' AND seq = 3",
            false,
        )
        .await;
    assert!(
        refused.is_err(),
        "an UPDATE is refused while the trigger is on"
    );
    let refused = db
        .run(
            "DELETE FROM audit_records WHERE tenant_id = 'missing'",
            false,
        )
        .await;
    assert!(
        refused.is_err(),
        "a DELETE is refused while the trigger is on"
    );

    let unguarded = [
        "UPDATE audit_records SET object_id = 'x' WHERE tenant_id = 'changed' AND seq = 3",
        "DELETE FROM audit_records WHERE tenant_id = 'missing' AND seq = 5",
        "UPDATE audit_records SET seq = -7 WHERE tenant_id = 'swapped' AND seq = 7",
        "UPDATE audit_records SET seq = 7 WHERE tenant_id = 'swapped' AND seq = 8",
        "UPDATE audit_records SET seq = 8 WHERE tenant_id = 'swapped' AND seq = -7",
    ];
    for sql in unguarded {
        db.run(sql, true)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    for (case, seq, reason) in [
        ("changed", 3, BreakReason::Changed),
        ("missing", 5, BreakReason::Missing),
        ("swapped", 7, BreakReason::OutOfOrder),
    ] {
        let report = verify(r, &key(case)).await;
        let broken = report.broken.expect(case);
        assert_eq!(
            (broken.seq, broken.reason),
            (seq, reason),
            "{case}: {}",
            broken.detail
        );
        assert!(!report.ok);
        assert_eq!(report.verified_to_seq, seq - 1, "{case}");
    }

    // The tail cut below a checkpoint kept outside, the head and the stored checkpoints
    // rewritten to match: only the outside copy tells.
    let cut = key("cut");
    let head = r.audit.chain_head(&cut).await.unwrap().unwrap();
    let outside = signer.checkpoint(&cut, head.size, &head.hash, Utc::now(), None);
    for sql in [
        "DELETE FROM audit_records WHERE tenant_id = 'cut' AND seq > 8",
        "UPDATE audit_chains SET size = 8 WHERE tenant_id = 'cut'",
    ] {
        db.run(sql, true)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let verifier = signer.verifier();
    let alone = verify_chain(
        &*r.audit,
        &cut,
        1,
        100,
        std::slice::from_ref(&verifier),
        None,
    )
    .await
    .unwrap();
    assert!(
        alone.ok,
        "without the outside copy the cut chain is consistent: {alone:?}"
    );
    let report = verify_chain(
        &*r.audit,
        &cut,
        1,
        100,
        std::slice::from_ref(&verifier),
        Some(&outside),
    )
    .await
    .unwrap();
    let broken = report.broken.expect("the cut is found");
    assert_eq!((broken.seq, broken.reason), (9, BreakReason::Truncated));

    // Checked in whichever window holds its size: a checkpoint kept outside that signed another
    // history up to record 4 (as a rewrite from record 3 on would leave it) is found reading
    // three records at a time, though the last window holds only records 7 and 8.
    let other = signer.checkpoint(&cut, 4, gotemp_core::audit_chain::GENESIS, Utc::now(), None);
    let windows = verify_trail(
        &*r.audit,
        &cut,
        3,
        std::slice::from_ref(&verifier),
        Some(&other),
    );
    let broken = windows.await.unwrap().broken.expect("the rewrite is found");
    assert_eq!((broken.seq, broken.reason), (4, BreakReason::Changed));

    // A checkpoint whose text was changed after signing.
    let mut forged = outside.clone();
    forged.note = forged.note.replacen("\n10\n", "\n8\n", 1);
    forged.size = 8;
    let report = verify_chain(
        &*r.audit,
        &cut,
        1,
        100,
        std::slice::from_ref(&verifier),
        Some(&forged),
    )
    .await
    .unwrap();
    assert_eq!(
        report.broken.expect("bad signature").reason,
        BreakReason::BadSignature
    );
}
