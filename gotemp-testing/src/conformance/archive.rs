//! Retention that keeps the evidence: records past the retention period are archived to files,
//! verified, announced in the chain and only then deleted; the chain kept in the database
//! verifies from the archive's checkpoint, the archive with it, and a changed archive is caught.

use super::audit_chain::events;
use chrono::{Duration, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use gotemp_core::audit_chain::ArchiveAnchor;
use gotemp_core::audit_chain::archive::{self, ARCHIVED, ArchiveSettings};
use gotemp_core::audit_chain::verify::{DEFAULT_VERIFY_RECORDS, verify_chain};
use gotemp_core::audit_chain::{BreakReason, CheckpointKey, Verification};
use gotemp_core::ports::Repositories;
use gotemp_core::values::TenantId;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// A directory of its own under the system's temporary one, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn with_archives(
    r: &Repositories,
    tenant: &TenantId,
    dir: &Path,
    key: &CheckpointKey,
) -> Verification {
    let keys = [key.verifier()];
    archive::verify_with_archives(&*r.audit, tenant, 1_000, &keys, None, dir)
        .await
        .expect("the trail can be read")
}

/// Rewrites the archive file `path` through `change` of its decompressed text.
fn rewrite(path: &Path, change: impl FnOnce(String) -> String) {
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(change(text).as_bytes()).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

/// Seven records stored 500 days ago and signed then, three stored now: a retention of 400 days
/// archives the seven (and nothing of another tenant), the chain verifies from the archive's
/// checkpoint, the archive and the chain verify together, a second round does nothing, and an
/// archive file changed afterwards — a record, or only its bytes — is caught.
pub async fn archive_keeps_the_evidence(r: &Repositories) {
    let (tenant, other) = (
        TenantId::parse("tenant", "ducks").unwrap(),
        TenantId::parse("tenant", "geese").unwrap(),
    );
    let key = CheckpointKey::generate();
    r.audit.register_key(&key.verifier()).await.unwrap();
    let now = Utc::now();
    let then = now - Duration::days(500);
    let all = events(&tenant, 10);
    assert_eq!(r.audit.record_batch(&all[..7], then).await.unwrap(), 7);
    let head = r.audit.chain_head(&tenant).await.unwrap().unwrap();
    let old = key.checkpoint(&tenant, 7, &head.hash, then + Duration::seconds(1), None);
    assert!(r.audit.add_checkpoint(&old, 0).await.unwrap());
    assert_eq!(r.audit.record_batch(&all[7..], now).await.unwrap(), 3);
    let head = r.audit.chain_head(&tenant).await.unwrap().unwrap();
    let recent = key.checkpoint(&tenant, 10, &head.hash, now, Some(&old));
    assert!(r.audit.add_checkpoint(&recent, 7).await.unwrap());
    r.audit
        .record_batch(&events(&other, 3), then)
        .await
        .unwrap();

    let scratch =
        Scratch(std::env::temp_dir().join(format!("gotemp-archive-{}", uuid::Uuid::new_v4())));
    let settings = ArchiveSettings {
        retention: Duration::days(400),
        dir: scratch.0.clone(),
    };
    let made = archive::archive_tenant(&*r.audit, &tenant, &settings, &key, now)
        .await
        .expect("an archive")
        .expect("seven records are due");
    assert_eq!((made.from_seq, made.to_seq, made.files.len()), (1, 7, 1));
    assert_eq!(made.last_hash, old.hash);

    // Gone from the database; the archive announced at the end of the chain.
    let kept = r.audit.chain(&tenant, 1, 100).await.unwrap();
    let seqs: Vec<i64> = kept.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, vec![8, 9, 10, 11], "the archived records are deleted");
    let announced = kept.last().unwrap();
    assert_eq!(announced.action_func, ARCHIVED);
    assert_eq!(announced.object_detail["to_seq"], 7);
    assert_eq!(
        r.audit.chain(&other, 1, 100).await.unwrap().len(),
        3,
        "another tenant keeps its records"
    );

    // The database's chain verifies from the archive's checkpoint, and says so.
    let keys = [key.verifier()];
    let report = verify_chain(&*r.audit, &tenant, 1, DEFAULT_VERIFY_RECORDS, &keys, None)
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (
            report.verified_from_seq,
            report.verified_to_seq,
            report.archived_to_seq
        ),
        (8, 11, Some(7))
    );
    assert_eq!(
        report.checkpoints_verified, 2,
        "the archive's checkpoint and the latest"
    );
    assert!(
        report.describe(&tenant).contains("archived"),
        "{}",
        report.describe(&tenant)
    );
    // With the archive, from the first record.
    let whole = with_archives(r, &tenant, &scratch.0, &key).await;
    assert!(whole.ok, "{whole:?}");
    assert_eq!((whole.verified_from_seq, whole.verified_to_seq), (1, 11));
    // Nothing more is due; a delete never reaches past the archive.
    let again = archive::archive_tenant(&*r.audit, &tenant, &settings, &key, now)
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(r.audit.delete_archived(&tenant, 10).await.unwrap(), 0);
    assert_eq!(
        r.audit.delete_archived(&other, 3).await.unwrap(),
        0,
        "not archived, not deleted"
    );
    // Without the archive, the database names what is missing.
    let elsewhere = Scratch(scratch.0.join("elsewhere"));
    let missing = with_archives(r, &tenant, &elsewhere.0, &key).await;
    assert_eq!(
        missing.broken.map(|b| (b.seq, b.reason)),
        Some((1, BreakReason::Missing))
    );

    // A record changed in the archive is found at its seq.
    let file = scratch.0.join(made.location()).join(&made.files[0].name);
    let original = std::fs::read(&file).unwrap();
    rewrite(&file, |text| {
        text.replacen("\"object_id\":\"c2\"", "\"object_id\":\"c9\"", 1)
    });
    let changed = with_archives(r, &tenant, &scratch.0, &key).await;
    assert!(!changed.ok);
    assert_eq!(
        changed.broken.map(|b| (b.seq, b.reason)),
        Some((3, BreakReason::Changed))
    );
    // The same records in other bytes: the file's SHA-256 no longer matches its manifest.
    std::fs::write(&file, &original).unwrap();
    rewrite(&file, |text| text);
    let rebytes = with_archives(r, &tenant, &scratch.0, &key).await;
    let broken = rebytes.broken.expect("other bytes are found");
    assert_eq!((broken.seq, broken.reason), (1, BreakReason::Changed));
    assert!(broken.detail.contains("SHA-256"), "{}", broken.detail);
    // Restored, it verifies again.
    std::fs::write(&file, &original).unwrap();
    assert!(with_archives(r, &tenant, &scratch.0, &key).await.ok);
    // An archive that does not continue the latest is not kept: archives never overlap.
    let overlapping = ArchiveAnchor::signed(&made, "0".repeat(64), &key, now);
    assert!(!r.audit.add_archive(&overlapping).await.unwrap());
}

