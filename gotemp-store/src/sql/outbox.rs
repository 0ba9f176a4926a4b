//! The transactional outbox: written inside every write's transaction, drained by relays that
//! lease rows (`claimed_until`) so several can share one outbox and a dead relay's rows return.

use super::{Bind, Dialect, Param, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::event::AuditEvent;
use gotemp_core::ports::{OutboxEntry, OutboxStore, SetAside};
use gotemp_core::values::TenantId;
use sqlx::{AssertSqlSafe, QueryBuilder, Transaction};
use std::time::Duration;

/// Writes `event` to the outbox inside the caller's transaction and, where the database can,
/// tells listening relays in other processes once it commits, in the same statement.
pub(super) async fn enqueue<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    event: &AuditEvent,
) -> Result<()> {
    const INSERT: &str = "INSERT INTO outbox (event_id, topic, payload, created_at, tenant_id) \
                          VALUES ($1, $2, $3, $4, $5)";
    let sql = match D::NOTIFY_IN_STATEMENT {
        Some(notify) => {
            format!("WITH queued AS ({INSERT} RETURNING 1) SELECT {notify} IS NULL FROM queued")
        }
        None => INSERT.to_owned(),
    };
    sqlx::query(AssertSqlSafe(sql))
        .arg(event.event_id)
        .arg(event.topic())
        .arg(Param::json(event))
        .arg(event.occurred_at)
        .arg(event.tenant.as_str())
        .execute(D::on_connection(tx))
        .await
        .map(drop)
        .map_err(map_sqlx)
}

/// The entries in publishing order (an UPDATE … RETURNING does not keep the subquery's order).
fn entries<R: Into<OutboxEntry>>(rows: Vec<R>) -> Vec<OutboxEntry> {
    let mut entries: Vec<OutboxEntry> = rows.into_iter().map(Into::into).collect();
    entries.sort_by_key(|e| e.position);
    entries
}

fn position_list<D: Dialect>(q: &mut QueryBuilder<D>, positions: &[i64]) {
    q.push(" position IN (");
    let mut list = q.separated(", ");
    for p in positions {
        list.push_arg(*p);
    }
    q.push(")");
}

#[async_trait]
impl<D: Dialect> OutboxStore for SqlStore<D> {
    async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<D::OutboxRow> = sqlx::query_as(
            "SELECT position, payload FROM outbox WHERE sent_at IS NULL ORDER BY position LIMIT $1",
        )
        .arg(i64::from(limit))
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::CrossTenant).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        Ok(entries(rows))
    }

    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<OutboxEntry>> {
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        let mut q = QueryBuilder::<D>::new("UPDATE outbox SET claimed_until = ");
        q.push_arg(until)
            .push(" WHERE position IN (SELECT position FROM outbox WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ")
            .push_arg(now)
            .push(") ORDER BY position LIMIT ")
            .push_arg(i64::from(limit))
            .push(D::SKIP_LOCKED)
            .push(") RETURNING position, payload");
        // The relay drains every tenant's events.
        let mut tx = self.begin_write(Scope::CrossTenant).await?;
        let rows: Vec<D::OutboxRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(entries(rows))
    }

    async fn mark_sent(&self, positions: &[i64]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<D>::new("UPDATE outbox SET sent_at = ");
        q.push_arg(Utc::now()).push(" WHERE sent_at IS NULL AND");
        position_list(&mut q, positions);
        self.execute_in(Scope::CrossTenant, q.build())
            .await
            .map(drop)
    }

    async fn release(&self, positions: &[i64]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<D>::new(
            "UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND",
        );
        position_list(&mut q, positions);
        self.execute_in(Scope::CrossTenant, q.build())
            .await
            .map(drop)
    }

    async fn prune_sent(&self, before: DateTime<Utc>) -> Result<u64> {
        let statement = sqlx::query(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1 AND failed_reason IS NULL",
        )
        .arg(before);
        self.execute_in(Scope::CrossTenant, statement).await
    }

    async fn backlog(&self) -> Result<u64> {
        let n: D::Number = sqlx::query_as("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
            .fetch_one(D::on_connection(
                &mut *self.reader(Scope::CrossTenant).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        Ok(u64::try_from(n.into()).unwrap_or(0))
    }

    fn claims_concurrently(&self) -> bool {
        // Relays skip each other's locked rows where the database lets writers work at once.
        !D::SKIP_LOCKED.is_empty()
    }

    async fn wait_for_new(&self, max_wait: Duration) {
        D::listen_for_other_writers(self).await;
        let _ = tokio::time::timeout(max_wait, self.signal.notified()).await;
    }

    async fn set_aside(&self, position: i64, reason: &str) -> Result<()> {
        // Marked sent, so no claim, backlog or lag query sees it; failed_reason keeps it.
        let statement = sqlx::query(
            "UPDATE outbox SET sent_at = $1, failed_at = $1, failed_reason = $2, \
             claimed_until = NULL WHERE position = $3",
        )
        .arg(Utc::now())
        .arg(reason.to_owned())
        .arg(position);
        self.execute_in(Scope::CrossTenant, statement)
            .await
            .map(drop)
    }

    async fn set_aside_events(&self, tenant: &TenantId, limit: u32) -> Result<Vec<SetAside>> {
        let rows: Vec<D::SetAsideRow> = sqlx::query_as(
            "SELECT position, payload, failed_reason, failed_at FROM outbox \
             WHERE failed_reason IS NOT NULL AND tenant_id = $1 ORDER BY position DESC LIMIT $2",
        )
        .arg(tenant.as_str())
        .arg(i64::from(limit))
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn set_aside_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        let q = "SELECT COUNT(*) AS n FROM outbox WHERE failed_reason IS NOT NULL";
        self.count_of(QueryBuilder::<D>::new(q), tenant.as_ref())
            .await
    }

    async fn requeue(&self, tenant: &TenantId, position: i64) -> Result<bool> {
        let statement = sqlx::query(
            "UPDATE outbox SET sent_at = NULL, failed_at = NULL, failed_reason = NULL, \
             claimed_until = NULL WHERE position = $1 AND tenant_id = $2 \
             AND failed_reason IS NOT NULL",
        )
        .arg(position)
        .arg(tenant.as_str());
        if self.execute_in(Scope::Tenant(tenant), statement).await? > 0 {
            self.signal.notify_one();
            return Ok(true);
        }
        Ok(false)
    }
}
