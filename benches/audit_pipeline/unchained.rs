//! The audit store with the hash chain switched off, as a baseline of the same run: the
//! pipeline's inserts as they were before the chain (one `INSERT … ON CONFLICT DO NOTHING` of up
//! to 256 rows, no head locked, no hash), everything else the real store's.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gotemp::domain::Result;
use gotemp::domain::audit_chain::{ArchiveAnchor, ChainHead, Checkpoint, Verifier};
use gotemp::domain::entities::{AuditFilter, AuditRecord, BucketCount};
use gotemp::domain::event::AuditEvent;
use gotemp::domain::page::{Page, PageSpec};
use gotemp::domain::ports::{AuditRepository, DeadLetter};
use gotemp::domain::values::TenantId;
use std::sync::Arc;

/// `inner`, storing events on `db` without the chain.
pub struct Unchained {
    pub inner: Arc<dyn AuditRepository>,
    pub db: sqlx::PgPool,
}

#[async_trait]
impl AuditRepository for Unchained {
    async fn record(&self, event: &AuditEvent, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.record_batch(std::slice::from_ref(event), at).await? == 1)
    }

    async fn record_batch(&self, events: &[AuditEvent], at: DateTime<Utc>) -> Result<u64> {
        let mut tx = self
            .db
            .begin()
            .await
            .map_err(|e| gotemp::domain::Error::internal(e.to_string()))?;
        sqlx::query("SELECT set_config('gotemp.tenant', 'default', true)")
            .execute(&mut *tx)
            .await
            .map_err(|e| gotemp::domain::Error::internal(e.to_string()))?;
        let mut stored = 0;
        for chunk in events.chunks(256) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, \
                 action_func, action_type, object_name, object_id, performed_by, object_detail, \
                 trace_id, tenant_id) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.event_id)
                    .push_bind(e.occurred_at)
                    .push_bind(at)
                    .push_bind(e.topic())
                    .push_bind(&e.service)
                    .push_bind(&e.action_func)
                    .push_bind(e.action_type.as_str())
                    .push_bind(&e.object_name)
                    .push_bind(&e.object_id)
                    .push_bind(e.performed_by)
                    .push_bind(sqlx::types::Json(&e.object_detail))
                    .push_bind(e.trace_id())
                    .push_bind(e.tenant.as_str());
            });
            q.push(" ON CONFLICT DO NOTHING");
            let done = q.build().execute(&mut *tx).await;
            stored += done
                .map_err(|e| gotemp::domain::Error::internal(e.to_string()))?
                .rows_affected();
        }
        tx.commit()
            .await
            .map_err(|e| gotemp::domain::Error::internal(e.to_string()))?;
        Ok(stored)
    }

    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<AuditRecord>> {
        self.inner.get(tenant, id).await
    }

    async fn list(
        &self,
        tenant: &TenantId,
        f: &AuditFilter,
        page: &PageSpec,
    ) -> Result<Page<AuditRecord>> {
        self.inner.list(tenant, f, page).await
    }

    async fn count_by_bucket(
        &self,
        tenant: &TenantId,
        f: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>> {
        self.inner.count_by_bucket(tenant, f, width).await
    }

    async fn park(&self, letter: &DeadLetter) -> Result<()> {
        self.inner.park(letter).await
    }

    async fn dead_letters(&self, tenant: &TenantId, limit: u32) -> Result<Vec<DeadLetter>> {
        self.inner.dead_letters(tenant, limit).await
    }

    async fn dead_letter_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        self.inner.dead_letter_count(tenant).await
    }

    async fn dead_letter(&self, tenant: &TenantId, id: i64) -> Result<Option<DeadLetter>> {
        self.inner.dead_letter(tenant, id).await
    }

    async fn remove_dead_letter(&self, tenant: &TenantId, id: i64) -> Result<bool> {
        self.inner.remove_dead_letter(tenant, id).await
    }

    async fn chain(&self, tenant: &TenantId, from: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        self.inner.chain(tenant, from, limit).await
    }

    async fn chain_head(&self, tenant: &TenantId) -> Result<Option<ChainHead>> {
        self.inner.chain_head(tenant).await
    }

    async fn unsigned_heads(&self) -> Result<Vec<ChainHead>> {
        self.inner.unsigned_heads().await
    }

    async fn add_checkpoint(&self, checkpoint: &Checkpoint, previous: i64) -> Result<bool> {
        self.inner.add_checkpoint(checkpoint, previous).await
    }

    async fn checkpoint(&self, tenant: &TenantId, size: Option<i64>) -> Result<Option<Checkpoint>> {
        self.inner.checkpoint(tenant, size).await
    }

    async fn checkpoints(&self, tenant: &TenantId, from: i64, to: i64) -> Result<Vec<Checkpoint>> {
        self.inner.checkpoints(tenant, from, to).await
    }

    async fn register_key(&self, verifier: &Verifier) -> Result<()> {
        self.inner.register_key(verifier).await
    }

    async fn keys(&self) -> Result<Vec<Verifier>> {
        self.inner.keys().await
    }

    async fn chains(&self) -> Result<Vec<ChainHead>> {
        self.inner.chains().await
    }

    async fn checkpoint_before(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>> {
        self.inner.checkpoint_before(tenant, before).await
    }

    async fn archive_anchor(&self, tenant: &TenantId) -> Result<Option<ArchiveAnchor>> {
        self.inner.archive_anchor(tenant).await
    }

    async fn archives(&self, tenant: &TenantId) -> Result<Vec<ArchiveAnchor>> {
        self.inner.archives(tenant).await
    }

    async fn add_archive(&self, anchor: &ArchiveAnchor) -> Result<bool> {
        self.inner.add_archive(anchor).await
    }

    async fn delete_archived(&self, tenant: &TenantId, through: i64) -> Result<u64> {
        self.inner.delete_archived(tenant, through).await
    }
}
