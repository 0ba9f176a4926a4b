//! Making an archive: one tenant's records up to a checkpoint older than the retention period,
//! exported, read back and verified, announced in the chain, and only then deleted.

use super::{
    ArchiveAnchor, ArchiveFile, FORMAT, Hashing, MANIFEST, Manifest, RECORDS_PER_FILE, location,
};
use crate::audit_chain::{Checkpoint, CheckpointKey, GENESIS, Segment, verify_segment};
use crate::error::{Error, Result};
use crate::ports::AuditRepository;
use crate::values::TenantId;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

/// Records read from the store per round trip while exporting.
const PAGE: i64 = 500;

/// What is archived, and where.
#[derive(Debug, Clone)]
pub struct ArchiveSettings {
    /// Records older than this are archived: those a checkpoint signed before `now - retention`
    /// (so every one of them was stored before then).
    pub retention: chrono::Duration,
    /// The archive root: one directory per tenant below it.
    pub dir: PathBuf,
}

/// One round for `tenant`: finishes what an earlier round left of the latest archive (its
/// record in the chain, the delete), then archives the records up to the latest checkpoint
/// signed before `now - retention`, if that holds any not archived yet; the manifest of the
/// archive made. The export is read back and verified (every record, every file's SHA-256, the
/// checkpoint's signature) and must end at exactly the checkpoint chosen before its anchor —
/// signed with `key` — is kept, its `audit.archived` record appended and the records deleted;
/// nothing is deleted on the word of an anchor `key` did not sign. A round cut off anywhere is
/// finished by the next; of two archivers racing, one anchor is kept and the other's export is
/// left unused.
pub async fn archive_tenant(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    settings: &ArchiveSettings,
    key: &CheckpointKey,
    now: DateTime<Utc>,
) -> Result<Option<Manifest>> {
    if !TenantId::is_key(tenant.as_str()) {
        return Err(Error::internal(format!(
            "not archiving {tenant:?}: not a tenant key"
        )));
    }
    let own = [key.verifier()];
    let (from, prev) = match repo.archive_anchor(tenant).await? {
        Some(anchor) => {
            anchor.check(&own).map_err(|at| {
                Error::internal(format!(
                    "not archiving {tenant}'s audit records: its latest archive's anchor does \
                     not verify with this deployment's key ({}); nothing is deleted",
                    at.detail
                ))
            })?;
            finish(repo, &anchor, settings, now, false).await?;
            (anchor.to_seq + 1, anchor.last_hash)
        }
        None => (1, GENESIS.to_owned()),
    };
    let cutoff = now - settings.retention;
    let Some(checkpoint) = repo.checkpoint_before(tenant, cutoff).await? else {
        return Ok(None);
    };
    if checkpoint.tenant != *tenant {
        return Err(refused(
            tenant,
            checkpoint.size,
            "a checkpoint of another chain is stored as its",
        ));
    }
    if checkpoint.size < from {
        return Ok(None);
    }
    let mut keys = repo.keys().await?;
    keys.extend(own);
    let dir = settings
        .dir
        .join(location(tenant, from, checkpoint.size, &checkpoint.hash));
    export(repo, tenant, (from, &prev), &checkpoint, &dir, now).await?;
    let (owner, start) = (tenant.clone(), prev.clone());
    let (manifest, manifest_sha256) = blocking(move || {
        super::verify_archive(&dir, &owner, from, Some(&start), &keys, None).map_err(|at| {
            format!(
                "the archive {} does not verify: {}",
                dir.display(),
                at.detail
            )
        })
    })
    .await?;
    if (manifest.to_seq, &manifest.last_hash) != (checkpoint.size, &checkpoint.hash) {
        return Err(refused(
            tenant,
            manifest.to_seq,
            "the archive in place is of another chain",
        ));
    }
    let anchor = ArchiveAnchor::signed(&manifest, manifest_sha256, key, now);
    if !repo.add_archive(&anchor).await? {
        return Ok(None); // another archiver kept its anchor first: that archive stands
    }
    finish(repo, &anchor, settings, now, true).await?;
    tracing::info!(
        %tenant,
        from_seq = manifest.from_seq,
        to_seq = manifest.to_seq,
        location = %manifest.location(),
        "audit records archived"
    );
    Ok(Some(manifest))
}

