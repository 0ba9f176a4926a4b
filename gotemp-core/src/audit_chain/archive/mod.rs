//! Retention that keeps the evidence: records older than the retention period are exported to
//! files with a manifest, the export is read back and verified, an `audit.archived` record is
//! appended to the chain, and only then are the records deleted from the database. The chain
//! kept in the database then starts after the archive, at an anchor — the archive's last seq
//! and hash, signed by a checkpoint — and verification says so; the archive itself is verified
//! with `gotemp audit verify --archive DIR`.
//!
//! An archive is a directory `<dir>/<tenant>/<from>-<to>-<hash>/` (seqs in 12 digits, the start
//! of the last record's hash) holding
//! `manifest.json` ([`Manifest`]) and the records as gzip-compressed NDJSON, one record per line
//! exactly as the API returns it, at most [`RECORDS_PER_FILE`] per file. NDJSON rather than
//! Parquet: every line hashes as the record did (the fields the chain hashes, nothing
//! re-typed), it reads with `zcat` and `jq`, and it needs no columnar library in the build.

mod export;
mod read;

pub use export::{ArchiveSettings, archive_tenant};
pub use read::{read_manifests, verify_archive, verify_with_archives};

use super::verify::{Break, BreakReason, verify_checkpoint};
use super::{Checkpoint, CheckpointKey, Verifier};
use crate::event::{ActionType, AuditEvent, EVENT_SCHEMA_VERSION};
use crate::values::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;

/// The manifest's `format`: what reads it must understand.
pub const FORMAT: &str = "gotemp-audit-archive/1";
/// The manifest's file name in an archive's directory.
pub const MANIFEST: &str = "manifest.json";
/// Most records one file of an archive holds: a file is verified in one pass, whatever its
/// size, but smaller files copy and re-read in parts.
pub const RECORDS_PER_FILE: i64 = 100_000;
/// The `action_func` of the record an archive appends to its tenant's chain.
pub const ARCHIVED: &str = "audit.archived";

/// What an archive holds and how to check it: the seq range, how it links to the chain (the
/// `prev_hash` of its first record, the hash of its last) and the signed checkpoint of its last
/// record, and each file's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// Whose chain.
    pub tenant: TenantId,
    /// Its first record's seq.
    pub from_seq: i64,
    /// Its last record's seq.
    pub to_seq: i64,
    /// The `prev_hash` of record `from_seq`: the hash of the record before the archive.
    pub first_prev_hash: String,
    /// The hash of record `to_seq`, where the chain kept in the database continues.
    pub last_hash: String,
    /// The signed checkpoint (C2SP note) of `to_seq` records: the archive's last hash signed.
    pub checkpoint: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Its files, in seq order.
    pub files: Vec<ArchiveFile>,
}

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveFile {
    /// Its name in the archive's directory.
    pub name: String,
    /// The seq of its first record.
    pub first_seq: i64,
    /// The seq of its last record.
    pub last_seq: i64,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
}

/// What the store keeps of an archive: where its tenant's chain in the database now begins.
/// Kept insert-only beside the checkpoints, and signed with the checkpoint key (`note`): whoever
/// can write the database but not sign cannot claim that records were archived (to have them
/// deleted, or to hide that they were).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveAnchor {
    /// Whose chain.
    pub tenant: TenantId,
    /// The archive's first seq.
    pub from_seq: i64,
    /// The archive's last seq: records up to it may be gone from the database.
    pub to_seq: i64,
    /// The hash of record `to_seq`.
    pub last_hash: String,
    /// The checkpoint of `to_seq` records, as signed.
    pub checkpoint: String,
    /// SHA-256 (hex) of the archive's `manifest.json`.
    pub manifest_sha256: String,
    /// When it was archived.
    pub archived_at: DateTime<Utc>,
    /// The claim above (tenant, range, last hash, manifest) as a signed note.
    pub note: String,
}

impl ArchiveAnchor {
    /// The anchor of the verified archive `manifest` (whose `manifest.json` hashes to
    /// `manifest_sha256`), signed with `key`.
    pub fn signed(
        manifest: &Manifest,
        manifest_sha256: String,
        key: &CheckpointKey,
        at: DateTime<Utc>,
    ) -> Self {
        let mut anchor = Self {
            tenant: manifest.tenant.clone(),
            from_seq: manifest.from_seq,
            to_seq: manifest.to_seq,
            last_hash: manifest.last_hash.clone(),
            checkpoint: manifest.checkpoint.clone(),
            manifest_sha256,
            archived_at: crate::values::truncate_to_micros(at),
            note: String::new(),
        };
        anchor.note = key.sign(&anchor.claim());
        anchor
    }

