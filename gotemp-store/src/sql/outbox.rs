//! Shared by the SQL stores: this file is compiled once inside `sqlite` and once inside
//! `postgres` (`#[path]` modules), against that backend's `Store`, `Db`, `DbTime` and
//! `db_time` — the SQL and the row mapping are the same, only the driver differs.

use super::{Db, Store, db_time};
use crate::error::map_sqlx;
use crate::rows::OutboxRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::{OutboxEntry, OutboxStore};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Transaction};

/// Writes `event` to the outbox inside the caller's transaction.
pub(super) async fn enqueue(tx: &mut Transaction<'static, Db>, event: &AuditEvent) -> Result<()> {
    sqlx::query("INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4)")
        .bind(event.event_id)
        .bind(event.topic())
        .bind(Json(event))
        .bind(db_time(event.occurred_at))
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(map_sqlx)
}

#[async_trait]
impl OutboxStore for Store {
    async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT position, payload FROM outbox WHERE sent_at IS NULL ORDER BY position LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_sqlx)?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxEntry {
                position: r.position,
                event: r.payload.0,
            })
            .collect())
    }

    async fn mark_sent(&self, positions: &[i64]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE outbox SET sent_at = ");
        q.push_bind(db_time(Utc::now()))
            .push(" WHERE sent_at IS NULL AND position IN (");
        let mut list = q.separated(", ");
        for p in positions {
            list.push_bind(*p);
        }
        q.push(")");
        q.build()
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_sqlx)
    }

    async fn prune_sent(&self, before: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(db_time(before))
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_sqlx)
    }
}