/// Appends `anchor`'s `audit.archived` record (again: nothing changes) and deletes the records
/// it covers that are still stored — after checking, unless `verified` just now, that its
/// archive is in place and is the one it signed.
async fn finish(
    repo: &dyn AuditRepository,
    anchor: &ArchiveAnchor,
    settings: &ArchiveSettings,
    now: DateTime<Utc>,
    verified: bool,
) -> Result<()> {
    let tenant = &anchor.tenant;
    repo.record(&anchor.archived_event(), now).await?;
    let left = repo.chain(tenant, anchor.from_seq, 1).await?;
    if left.first().is_none_or(|r| r.seq > anchor.to_seq) {
        return Ok(());
    }
    if !verified {
        let dir = settings.dir.join(anchor.location());
        let (owner, from, keys) = (tenant.clone(), anchor.from_seq, repo.keys().await?);
        let (_, sha) = blocking(move || {
            super::verify_archive(&dir, &owner, from, None, &keys, None).map_err(|at| {
                format!(
                    "the archive {} does not verify: {}",
                    dir.display(),
                    at.detail
                )
            })
        })
        .await?;
        if sha != anchor.manifest_sha256 {
            let why = "its archive's manifest is not the one its anchor signed";
            return Err(refused(tenant, anchor.from_seq, why));
        }
    }
    repo.delete_archived(tenant, anchor.to_seq)
        .await
        .map_err(|e| {
            Error::internal_from(
                format!(
                    "deleting {tenant}'s archived audit records up to seq {} (on PostgreSQL only \
                     the tables' owner may: run `gotemp audit archive` as the owner)",
                    anchor.to_seq
                ),
                e,
            )
        })
        .map(drop)
}

/// Writes records `from` to `checkpoint.size` of `tenant` below `root`, checking the chain as it
/// reads it (a broken chain is not archived: it is reported), into a directory made aside and
/// renamed into place whole. An archive already in place (an earlier round's, another
/// process's) is left as it is: verification decides whether it is good.
async fn export(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    (from, prev): (i64, &str),
    checkpoint: &Checkpoint,
    target: &Path,
    now: DateTime<Utc>,
) -> Result<()> {
    let to = checkpoint.size;
    if target.join(MANIFEST).exists() {
        return Ok(());
    }
    let target = target.to_owned();
    let parent = target.parent().map_or_else(PathBuf::new, Path::to_owned);
    let partial = parent.join(format!(".partial-{}", uuid::Uuid::new_v4()));
    let (made, tenant_dir) = (partial.clone(), parent.clone());
    blocking(move || {
        std::fs::create_dir_all(&made).map_err(|e| e.to_string())?;
        // The tenant's directory (maybe new) must outlive a crash along with what it holds.
        for dir in [Some(tenant_dir.as_path()), tenant_dir.parent()]
            .into_iter()
            .flatten()
        {
            sync_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        remove_abandoned(&tenant_dir);
        Ok(())
    })
    .await?;
    let written = write_files(repo, tenant, (from, to), prev, checkpoint, &partial).await;
    let (files, last_hash) = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        tenant: tenant.clone(),
        from_seq: from,
        to_seq: to,
        first_prev_hash: prev.to_owned(),
        last_hash,
        checkpoint: checkpoint.note.clone(),
        created_at: now,
        files,
    };
    blocking(move || {
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
        let put = || -> std::io::Result<()> {
            let mut file = File::create(partial.join(MANIFEST))?;
            file.write_all(&text)?;
            file.sync_all()?;
            // Every file's entry on disk before the directory takes its place.
            sync_dir(&partial)?;
            if let Err(e) = std::fs::rename(&partial, &target) {
                // Another archiver put the same range in place first: theirs is verified.
                std::fs::remove_dir_all(&partial)?;
                if !target.join(MANIFEST).exists() {
                    return Err(e);
                }
            }
            sync_dir(&parent)
        };
        put().map_err(|e| format!("writing the archive {}: {e}", target.display()))
    })
    .await
}

