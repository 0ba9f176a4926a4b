//! The audit trail's archives on SQL ([`gotemp_core::audit_chain::archive`]): the anchors they
//! leave, the checkpoint an archive ends at, and the one path that deletes records.

use super::row::row;
use super::rows::StoredTime;
use super::{Bind, Dialect, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::audit_chain::{ArchiveAnchor, ChainHead, Checkpoint};
use gotemp_core::values::TenantId;

/// On TimescaleDB, the chunks wholly older than the oldest record kept hold only records that
/// were archived and deleted: dropped whole, so their space is free at once (not left to
/// vacuum). Only the hypertable's owner may drop chunks: under another role the rows are gone
/// and the empty chunks wait for a round run by the owner (`gotemp audit archive`).
/// Inserts wait meanwhile: one that lands in an old chunk (an event replayed long after it
/// happened) is then either seen by `min` or lands after the drop, in a chunk of its own.
const DROP_ARCHIVED_CHUNKS: &str = "DO $$ DECLARE oldest timestamptz; BEGIN \
     IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'audit_records'::regclass), \
     'USAGE') THEN RETURN; END IF; \
     LOCK TABLE audit_records IN SHARE ROW EXCLUSIVE MODE; \
     SELECT min(action_time) INTO oldest FROM audit_records; \
     IF oldest IS NOT NULL THEN PERFORM drop_chunks('audit_records', older_than => oldest); END IF; \
     END $$";

impl<D: Dialect> SqlStore<D> {
    /// Every chain's head, by tenant.
    pub(super) async fn all_chains(&self) -> Result<Vec<ChainHead>> {
        let rows: Vec<D::ChainHeadRow> = sqlx::query_as(
            "SELECT tenant_id, size, hash, checkpoint_size, checkpoint_at FROM audit_chains \
             ORDER BY tenant_id",
        )
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::CrossTenant).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// `tenant`'s latest checkpoint signed before `before`.
    pub(super) async fn last_checkpoint_before(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>> {
        let rows: Vec<D::NoteRow> = sqlx::query_as(
            "SELECT note FROM audit_checkpoints WHERE tenant_id = $1 AND created_at < $2 \
             ORDER BY size DESC LIMIT 1",
        )
        .arg(tenant.as_str())
        .arg(before)
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let note: String = row.into();
        Checkpoint::read(&note).map(Some).map_err(|e| {
            gotemp_core::Error::internal(format!("a stored checkpoint is unreadable: {e}"))
        })
    }

    /// `tenant`'s archives, the latest `limit` of them, by seq.
    pub(super) async fn archives_of(
        &self,
        tenant: &TenantId,
        limit: i64,
    ) -> Result<Vec<ArchiveAnchor>> {
        let rows: Vec<D::ArchiveRow> = sqlx::query_as(
            "SELECT tenant_id, from_seq, to_seq, last_hash, checkpoint, manifest_sha256, \
             archived_at, note FROM audit_archives WHERE tenant_id = $1 \
             ORDER BY to_seq DESC LIMIT $2",
        )
        .arg(tenant.as_str())
        .arg(limit)
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        Ok(rows.into_iter().rev().map(Into::into).collect())
    }

    /// Keeps `anchor` if it continues the latest kept one; whether it did. The chain's head row
    /// is locked first, so two archivers of one tenant keep their anchors one after the other.
    pub(super) async fn keep_archive(&self, anchor: &ArchiveAnchor) -> Result<bool> {
        let tenant = &anchor.tenant;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        super::chain::lock_chain(&mut tx, tenant, gotemp_core::values::now()).await?;
        let done = sqlx::query(
            "INSERT INTO audit_archives (tenant_id, from_seq, to_seq, last_hash, checkpoint, \
             manifest_sha256, archived_at, note) SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
             WHERE (SELECT COALESCE(MAX(to_seq), 0) FROM audit_archives WHERE tenant_id = $9) \
             = $10 ON CONFLICT (tenant_id, to_seq) DO NOTHING",
        )
        .arg(tenant.as_str())
        .arg(anchor.from_seq)
        .arg(anchor.to_seq)
        .arg(&anchor.last_hash)
        .arg(&anchor.checkpoint)
        .arg(&anchor.manifest_sha256)
        .arg(anchor.archived_at)
        .arg(&anchor.note)
        .arg(tenant.as_str())
        .arg(anchor.from_seq - 1)
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(D::rows_affected(&done) == 1)
    }

    /// Deletes `tenant`'s records up to `through`, never past its latest archive, on the
    /// trail's maintenance path; on TimescaleDB, then drops the chunks left empty.
    pub(super) async fn delete_archived_records(
        &self,
        tenant: &TenantId,
        through: i64,
    ) -> Result<u64> {
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        super::chain::enter_maintenance::<D>(&mut tx, "archive").await?;
        let done = sqlx::query(
            "DELETE FROM audit_records WHERE tenant_id = $1 AND seq <= $2 AND seq <= \
             (SELECT COALESCE(MAX(to_seq), 0) FROM audit_archives WHERE tenant_id = $3)",
        )
        .arg(tenant.as_str())
        .arg(through)
        .arg(tenant.as_str())
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        super::chain::leave_maintenance::<D>(&mut tx).await?;
        tx.commit().await.map_err(map_sqlx)?;
        let deleted = D::rows_affected(&done);
        if deleted > 0 && D::audit_storage(self) == "hypertable" {
            let drop = sqlx::query(DROP_ARCHIVED_CHUNKS);
            self.execute_in(Scope::CrossTenant, drop).await?;
        }
        Ok(deleted)
    }
}

row! {
    /// A row of `audit_archives`.
    pub struct ArchiveRow<T> {
        pub tenant_id: String,
        pub from_seq: i64,
        pub to_seq: i64,
        pub last_hash: String,
        pub checkpoint: String,
        pub manifest_sha256: String,
        pub archived_at: T,
        pub note: String,
    }
}

impl<T: StoredTime> From<ArchiveRow<T>> for ArchiveAnchor {
    fn from(r: ArchiveRow<T>) -> Self {
        ArchiveAnchor {
            tenant: TenantId::from_store(r.tenant_id),
            from_seq: r.from_seq,
            to_seq: r.to_seq,
            last_hash: r.last_hash,
            checkpoint: r.checkpoint,
            manifest_sha256: r.manifest_sha256,
            archived_at: r.archived_at.utc(),
            note: r.note,
        }
    }
}
