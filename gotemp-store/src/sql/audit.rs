use super::{Bind, Dialect, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use crate::sql::rows::audit_columns;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gotemp_core::Result;
use gotemp_core::audit_chain::{ArchiveAnchor, ChainHead, Checkpoint, Verifier};
use gotemp_core::entities::{AuditFilter, AuditRecord, BucketCount};
use gotemp_core::event::AuditEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::{AuditRepository, DeadLetter};
use gotemp_core::values::TenantId;
use sqlx::QueryBuilder;

/// Appends the tenant and the audit filters to a query whose WHERE clause is already open.
pub(crate) fn push_filter<D: Dialect>(q: &mut QueryBuilder<D>, tenant: &TenantId, f: &AuditFilter) {
    q.push(" AND tenant_id = ").push_arg(tenant.as_str());
    if let Some(v) = &f.object_name {
        q.push(" AND object_name = ").push_arg(v);
    }
    if let Some(v) = &f.object_id {
        q.push(" AND object_id = ").push_arg(v);
    }
    if let Some(v) = f.performed_by {
        q.push(" AND performed_by = ").push_arg(v);
    }
    if let Some(v) = &f.service {
        q.push(" AND service = ").push_arg(v);
    }
    if let Some(v) = f.action_type {
        q.push(" AND action_type = ").push_arg(v.as_str());
    }
    if let Some(v) = f.from {
        q.push(" AND action_time >= ").push_arg(v);
    }
    if let Some(v) = f.to {
        q.push(" AND action_time < ").push_arg(v);
    }
}

#[async_trait]
impl<D: Dialect> AuditRepository for SqlStore<D> {
    async fn record(&self, event: &AuditEvent, recorded_at: DateTime<Utc>) -> Result<bool> {
        let one = std::slice::from_ref(event);
        let stored = self.append_audit(Scope::Tenant(&event.tenant), one, recorded_at);
        Ok(stored.await? == 1)
    }

    async fn record_batch(&self, events: &[AuditEvent], recorded_at: DateTime<Utc>) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        // A batch holds the events of every tenant the consumer drains.
        self.append_audit(Scope::CrossTenant, events, recorded_at)
            .await
    }

    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<AuditRecord>> {
        let row: Option<D::AuditRow> = sqlx::query_as(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE tenant_id = $1 AND id = $2"
        ))
        .arg(tenant.as_str())
        .arg(id)
        .fetch_optional(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
        page: &PageSpec,
    ) -> Result<Page<AuditRecord>> {
        let mut q = QueryBuilder::<D>::new(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE 1 = 1"
        ));
        push_filter(&mut q, tenant, filter);
        if let Some((t, id)) = page.after_time()? {
            q.push(" AND (action_time < ")
                .push_arg(t)
                .push(" OR (action_time = ")
                .push_arg(t)
                .push(" AND id < ")
                .push_arg(id)
                .push("))");
        }
        q.push(" ORDER BY action_time DESC, id DESC LIMIT ")
            .push_arg(page.fetch_limit());
        let rows: Vec<D::AuditRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(
                &mut *self.reader(Scope::Tenant(tenant)).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        let items = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>>>()?;
        Ok(page.into_page(items, |r: &AuditRecord| {
            Cursor::TimeDesc(r.action_time, r.id)
        }))
    }

    async fn park(&self, letter: &DeadLetter) -> Result<()> {
        // The consumer parks what it cannot record, of any tenant (or of none it can trust).
        let mut tx = self.begin_write(Scope::CrossTenant).await?;
        sqlx::query(
            "INSERT INTO audit_dead_letters (event_id, subject, payload, reason, attempts, failed_at, \
             tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .arg(letter.event_id)
        .arg(&letter.subject)
        .arg(&letter.payload)
        .arg(&letter.reason)
        .arg(i64::from(letter.attempts))
        .arg(letter.failed_at)
        .arg(letter.tenant.as_str())
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        if letter.event_id.is_some() {
            return tx.commit().await.map_err(map_sqlx);
        }
        // Bounded: a flood of forged messages drops the oldest of its kind, nothing else.
        sqlx::query(
            "DELETE FROM audit_dead_letters WHERE event_id IS NULL AND id NOT IN \
             (SELECT id FROM audit_dead_letters WHERE event_id IS NULL ORDER BY id DESC LIMIT $1)",
        )
        .arg(gotemp_core::ports::MAX_UNVERIFIED_DEAD_LETTERS)
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        tx.commit().await.map_err(map_sqlx)
    }

    async fn dead_letters(&self, tenant: &TenantId, limit: u32) -> Result<Vec<DeadLetter>> {
        let rows: Vec<D::DeadLetterRow> = sqlx::query_as(
            "SELECT id, event_id, subject, payload, reason, attempts, failed_at, tenant_id \
             FROM audit_dead_letters WHERE tenant_id = $1 ORDER BY failed_at DESC, id DESC LIMIT $2",
        )
        .arg(tenant.as_str())
        .arg(i64::from(limit))
        .fetch_all(D::on_connection(&mut *self.reader(Scope::Tenant(tenant)).await?))
        .await
        .map_err(map_sqlx)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn dead_letter(&self, tenant: &TenantId, id: i64) -> Result<Option<DeadLetter>> {
        let row: Option<D::DeadLetterRow> = sqlx::query_as(
            "SELECT id, event_id, subject, payload, reason, attempts, failed_at, tenant_id \
             FROM audit_dead_letters WHERE tenant_id = $1 AND id = $2",
        )
        .arg(tenant.as_str())
        .arg(id)
        .fetch_optional(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        Ok(row.map(Into::into))
    }

    async fn remove_dead_letter(&self, tenant: &TenantId, id: i64) -> Result<bool> {
        let statement =
            sqlx::query("DELETE FROM audit_dead_letters WHERE tenant_id = $1 AND id = $2")
                .arg(tenant.as_str())
                .arg(id);
        Ok(self.execute_in(Scope::Tenant(tenant), statement).await? == 1)
    }

    async fn dead_letter_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        let q = "SELECT COUNT(*) AS n FROM audit_dead_letters WHERE 1 = 1";
        self.count_of(QueryBuilder::<D>::new(q), tenant.as_ref())
            .await
    }

    async fn count_by_bucket(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>> {
        D::bucket_counts(self, tenant, filter, width).await
    }

    async fn chain(
        &self,
        tenant: &TenantId,
        from_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        self.chain_records(tenant, from_seq, limit).await
    }

    async fn chain_head(&self, tenant: &TenantId) -> Result<Option<ChainHead>> {
        Ok(self.chain_heads_of(Some(tenant)).await?.pop())
    }

    async fn unsigned_heads(&self) -> Result<Vec<ChainHead>> {
        self.chain_heads_of(None).await
    }

    async fn add_checkpoint(&self, checkpoint: &Checkpoint, previous_size: i64) -> Result<bool> {
        self.keep_checkpoint(checkpoint, previous_size).await
    }

    async fn checkpoint(&self, tenant: &TenantId, size: Option<i64>) -> Result<Option<Checkpoint>> {
        let range = size.map_or((0, i64::MAX), |n| (n, n));
        Ok(self.checkpoints_of(tenant, range, 1, true).await?.pop())
    }

    async fn checkpoints(&self, tenant: &TenantId, from: i64, to: i64) -> Result<Vec<Checkpoint>> {
        self.checkpoints_of(tenant, (from, to), 1_000, false).await
    }

    async fn register_key(&self, verifier: &Verifier) -> Result<()> {
        let statement = sqlx::query(
            "INSERT INTO audit_keys (key_id, verifier, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (verifier) DO NOTHING",
        )
        .arg(verifier.key_id())
        .arg(verifier.to_string())
        .arg(gotemp_core::values::now());
        self.execute_in(Scope::CrossTenant, statement)
            .await
            .map(drop)
    }

    async fn keys(&self) -> Result<Vec<Verifier>> {
        let rows: Vec<D::NoteRow> = sqlx::query_as(
            "SELECT verifier AS note FROM audit_keys ORDER BY created_at, key_id LIMIT 100",
        )
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::CrossTenant).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        // A row that is no key (written behind gotemp's back) verifies nothing: said, skipped.
        let keys = rows.into_iter().filter_map(|row| {
            let text: String = row.into();
            Verifier::parse(&text)
                .inspect_err(|e| tracing::warn!(error = %e, "a registered audit key is unreadable"))
                .ok()
        });
        Ok(keys.collect())
    }

    async fn chains(&self) -> Result<Vec<ChainHead>> {
        self.all_chains().await
    }

    async fn checkpoint_before(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>> {
        self.last_checkpoint_before(tenant, before).await
    }

    async fn archive_anchor(&self, tenant: &TenantId) -> Result<Option<ArchiveAnchor>> {
        Ok(self.archives_of(tenant, 1).await?.pop())
    }

    async fn archives(&self, tenant: &TenantId) -> Result<Vec<ArchiveAnchor>> {
        self.archives_of(tenant, 100_000).await
    }

    async fn add_archive(&self, anchor: &ArchiveAnchor) -> Result<bool> {
        self.keep_archive(anchor).await
    }

    async fn delete_archived(&self, tenant: &TenantId, through: i64) -> Result<u64> {
        self.delete_archived_records(tenant, through).await
    }

    fn storage_kind(&self) -> &'static str {
        D::audit_storage(self)
    }
}
