//! Retention that keeps the evidence: records older than the retention period are exported to
//! files with a manifest, the export is read back and verified, an `audit.archived` record is
//! appended to the chain, and only then are the records deleted from the database. The chain
//! kept in the database then starts after the archive, at an anchor — the archive's last seq
//! and hash, signed by a checkpoint — and verification says so; the archive itself is verified
//! with `gotemp audit verify --archive DIR`.
//!
//! An archive is a directory `<dir>/<tenant>/<from>-<to>/` (seqs in 12 digits) holding
//! `manifest.json` ([`Manifest`]) and the records as gzip-compressed NDJSON, one record per line
//! exactly as the API returns it, at most [`RECORDS_PER_FILE`] per file. NDJSON rather than
//! Parquet: every line hashes as the record did (the fields the chain hashes, nothing
//! re-typed), it reads with `zcat` and `jq`, and it needs no columnar library in the build.

mod export;
mod read;

pub use export::{ArchiveSettings, archive_tenant};
pub use read::{read_manifests, verify_archive, verify_with_archives};

use crate::event::{ActionType, AuditEvent, EVENT_SCHEMA_VERSION};
use crate::values::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

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
/// Kept insert-only beside the checkpoints; the latest is the anchor verification starts at.
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
    /// The archive's directory, relative to the archive root (`<tenant>/<from>-<to>`).
    pub location: String,
    /// When it was archived.
    pub archived_at: DateTime<Utc>,
}

impl Manifest {
    /// The archive's directory under the archive root.
    pub fn location(&self) -> String {
        location(&self.tenant, self.from_seq, self.to_seq)
    }

    /// The record appended to the chain once the archive is verified: the range, the hashes
    /// that link it, the checkpoint's size and every file's SHA-256, so the chain itself says
    /// what was archived. Its event id is derived from the range and the manifest: an archiver
    /// that stops after appending it and runs again appends nothing.
    pub fn archived_event(&self, manifest_sha256: &str, at: DateTime<Utc>) -> AuditEvent {
        let name = format!("{}/{}", self.location(), manifest_sha256);
        let digest = Sha256::digest(name.as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        let files: Vec<_> = (self.files.iter())
            .map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256}))
            .collect();
        AuditEvent {
            event_id: uuid::Builder::from_random_bytes(id).into_uuid(),
            schema_version: EVENT_SCHEMA_VERSION,
            occurred_at: at,
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
                "first_prev_hash": self.first_prev_hash,
                "last_hash": self.last_hash,
                "checkpoint_size": self.to_seq,
                "location": self.location(),
                "manifest_sha256": manifest_sha256,
                "files": files,
            }),
            traceparent: None,
        }
    }
}

/// `<tenant>/<from>-<to>`, seqs in 12 digits so the directories sort in seq order.
fn location(tenant: &TenantId, from: i64, to: i64) -> String {
    format!("{tenant}/{from:012}-{to:012}")
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
