//! The audit trail's signed checkpoints on SQL: kept in turn, read back as signed.

use super::row::row;
use super::{Bind, Dialect, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use gotemp_core::Result;
use gotemp_core::audit_chain::Checkpoint;
use gotemp_core::values::TenantId;
use sqlx::QueryBuilder;

impl<D: Dialect> SqlStore<D> {
    /// Keeps `checkpoint` if its tenant's latest is still `previous_size`.
    pub(super) async fn keep_checkpoint(
        &self,
        cp: &Checkpoint,
        previous_size: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write(Scope::Tenant(&cp.tenant)).await?;
        let moved = sqlx::query(
            "UPDATE audit_chains SET checkpoint_size = $1, checkpoint_at = $2 \
             WHERE tenant_id = $3 AND checkpoint_size = $4 AND size >= $1 AND $1 > $4",
        )
        .arg(cp.size)
        .arg(cp.time)
        .arg(cp.tenant.as_str())
        .arg(previous_size)
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        if D::rows_affected(&moved) != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO audit_checkpoints (tenant_id, size, hash, created_at, note) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(cp.tenant.as_str())
        .arg(cp.size)
        .arg(&cp.hash)
        .arg(cp.time)
        .arg(&cp.note)
        .execute(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(true)
    }

    /// `tenant`'s checkpoints of `from` to `to` records, at most `limit`, latest first with
    /// `latest`, else by size.
    pub(super) async fn checkpoints_of(
        &self,
        tenant: &TenantId,
        (from, to): (i64, i64),
        limit: i64,
        latest: bool,
    ) -> Result<Vec<Checkpoint>> {
        let mut q = QueryBuilder::<D>::new("SELECT note FROM audit_checkpoints WHERE tenant_id = ");
        q.push_arg(tenant.as_str())
            .push(" AND size >= ")
            .push_arg(from)
            .push(" AND size <= ")
            .push_arg(to)
            .push(match latest {
                true => " ORDER BY size DESC LIMIT ",
                false => " ORDER BY size LIMIT ",
            })
            .push_arg(limit);
        let rows: Vec<D::NoteRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(
                &mut *self.reader(Scope::Tenant(tenant)).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        rows.into_iter()
            .map(|row| {
                let note: String = row.into();
                Checkpoint::read(&note).map_err(|e| {
                    gotemp_core::Error::internal(format!("a stored checkpoint is unreadable: {e}"))
                })
            })
            .collect()
    }
}

row! {
    /// A stored checkpoint's note.
    pub struct NoteRow {
        pub note: String,
    }
}

impl From<NoteRow> for String {
    fn from(r: NoteRow) -> Self {
        r.note
    }
}
