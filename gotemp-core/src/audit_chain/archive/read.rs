//! Checking an archive: every record recomputed and linked, every file's SHA-256, the
//! checkpoint of its last record; and a whole trail, archives first, then the database.

use super::export::{blocking, sha256_hex};
use super::{FORMAT, Hashing, MANIFEST, Manifest};
use crate::audit_chain::verify::{Break, BreakReason, Verification, verify_checkpoint};
use crate::audit_chain::{Checkpoint, GENESIS, Segment, Verifier, verify_segment};
use crate::entities::AuditRecord;
use crate::error::Result;
use crate::ports::AuditRepository;
use crate::values::TenantId;
use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};

/// Records checked at once while reading a file.
const PAGE: usize = 500;

/// The archives of `tenant` below `root`, by seq; their directories and manifests. A directory
/// left half-written by an interrupted export (`.partial-…`) is not an archive.
pub fn read_manifests(root: &Path, tenant: &TenantId) -> std::io::Result<Vec<(PathBuf, Manifest)>> {
    let dir = root.join(tenant.as_str());
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || !path.join(MANIFEST).is_file() {
            continue;
        }
        let text = std::fs::read(path.join(MANIFEST))?;
        let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.join(MANIFEST).display()),
            )
        })?;
        found.push((path, manifest));
    }
    found.sort_by_key(|(_, m)| m.from_seq);
    Ok(found)
}

/// Verifies the archive in `dir`, which should continue `tenant`'s chain at `from_seq` after a
/// record hashing to `prev_hash`: its manifest, every record (hash, seq, link), every file's
/// SHA-256, and the checkpoint of its last record, signed by one of `keys`. Its manifest and the
/// manifest's SHA-256, or the first break — a file changed after it was written is found at the
/// record it changed, or at the file when only its bytes were.
pub fn verify_archive(
    dir: &Path,
    tenant: &TenantId,
    from_seq: i64,
    prev_hash: &str,
    keys: &[Verifier],
) -> std::result::Result<(Manifest, String), Break> {
    let at = |seq, reason, detail: String| Break {
        seq,
        reason,
        detail: format!("archive {}: {detail}", dir.display()),
    };
    let text = std::fs::read(dir.join(MANIFEST))
        .map_err(|e| at(from_seq, BreakReason::Missing, format!("no manifest: {e}")))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
        at(
            from_seq,
            BreakReason::Changed,
            format!("unreadable manifest: {e}"),
        )
    })?;
    if manifest.format != FORMAT || manifest.tenant != *tenant {
        let why = format!("not an archive of {tenant}'s chain in the form {FORMAT}");
        return Err(at(from_seq, BreakReason::Changed, why));
    }
    if manifest.from_seq != from_seq || manifest.first_prev_hash != prev_hash {
        let (seq, reason) = match manifest.from_seq > from_seq {
            true => (from_seq, BreakReason::Missing),
            false => (manifest.from_seq, BreakReason::OutOfOrder),
        };
        let why = format!(
            "it starts at seq {} and the chain continues at {from_seq}: they do not link",
            manifest.from_seq
        );
        return Err(at(seq, reason, why));
    }
    let (mut expected, mut prev) = (from_seq, prev_hash.to_owned());
    for file in &manifest.files {
        let path = dir.join(&file.name);
        let opened = std::fs::File::open(&path).map_err(|e| {
            at(
                expected,
                BreakReason::Missing,
                format!("{}: {e}", file.name),
            )
        })?;
        let mut hashing = Hashing::new(opened);
        let mut lines = BufReader::new(GzDecoder::new(&mut hashing)).lines();
        let mut page: Vec<AuditRecord> = Vec::with_capacity(PAGE);
        loop {
            let line = lines.next();
            if let Some(line) = &line {
                let record = (line.as_ref().ok())
                    .and_then(|l| serde_json::from_str::<AuditRecord>(l).ok())
                    .ok_or_else(|| {
                        let why = format!("{}: a line that is not a record", file.name);
                        at(expected + page.len() as i64, BreakReason::Changed, why)
                    })?;
                page.push(record);
            }
            if page.len() == PAGE || (line.is_none() && !page.is_empty()) {
                let segment = Segment {
                    tenant,
                    from_seq: expected,
                    prev_hash: &prev,
                    records: &page,
                    after: &[],
                };
                expected = verify_segment(&segment).map_err(|b| at(b.seq, b.reason, b.detail))? + 1;
                if let Some(r) = page.last() {
                    prev.clone_from(&r.hash);
                }
                page.clear();
            }
            if line.is_none() {
                break;
            }
        }
        drop(lines);
        // The rest of the file past the compressed stream counts too.
        let _ = std::io::copy(&mut hashing, &mut std::io::sink());
        let (_, sha, _) = hashing.finish();
        if expected - 1 != file.last_seq {
            let why = format!(
                "{} ends at seq {}, its manifest says {}",
                file.name,
                expected - 1,
                file.last_seq
            );
            return Err(at(expected, BreakReason::Missing, why));
        }
        if sha != file.sha256 {
            let why = format!("{}'s SHA-256 is not the one its manifest holds", file.name);
            return Err(at(file.first_seq, BreakReason::Changed, why));
        }
    }
    if expected - 1 != manifest.to_seq {
        let why = format!(
            "its files end at seq {}, its manifest says {}",
            expected - 1,
            manifest.to_seq
        );
        return Err(at(expected, BreakReason::Missing, why));
    }
    if prev != manifest.last_hash {
        let why = "its last record is not the one its manifest names".to_owned();
        return Err(at(manifest.to_seq, BreakReason::Changed, why));
    }
    let checkpoint = Checkpoint::read(&manifest.checkpoint)
        .map_err(|e| at(manifest.to_seq, BreakReason::BadSignature, e.to_string()))?;
    if checkpoint.size != manifest.to_seq || checkpoint.tenant != *tenant {
        let why = format!(
            "its checkpoint signs {} records of another range",
            checkpoint.size
        );
        return Err(at(manifest.to_seq, BreakReason::Changed, why));
    }
    let held = HashMap::from([(manifest.to_seq, manifest.last_hash.as_str())]);
    verify_checkpoint(&checkpoint, keys, &held, manifest.to_seq)
        .map_err(|b| at(b.seq, b.reason, b.detail))?;
    let digest = sha256_hex(&text);
    Ok((manifest, digest))
}

