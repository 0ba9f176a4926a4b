//! Checking an archive: every record recomputed and linked, every file's SHA-256, the
//! checkpoint of its last record; and a whole trail, archives first, then the database. An
//! archive is read as hostile input: names, sizes and lines are bounded before they are used.

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
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};

/// Records checked at once while reading a file.
const PAGE: usize = 500;
/// The longest line a record may take (a record holds a bounded object; a longer line is not one).
const MAX_LINE: u64 = 4 << 20;
/// The largest manifest read.
const MAX_MANIFEST: u64 = 4 << 20;

/// The archives below `root` of `tenant`, by seq; their directories and manifests. A directory
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
        let hidden = (path.file_name()).is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || !path.join(MANIFEST).is_file() {
            continue;
        }
        let text = read_capped(&path.join(MANIFEST), MAX_MANIFEST)?;
        let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
            let at = path.join(MANIFEST);
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", at.display()),
            )
        })?;
        found.push((path, manifest));
    }
    found.sort_by_key(|(_, m)| m.from_seq);
    Ok(found)
}

/// The regular file at `path` (not a link, a device or a pipe), at most `cap` bytes.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        let why = format!("larger than {cap} bytes");
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
    }
    Ok(bytes)
}

/// Opens `path` if it is a regular file itself.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    if !std::fs::symlink_metadata(path)?.file_type().is_file() {
        let why = "not a regular file";
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
    }
    std::fs::File::open(path)
}