/// Whoever can write the database but not sign cannot claim records were archived: an anchor
/// signed by another key (with a genuine checkpoint) makes verification fail, and the archiver
/// refuses to delete anything on its word.
pub async fn a_forged_anchor_deletes_nothing(r: &Repositories) {
    let tenant = TenantId::parse("tenant", "geese").unwrap();
    let (key, forger) = (CheckpointKey::generate(), CheckpointKey::generate());
    r.audit.register_key(&key.verifier()).await.unwrap();
    let then = Utc::now() - Duration::days(500);
    r.audit
        .record_batch(&events(&tenant, 3), then)
        .await
        .unwrap();
    let head = r.audit.chain_head(&tenant).await.unwrap().unwrap();
    let genuine = key.checkpoint(&tenant, 3, &head.hash, then, None);
    assert!(r.audit.add_checkpoint(&genuine, 0).await.unwrap());
    let claim = archive::Manifest {
        format: archive::FORMAT.into(),
        tenant: tenant.clone(),
        from_seq: 1,
        to_seq: 3,
        first_prev_hash: gotemp_core::audit_chain::GENESIS.into(),
        last_hash: head.hash.clone(),
        checkpoint: genuine.note.clone(),
        created_at: then,
        files: Vec::new(),
    };
    let forged = ArchiveAnchor::signed(&claim, "0".repeat(64), &forger, then);
    assert!(
        r.audit.add_archive(&forged).await.unwrap(),
        "the store keeps what it is given"
    );

    let keys = [key.verifier()];
    let report = verify_chain(&*r.audit, &tenant, 1, DEFAULT_VERIFY_RECORDS, &keys, None)
        .await
        .unwrap();
    assert!(!report.ok, "{report:?}");
    assert_eq!(
        report.broken.map(|b| b.reason),
        Some(BreakReason::BadSignature)
    );
    let scratch =
        Scratch(std::env::temp_dir().join(format!("gotemp-archive-{}", uuid::Uuid::new_v4())));
    let settings = ArchiveSettings {
        retention: Duration::days(400),
        dir: scratch.0.clone(),
    };
    let refused = archive::archive_tenant(&*r.audit, &tenant, &settings, &key, Utc::now()).await;
    assert!(refused.is_err(), "{refused:?}");
    let kept = r.audit.chain(&tenant, 1, 10).await.unwrap();
    assert_eq!(
        kept.len(),
        3,
        "nothing is deleted on a forged anchor's word"
    );
}