/// Verifies `tenant`'s whole trail: the archives below `root` from seq 1, each after the one
/// before, then the chain the database keeps from where they end ([`super::super::verify::verify_trail`]),
/// `window` records per call. An archive the database names but `root` lacks is reported
/// missing.
pub async fn verify_with_archives(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    window: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
    root: &Path,
) -> Result<Verification> {
    let (root, owner, keyring) = (root.to_owned(), tenant.clone(), keys.to_vec());
    let archives = blocking(move || {
        let manifests = read_manifests(&root, &owner)
            .map_err(|e| format!("reading the archives in {}: {e}", root.display()))?;
        let (mut from, mut prev) = (1, GENESIS.to_owned());
        for (dir, _) in &manifests {
            match verify_archive(dir, &owner, from, &prev, &keyring) {
                Ok((manifest, _)) => {
                    from = manifest.to_seq + 1;
                    prev = manifest.last_hash;
                }
                Err(at) => return Ok((from - 1, prev, Some(at), manifests.len())),
            }
        }
        Ok((from - 1, prev, None, manifests.len()))
    })
    .await?;
    let (archived, last_hash, broken, count) = archives;
    let mut report = Verification {
        ok: broken.is_none(),
        verified_from_seq: 1,
        verified_to_seq: archived,
        head_seq: repo.chain_head(tenant).await?.map_or(0, |h| h.size),
        next_from_seq: None,
        checkpoints_verified: count as u64,
        archived_to_seq: Some(archived),
        broken,
    };
    if !report.ok {
        report.checkpoints_verified = 0;
        return Ok(report);
    }
    let anchor = repo.archive_anchor(tenant).await?;
    if let Some(anchor) = anchor.as_ref().filter(|a| a.to_seq > archived) {
        report.ok = false;
        report.broken = Some(Break {
            seq: archived + 1,
            reason: BreakReason::Missing,
            detail: format!(
                "the database archived records up to seq {} in {}; the archives given end at {archived}",
                anchor.to_seq, anchor.location
            ),
        });
        return Ok(report);
    }
    let live = super::super::verify::verify_trail_from(
        repo,
        tenant,
        (archived > 0).then_some((archived + 1, last_hash.as_str())),
        window,
        keys,
        outside,
    )
    .await?;
    report.ok = live.ok;
    report.verified_to_seq = live.verified_to_seq;
    report.head_seq = live.head_seq;
    report.checkpoints_verified += live.checkpoints_verified;
    report.broken = live.broken;
    if archived == 0 {
        report.archived_to_seq = None;
    }
    Ok(report)
}