/// Verifies the archive in `dir`, which should continue `tenant`'s chain at `from_seq` after a
/// record hashing to `prev_hash` (with `None`, after the hash its manifest names): its manifest,
/// every record (hash, seq, link), every file's SHA-256, the checkpoint of its last record
/// signed by one of `keys`, and `outside` when its size falls in the archive. Its manifest and
/// the manifest's SHA-256, or the first break — a file changed after it was written is found at
/// the record it changed, or at the file when only its bytes were.
pub fn verify_archive(
    dir: &Path,
    tenant: &TenantId,
    from_seq: i64,
    prev_hash: Option<&str>,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> std::result::Result<(Manifest, String), Break> {
    let at = |seq, reason, detail: String| Break {
        seq,
        reason,
        detail: format!("archive {}: {detail}", dir.display()),
    };
    let text = read_capped(&dir.join(MANIFEST), MAX_MANIFEST)
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
    let prev_hash = prev_hash.unwrap_or(&manifest.first_prev_hash);
    if manifest.from_seq != from_seq || manifest.first_prev_hash != prev_hash {
        let why = format!(
            "it starts at seq {} and the chain continues at {from_seq}: they do not link",
            manifest.from_seq
        );
        return Err(at(from_seq, BreakReason::Changed, why));
    }
    let outside = outside.filter(|c| c.tenant == *tenant);
    let (mut expected, mut prev) = (from_seq, prev_hash.to_owned());
    for file in &manifest.files {
        let name = format!(
            "records-{:012}-{:012}.ndjson.gz",
            file.first_seq, file.last_seq
        );
        if file.name != name || file.first_seq != expected || file.last_seq < file.first_seq {
            let why = format!("its manifest names a file {:?} out of its place", file.name);
            return Err(at(expected, BreakReason::Changed, why));
        }
        let opened = open_regular(&dir.join(&file.name)).map_err(|e| {
            at(
                expected,
                BreakReason::Missing,
                format!("{}: {e}", file.name),
            )
        })?;
        let mut hashing = Hashing::new(opened);
        let mut lines = BufReader::new(GzDecoder::new(&mut hashing));
        let mut page: Vec<AuditRecord> = Vec::with_capacity(PAGE);
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut lines).take(MAX_LINE + 1).read_until(b'\n', &mut line);
            let end = matches!(read, Ok(0));
            if !end {
                let record = (read.ok().filter(|n| *n as u64 <= MAX_LINE))
                    .and_then(|_| serde_json::from_slice::<AuditRecord>(&line).ok())
                    .ok_or_else(|| {
                        let why = format!("{}: a line that is not a record", file.name);
                        at(expected + page.len() as i64, BreakReason::Changed, why)
                    })?;
                page.push(record);
            }
            if page.len() == PAGE || (end && !page.is_empty()) {
                let segment = Segment {
                    tenant,
                    from_seq: expected,
                    prev_hash: &prev,
                    records: &page,
                    after: &[],
                };
                let last = verify_segment(&segment).map_err(|b| at(b.seq, b.reason, b.detail))?;
                if let Some(c) = outside.filter(|c| (expected..=last).contains(&c.size)) {
                    let signed = &page[(c.size - expected) as usize].hash;
                    if *signed != c.hash {
                        let why = format!(
                            "record {} is not the one checkpoint {} signed",
                            c.size, c.size
                        );
                        return Err(at(c.size, BreakReason::Changed, why));
                    }
                }
                expected = last + 1;
                if let Some(r) = page.last() {
                    prev.clone_from(&r.hash);
                }
                page.clear();
            }
            if end {
                break;
            }
        }
        drop(lines);
        // The rest of the file past the compressed stream counts too (bounded by its size).
        let _ = std::io::copy(&mut (&mut hashing).take(file.bytes), &mut std::io::sink());
        let (_, sha, bytes) = hashing.finish();
        if expected - 1 != file.last_seq {
            let why = format!(
                "{} ends at seq {}, its manifest says {}",
                file.name,
                expected - 1,
                file.last_seq
            );
            return Err(at(expected, BreakReason::Missing, why));
        }
        if sha != file.sha256 || bytes != file.bytes {
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

/// Verifies `tenant`'s whole trail: every archive the database's anchors name, from seq 1, each
/// after the one before — its anchor signed by one of `keys`, its directory below `root` holding
/// the manifest the anchor signed — then the chain the database keeps from where they end
/// ([`crate::audit_chain::verify::verify_trail`]), `window` records per call. An archive the
/// anchors name but `root` lacks is reported missing.
pub async fn verify_with_archives(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    window: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
    root: &Path,
) -> Result<Verification> {
    let anchors = repo.archives(tenant).await?;
    let count = anchors.len() as u64;
    let (root, owner, keyring) = (root.to_owned(), tenant.clone(), keys.to_vec());
    let outer = outside.cloned();
    let archives = blocking(move || {
        let (mut from, mut prev) = (1, GENESIS.to_owned());
        for anchor in &anchors {
            if let Err(at) = anchor.check(&keyring) {
                return Ok((from - 1, prev, Some(at)));
            }
            if anchor.from_seq != from {
                let at = Break {
                    seq: from,
                    reason: BreakReason::Missing,
                    detail: format!(
                        "no archive holds seq {from}: the next begins at {}",
                        anchor.from_seq
                    ),
                };
                return Ok((from - 1, prev, Some(at)));
            }
            let dir = root.join(anchor.location());
            let checked = verify_archive(&dir, &owner, from, Some(&prev), &keyring, outer.as_ref());
            match checked {
                Ok((_, sha)) if sha == anchor.manifest_sha256 => {}
                Ok(_) => {
                    let at = Break {
                        seq: from,
                        reason: BreakReason::Changed,
                        detail: format!(
                            "archive {}: not the manifest its anchor signed",
                            dir.display()
                        ),
                    };
                    return Ok((from - 1, prev, Some(at)));
                }
                Err(at) => return Ok((from - 1, prev, Some(at))),
            }
            from = anchor.to_seq + 1;
            prev.clone_from(&anchor.last_hash);
        }
        Ok((from - 1, prev, None))
    })
    .await?;
    let (archived, last_hash, broken) = archives;
    let head_seq = repo.chain_head(tenant).await?.map_or(0, |h| h.size);
    let mut report = Verification {
        ok: broken.is_none(),
        verified_from_seq: 1,
        verified_to_seq: archived,
        head_seq,
        next_from_seq: None,
        checkpoints_verified: if broken.is_none() { count } else { 0 },
        archived_to_seq: (count > 0).then_some(archived),
        broken,
    };
    if !report.ok {
        report.verified_to_seq = report
            .broken
            .as_ref()
            .map_or(archived, |b| b.seq - 1)
            .min(archived);
        return Ok(report);
    }
    let start = (archived > 0).then_some((archived + 1, last_hash.as_str()));
    let live =
        crate::audit_chain::verify::verify_trail_from(repo, tenant, start, window, keys, outside)
            .await?;
    report.ok = live.ok;
    report.verified_to_seq = live.verified_to_seq;
    report.head_seq = live.head_seq;
    report.checkpoints_verified += live.checkpoints_verified;
    report.broken = live.broken;
    Ok(report)
}