    /// The signed body: what the anchor claims, one field a line.
    fn claim(&self) -> String {
        format!(
            "{ORIGIN}/{}\n{}\n{}\n{}\n{}\n",
            self.tenant, self.from_seq, self.to_seq, self.last_hash, self.manifest_sha256
        )
    }

    /// Checks that the anchor is one an archiver of this deployment made: a range that can be
    /// one, its claim signed by one of `keys`, and its checkpoint — signed by one of them too —
    /// of its last seq and hash.
    pub fn check(&self, keys: &[Verifier]) -> Result<(), Break> {
        let to = self.to_seq;
        let bad = |reason, detail: String| Break {
            seq: to.clamp(1, i64::MAX - 1),
            reason,
            detail: format!("the archive of seqs {} to {to}: {detail}", self.from_seq),
        };
        if !(1 <= self.from_seq && self.from_seq <= to && to < i64::MAX) {
            return Err(bad(
                BreakReason::Changed,
                "not a range an archive can hold".into(),
            ));
        }
        let claim = self.claim();
        let signed = keys
            .iter()
            .any(|k| k.open(&self.note).is_ok_and(|body| body == claim));
        if !signed {
            let why = "its anchor is signed by none of the deployment's keys".to_owned();
            return Err(bad(BreakReason::BadSignature, why));
        }
        let checkpoint = Checkpoint::read(&self.checkpoint)
            .map_err(|e| bad(BreakReason::BadSignature, e.to_string()))?;
        if checkpoint.tenant != self.tenant || checkpoint.size != to {
            let why = format!(
                "its checkpoint signs {} records of another chain",
                checkpoint.size
            );
            return Err(bad(BreakReason::Changed, why));
        }
        let held = HashMap::from([(to, self.last_hash.as_str())]);
        verify_checkpoint(&checkpoint, keys, &held, to).map(drop)
    }

    /// The archive's directory under the archive root.
    pub fn location(&self) -> String {
        location(&self.tenant, self.from_seq, self.to_seq, &self.last_hash)
    }

    /// The record appended to the chain once the archive is kept: the range, the hash that
    /// links it, the checkpoint's size and the manifest's SHA-256 (which holds every file's), so
    /// the chain itself says what left the database. Its event id is derived from the anchor: a
    /// round that appends it again (after a crash) appends nothing.
    pub fn archived_event(&self) -> AuditEvent {
        let digest = Sha256::digest(self.note.as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        AuditEvent {
            event_id: uuid::Builder::from_random_bytes(id).into_uuid(),
            schema_version: EVENT_SCHEMA_VERSION,
            occurred_at: self.archived_at,
            service: "audit".into(),
            action_func: ARCHIVED.into(),
            action_type: ActionType::Delete,
            object_name: "audit_records".into(),
            object_id: format!("{}-{}", self.from_seq, self.to_seq),
            performed_by: 0,
            tenant: self.tenant.clone(),
            object_detail: serde_json::json!({
                "from_seq": self.from_seq,
                "to_seq": self.to_seq,
                "last_hash": self.last_hash,
                "checkpoint_size": self.to_seq,
                "location": self.location(),
                "manifest_sha256": self.manifest_sha256,
            }),
            traceparent: None,
        }
    }
}

impl Manifest {
    /// The archive's directory under the archive root.
    pub fn location(&self) -> String {
        location(&self.tenant, self.from_seq, self.to_seq, &self.last_hash)
    }
}

/// The first line of an anchor's signed claim, before the tenant: unlike a checkpoint's, so
/// neither can pass for the other.
const ORIGIN: &str = "gotemp-audit-archive";

/// `<tenant>/<from>-<to>-<hash>`: seqs in 12 digits so the directories sort in seq order, and
/// the start of the last hash, so a chain begun again (a tenant purged and made anew) never
/// meets an archive of the one before.
fn location(tenant: &TenantId, from: i64, to: i64, last_hash: &str) -> String {
    let hash: String = last_hash.chars().take(16).collect();
    format!("{tenant}/{from:012}-{to:012}-{hash}")
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        (self.inner, super::hex(&self.sha.finalize()), self.bytes)
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
