//! The transactional outbox: written inside every write's transaction, drained by relays that
//! lease rows (`claimed_until`) so several can share one outbox and a dead relay's rows return.

use super::{Db, OUTBOX_NOTIFY, SKIP_LOCKED, Store, db_time};
use crate::error::map_sqlx;
use crate::rows::OutboxRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::{OutboxEntry, OutboxStore};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Transaction};
use std::time::Duration;

/// Writes `event` to the outbox inside the caller's transaction (and, where the database can,
/// tells listening relays in other processes once it commits).
pub(super) async fn enqueue(tx: &mut Transaction<'static, Db>, event: &AuditEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(event.event_id)
    .bind(event.topic())
    .bind(Json(event))
    .bind(db_time(event.occurred_at))
    .execute(&mut **tx)
    .await
    .map_err(map_sqlx)?;
    if let Some(notify) = OUTBOX_NOTIFY {
        sqlx::query(notify)
            .execute(&mut **tx)
            .await
            .map_err(map_sqlx)?;
    }
    Ok(())
}

fn entries(mut rows: Vec<OutboxRow>) -> Vec<OutboxEntry> {
    rows.sort_by_key(|r| r.position);
    rows.into_iter()
        .map(|r| OutboxEntry {
            position: r.position,
            event: r.payload.0,
        })
        .collect()
}

fn position_list(q: &mut QueryBuilder<Db>, positions: &[i64]) {
    q.push(" position IN (");
    let mut list = q.separated(", ");
    for p in positions {
        list.push_bind(*p);
    }
    q.push(")");
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
        Ok(entries(rows))
    }

    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<OutboxEntry>> {
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        let mut q = QueryBuilder::<Db>::new("UPDATE outbox SET claimed_until = ");
        q.push_bind(db_time(until))
            .push(" WHERE position IN (SELECT position FROM outbox WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ")
            .push_bind(db_time(now))
            .push(") ORDER BY position LIMIT ")
            .push_bind(i64::from(limit))
            .push(SKIP_LOCKED)
            .push(") RETURNING position, payload");
        let rows: Vec<OutboxRow> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(entries(rows))
    }

    async fn mark_sent(&self, positions: &[i64]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE outbox SET sent_at = ");
        q.push_bind(db_time(Utc::now()))
            .push(" WHERE sent_at IS NULL AND");
        position_list(&mut q, positions);
        q.build()
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_sqlx)
    }

    async fn release(&self, positions: &[i64]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<Db>::new(
            "UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND",
        );
        position_list(&mut q, positions);
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

    async fn backlog(&self) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn wait_for_new(&self, max_wait: Duration) {
        self.listen_for_other_writers().await;
        let _ = tokio::time::timeout(max_wait, self.signal.notified()).await;
    }
}
