//! The audit trail switched off (`GOTEMP_AUDIT_STORAGE=none`, the original's
//! `DISABLE_AUDIT_RECORDS`): change events still flow — other instances' caches follow them —
//! but none is kept, and every question about the trail is answered with
//! [`Error::SwitchedOff`], which the transports send as 404 (HTTP) or `UNIMPLEMENTED` (gRPC).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gotemp_core::audit_chain::{ArchiveAnchor, ChainHead, Checkpoint, Verifier};
use gotemp_core::entities::{AuditFilter, AuditRecord, BucketCount};
use gotemp_core::event::AuditEvent;
use gotemp_core::page::{Page, PageSpec};
use gotemp_core::ports::{AuditRepository, DeadLetter};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};

/// An audit repository that keeps nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

fn off<T>() -> Result<T> {
    Err(Error::SwitchedOff(gotemp_core::tr!("error.audit_off")))
}

#[async_trait]
impl AuditRepository for NoAudit {
    /// Dropped; reported as new so the pipeline acknowledges it and moves on.
    async fn record(&self, _: &AuditEvent, _: DateTime<Utc>) -> Result<bool> {
        Ok(true)
    }

    async fn record_batch(&self, events: &[AuditEvent], _: DateTime<Utc>) -> Result<u64> {
        Ok(events.len() as u64)
    }

    async fn get(&self, _: &TenantId, _: i64) -> Result<Option<AuditRecord>> {
        off()
    }

    async fn list(&self, _: &TenantId, _: &AuditFilter, _: &PageSpec) -> Result<Page<AuditRecord>> {
        off()
    }

    async fn count_by_bucket(
        &self,
        _: &TenantId,
        _: &AuditFilter,
        _: Duration,
    ) -> Result<Vec<BucketCount>> {
        off()
    }

    /// Nothing is recorded, so nothing is parked either.
    async fn park(&self, _: &DeadLetter) -> Result<()> {
        Ok(())
    }

    async fn dead_letters(&self, _: &TenantId, _: u32) -> Result<Vec<DeadLetter>> {
        off()
    }

    /// Zero, so the dead-letter gauge and its alert stay quiet.
    async fn dead_letter_count(&self, _: Option<TenantId>) -> Result<u64> {
        Ok(0)
    }

    async fn dead_letter(&self, _: &TenantId, _: i64) -> Result<Option<DeadLetter>> {
        off()
    }

    async fn remove_dead_letter(&self, _: &TenantId, _: i64) -> Result<bool> {
        off()
    }

    async fn chain(&self, _: &TenantId, _: i64, _: u32) -> Result<Vec<AuditRecord>> {
        off()
    }

    async fn chain_head(&self, _: &TenantId) -> Result<Option<ChainHead>> {
        off()
    }

    /// No chains: the checkpointer has nothing to sign.
    async fn unsigned_heads(&self) -> Result<Vec<ChainHead>> {
        Ok(Vec::new())
    }

    async fn add_checkpoint(&self, _: &Checkpoint, _: i64) -> Result<bool> {
        off()
    }

    async fn checkpoint(&self, _: &TenantId, _: Option<i64>) -> Result<Option<Checkpoint>> {
        off()
    }

    async fn checkpoints(&self, _: &TenantId, _: i64, _: i64) -> Result<Vec<Checkpoint>> {
        off()
    }

    async fn register_key(&self, _: &Verifier) -> Result<()> {
        Ok(())
    }

    async fn keys(&self) -> Result<Vec<Verifier>> {
        off()
    }

    /// None: there is nothing to archive.
    async fn chains(&self) -> Result<Vec<ChainHead>> {
        Ok(Vec::new())
    }

    async fn checkpoint_before(
        &self,
        _: &TenantId,
        _: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>> {
        off()
    }

    async fn archive_anchor(&self, _: &TenantId) -> Result<Option<ArchiveAnchor>> {
        off()
    }

    async fn archives(&self, _: &TenantId) -> Result<Vec<ArchiveAnchor>> {
        off()
    }

    async fn add_archive(&self, _: &ArchiveAnchor) -> Result<bool> {
        off()
    }

    async fn delete_archived(&self, _: &TenantId, _: i64) -> Result<u64> {
        off()
    }

    fn storage_kind(&self) -> &'static str {
        "off"
    }
}
