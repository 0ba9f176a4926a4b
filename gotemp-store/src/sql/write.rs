//! The common beginning and ending of every write.

use super::outbox::enqueue;
use super::{Bind, Dialect, SqlStore};
use crate::error::map_sqlx;
use gotemp_core::event::{ActionType, AuditEvent, Auditable, PendingEvent};
use gotemp_core::{Error, Result};
use sqlx::Transaction;

impl<D: Dialect> SqlStore<D> {
    /// Starts a write transaction the way the database wants it (SQLite takes its write lock up
    /// front, so a write waits its turn instead of failing half-way).
    pub(super) async fn begin_write(&self) -> Result<Transaction<'static, D>> {
        D::begin_write(&self.pool).await
    }

    /// Queues the completed event of `object` in the same transaction, commits both, and wakes
    /// this process's relay.
    pub(super) async fn commit<T: Auditable>(
        &self,
        tx: Transaction<'static, D>,
        object: T,
        event: PendingEvent,
    ) -> Result<T> {
        self.commit_event(tx, &event.complete(&object)).await?;
        Ok(object)
    }

    /// Queues `event` in the same transaction, commits both, and wakes this process's relay.
    /// Traced as the write's database span (operation and table, never values).
    pub(super) async fn commit_event(
        &self,
        mut tx: Transaction<'static, D>,
        event: &AuditEvent,
    ) -> Result<()> {
        use tracing::Instrument as _;
        let operation = match event.action_type {
            ActionType::Insert => "INSERT",
            ActionType::Update => "UPDATE",
            ActionType::Delete => "DELETE",
            ActionType::Access => "INSERT",
        };
        let span = tracing::info_span!(
            "db.write",
            otel.name = %format_args!("{operation} {}", event.object_name),
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.operation.name = operation,
            db.collection.name = %event.object_name,
        );
        async {
            enqueue(&mut tx, event).await?;
            tx.commit().await.map_err(map_sqlx)
        }
        .instrument(span)
        .await?;
        self.signal.notify_one();
        Ok(())
    }
}

/// After a guarded UPDATE/DELETE matched no row: the object is either gone (not found) or was
/// changed in between (stale version).
pub(super) async fn missing_or_stale<D: Dialect, I>(
    tx: &mut Transaction<'static, D>,
    table: &'static str,
    entity: &'static str,
    id: I,
    expected: i64,
) -> Error
where
    I: Into<super::Param> + std::fmt::Display + Clone + Send,
{
    let sql = format!("SELECT version AS n FROM {table} WHERE id = $1");
    match sqlx::query_as::<_, D::Number>(sqlx::AssertSqlSafe(sql))
        .arg(id.clone())
        .fetch_optional(D::on_connection(tx))
        .await
    {
        Ok(Some(_)) => Error::stale_version(entity, id, expected),
        Ok(None) => Error::not_found(entity, id),
        Err(e) => map_sqlx(e),
    }
}