/// Makes the entries of `dir` durable (a rename, a new file).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// How long a half-written export may sit before another round removes it: one cut off by a
/// stop or a crash is never finished (the next round writes its own).
const ABANDONED: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes the half-written exports in `dir` older than [`ABANDONED`]; best effort.
fn remove_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let partial = entry.file_name().to_string_lossy().starts_with(".partial-");
        let age =
            (entry.metadata().and_then(|m| m.modified()).ok()).and_then(|at| at.elapsed().ok());
        if partial && age.is_some_and(|age| age > ABANDONED) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The files of an archive of seqs `from..=to`, written into `dir`; and the last record's hash,
/// which must be the one `checkpoint` signed.
async fn write_files(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    (from, to): (i64, i64),
    prev: &str,
    checkpoint: &Checkpoint,
    dir: &Path,
) -> Result<(Vec<ArchiveFile>, String)> {
    let (mut files, mut seq, mut prev) = (Vec::new(), from, prev.to_owned());
    while seq <= to {
        let last = (seq + RECORDS_PER_FILE - 1).min(to);
        let name = format!("records-{seq:012}-{last:012}.ndjson.gz");
        let path = dir.join(&name);
        let mut gz = blocking(move || {
            let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let out = Hashing::new(BufWriter::new(file));
            Ok(GzEncoder::new(out, Compression::default()))
        })
        .await?;
        let first = seq;
        while seq <= last {
            let want = (last - seq + 1).min(PAGE);
            let page = repo.chain(tenant, seq, want as u32).await?;
            let segment = Segment {
                tenant,
                from_seq: seq,
                prev_hash: &prev,
                records: &page,
                after: &[],
            };
            match verify_segment(&segment) {
                Ok(end) if end == seq + want - 1 => {}
                Ok(end) => return Err(refused(tenant, end + 1, "missing: the chain ends here")),
                Err(at) => return Err(refused(tenant, at.seq, &at.detail)),
            }
            if let Some(r) = page.last() {
                prev.clone_from(&r.hash);
            }
            seq += want;
            gz = blocking(move || {
                for record in &page {
                    serde_json::to_writer(&mut gz, record).map_err(|e| e.to_string())?;
                    gz.write_all(b"\n").map_err(|e| e.to_string())?;
                }
                Ok(gz)
            })
            .await?;
        }
        let (bytes, sha256) = blocking(move || {
            let close = || -> std::io::Result<(u64, String)> {
                let (out, sha, bytes) = gz.finish()?.finish();
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                Ok((bytes, sha))
            };
            close().map_err(|e| e.to_string())
        })
        .await?;
        files.push(ArchiveFile {
            name,
            first_seq: first,
            last_seq: last,
            bytes,
            sha256,
        });
    }
    if prev != checkpoint.hash {
        let why = "changed: the record is not the one its checkpoint signed";
        return Err(refused(tenant, to, why));
    }
    Ok((files, prev))
}

/// The error of an archive refused because the chain breaks at `seq`: nothing is archived or
/// deleted until the break is looked at (`gotemp audit verify`).
fn refused(tenant: &TenantId, seq: i64, why: &str) -> Error {
    Error::internal(format!(
        "not archiving {tenant}'s audit records: the chain breaks at seq {seq} ({why}); see \
         `gotemp audit verify`"
    ))
}

/// Runs file work off the async threads; its error, in words, as an internal error.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, String> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(why)) => Err(Error::internal(format!("audit archive: {why}"))),
        Err(e) => Err(Error::internal_from(
            "audit archive: the file work failed",
            e,
        )),
    }
}

/// SHA-256 (hex) of `bytes`.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    crate::audit_chain::hex(&Sha256::digest(bytes))
}
