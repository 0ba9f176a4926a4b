//! The audit trail's storage, and what it keeps of the messages it could not store.

use crate::audit_chain::{ArchiveAnchor, ChainHead, Checkpoint, Verifier};
use crate::entities::{AuditFilter, AuditRecord, BucketCount};
use crate::error::Result;
use crate::event::AuditEvent;
use crate::page::{Page, PageSpec};
use crate::values::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// Storage of the audit trail.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// Stores an event unless one with the same `event_id` is stored already; returns whether it
    /// was new. This is what makes redelivery harmless. A new record extends its tenant's hash
    /// chain ([`crate::audit_chain`]): the next seq, linked to the record before it, one writer
    /// per chain at a time however many processes store.
    async fn record(&self, event: &AuditEvent, recorded_at: DateTime<Utc>) -> Result<bool>;
    /// Stores a batch the same way, in one statement (one commit instead of one per event);
    /// returns how many were new. Either all new events are stored or none.
    async fn record_batch(&self, events: &[AuditEvent], recorded_at: DateTime<Utc>) -> Result<u64>;
    /// The record with row id `id`, if any.
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<AuditRecord>>;
    /// Records matching every given filter, newest first.
    async fn list(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
        page: &PageSpec,
    ) -> Result<Page<AuditRecord>>;
    /// Counts of matching records per bucket of `width`, buckets aligned to the Unix epoch,
    /// oldest first; empty buckets are left out.
    async fn count_by_bucket(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>>;
    /// Parks a message that cannot be stored, so it is kept for a person to look at. Messages
    /// that were never an event of this deployment (no event id: unreadable, unsigned, forged)
    /// are kept at most [`MAX_UNVERIFIED_DEAD_LETTERS`], the oldest dropped: whoever can
    /// publish to the broker must not be able to fill the audit store. A parked event of this
    /// deployment is never dropped.
    async fn park(&self, letter: &DeadLetter) -> Result<()>;
    /// The most recently parked messages, newest first.
    async fn dead_letters(&self, tenant: &TenantId, limit: u32) -> Result<Vec<DeadLetter>>;
    /// How many messages are parked for `tenant`, or for every tenant with `None` (the
    /// dead-letter metric reads it at every scrape).
    async fn dead_letter_count(&self, tenant: Option<TenantId>) -> Result<u64>;
    /// The parked message with number `id`, if any.
    async fn dead_letter(&self, tenant: &TenantId, id: i64) -> Result<Option<DeadLetter>>;
    /// Forgets a parked message (it was replayed); whether there was one.
    async fn remove_dead_letter(&self, tenant: &TenantId, id: i64) -> Result<bool>;
    /// `tenant`'s records from seq `from_seq` on, in seq order, at most `limit`: the chain,
    /// for verification.
    async fn chain(&self, tenant: &TenantId, from_seq: i64, limit: u32)
    -> Result<Vec<AuditRecord>>;
    /// The head of `tenant`'s chain as the store last extended it; `None` before its first
    /// record.
    async fn chain_head(&self, tenant: &TenantId) -> Result<Option<ChainHead>>;
    /// The head of every chain that grew since its latest checkpoint: the checkpointer's work.
    async fn unsigned_heads(&self) -> Result<Vec<ChainHead>>;
    /// Keeps `checkpoint` as its tenant's latest, if the latest is still `previous_size` (0:
    /// none yet); whether it did. Several processes may sign at once: one wins, the others'
    /// checkpoints are dropped, so each names the one before it.
    async fn add_checkpoint(&self, checkpoint: &Checkpoint, previous_size: i64) -> Result<bool>;
    /// `tenant`'s checkpoint of `size` records, or its latest with `None`.
    async fn checkpoint(&self, tenant: &TenantId, size: Option<i64>) -> Result<Option<Checkpoint>>;
    /// `tenant`'s checkpoints of `from` to `to` records (inclusive), by size, at most 1,000.
    async fn checkpoints(&self, tenant: &TenantId, from: i64, to: i64) -> Result<Vec<Checkpoint>>;
    /// Registers the public key checkpoints are signed with (again: nothing changes).
    async fn register_key(&self, verifier: &Verifier) -> Result<()>;
    /// Every key registered, oldest first: the keys a checkpoint's signature is checked with.
    async fn keys(&self) -> Result<Vec<Verifier>>;
    /// The head of every chain: the archiver's work list.
    async fn chains(&self) -> Result<Vec<ChainHead>>;
    /// `tenant`'s latest checkpoint signed before `before`: every record it covers was stored
    /// before then, so the archiver may take them all.
    async fn checkpoint_before(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>>;
    /// `tenant`'s latest archive: where the chain the store keeps begins.
    async fn archive_anchor(&self, tenant: &TenantId) -> Result<Option<ArchiveAnchor>>;
    /// `tenant`'s archives, by seq (at most 100,000): what `verify --archive` walks.
    async fn archives(&self, tenant: &TenantId) -> Result<Vec<ArchiveAnchor>>;
    /// Keeps `anchor` if it begins where the latest kept one ends (at seq 1 with none); whether
    /// it did. Of two archivers racing with different ranges, one anchor is kept: the archives
    /// never overlap. Kept insert-only, like checkpoints.
    async fn add_archive(&self, anchor: &ArchiveAnchor) -> Result<bool>;
    /// Deletes `tenant`'s records up to seq `through`, no further than its latest kept archive
    /// reaches (a record not archived is never deleted); how many. The trail's one delete path:
    /// on PostgreSQL it needs the tables' owner, as the serving roles may not delete records.
    async fn delete_archived(&self, tenant: &TenantId, through: i64) -> Result<u64>;
    /// How the records are kept, for start-up logs and readiness reports: `table`,
    /// `hypertable` (TimescaleDB), or `off`.
    fn storage_kind(&self) -> &'static str {
        "table"
    }
}

/// Most messages without an event id (unreadable, unsigned, forged) the audit store keeps.
pub const MAX_UNVERIFIED_DEAD_LETTERS: i64 = 1_000;

/// A message the audit service could not store, kept with the reason instead of being dropped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    /// Its number, to look at it or replay it; 0 before it is parked.
    pub id: i64,
    /// Whose it is: the event's tenant, or the deployment's home tenant for a message that
    /// names none it could trust (unreadable, unsigned, forged).
    #[serde(skip)]
    pub tenant: TenantId,
    /// The event's id, when the payload could be read at all.
    pub event_id: Option<uuid::Uuid>,
    /// Subject it arrived on.
    pub subject: String,
    /// The raw payload.
    pub payload: String,
    /// Why it could not be stored.
    pub reason: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// When it was parked.
    pub failed_at: DateTime<Utc>,
    /// Where it waits: parked by the audit consumer, or set aside by a relay because the broker
    /// would not take it (then `id` is below zero).
    pub source: DeadLetterSource,
}

/// Where a dead letter waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterSource {
    /// The audit store parked it: it arrived but could not be stored.
    #[default]
    Audit,
    /// A relay set it aside: it never left its outbox.
    Outbox,
}
