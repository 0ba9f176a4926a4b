//! The common beginning and ending of every write.

use super::outbox::enqueue;
use super::{Bind, Dialect, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use gotemp_core::event::{ActionType, AuditEvent, Auditable, PendingEvent};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::Transaction;

impl<D: Dialect> SqlStore<D> {
    /// Starts a write transaction in `scope` the way the database wants it (SQLite takes its
    /// write lock up front, so a write waits its turn instead of failing half-way).
    pub(super) async fn begin_write(&self, scope: Scope<'_>) -> Result<Transaction<'static, D>> {
        D::begin_write(&self.pool, scope).await
    }

    /// A connection that reads the rows of `scope`.
    pub(super) async fn reader(&self, scope: Scope<'_>) -> Result<D::Reader> {
        D::begin_read(&self.pool, scope).await
    }

    /// The `COUNT(*) AS n` that `q` (its WHERE begun) selects, of `tenant`'s rows, or of every
    /// tenant's (the metrics' view across tenants) with `None`.
    pub(super) async fn count_of(
        &self,
        mut q: sqlx::QueryBuilder<D>,
        tenant: Option<&TenantId>,
    ) -> Result<u64> {
        let scope = match tenant {
            Some(tenant) => {
                q.push(" AND tenant_id = ").push_arg(tenant.as_str());
                Scope::Tenant(tenant)
            }
            None => Scope::CrossTenant,
        };
        let mut reader = self.reader(scope).await?;
        let n = q.build_query_as().fetch_one(D::on_connection(&mut *reader));
        let n: D::Number = n.await.map_err(map_sqlx)?;
        Ok(u64::try_from(n.into()).unwrap_or(0))
    }

    /// Runs one writing statement in `scope` and commits it; how many rows it wrote.
    pub(super) async fn execute_in<'q>(
        &self,
        scope: Scope<'_>,
        statement: sqlx::query::Query<'q, D, <D as sqlx::Database>::Arguments>,
    ) -> Result<u64> {
        let mut tx = self.begin_write(scope).await?;
        let done = statement
            .execute(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(D::rows_affected(&done))
    }

    /// Queues the completed event of `object` in the same transaction, commits both, and wakes
    /// this process's relay.
    pub(super) async fn commit<T: Auditable>(
        &self,
        tx: Transaction<'static, D>,
        object: T,
        event: PendingEvent,
    ) -> Result<T> {
        self.commit_event(tx, &event.complete(&object)?).await?;
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
        async {
            enqueue(&mut tx, event).await?;
            tx.commit().await.map_err(map_sqlx)
        }
        .instrument(write_span::<D>(event))
        .await?;
        self.signal.notify_one();
        Ok(())
    }

    /// On a database that can (PostgreSQL), `write` — an INSERT or a version-guarded UPDATE,
    /// `RETURNING columns`, with `params` parameters — and the outbox INSERT of its event as one
    /// statement: one round trip for both, in the transaction that carries the tenant's scope.
    /// The event's five parameters follow the write's. `None` where the database cannot.
    pub(super) fn with_event_sql(write: &str, columns: &str, params: usize) -> Option<String> {
        let notify = D::NOTIFY_IN_STATEMENT?;
        let p = |n: usize| params + n;
        Some(format!(
            "WITH written AS ({write}), queued AS (INSERT INTO outbox (event_id, topic, payload, \
             created_at, tenant_id) SELECT ${}, ${}, ${}, ${}, ${} FROM written) \
             SELECT {columns}, {notify} IS NULL AS notified FROM written",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5)
        ))
    }
}

/// The database span of a write (operation and table, never values).
pub(super) fn write_span<D: Dialect>(event: &AuditEvent) -> tracing::Span {
    let operation = match event.action_type {
        ActionType::Insert => "INSERT",
        ActionType::Update => "UPDATE",
        ActionType::Delete => "DELETE",
        ActionType::Access => "INSERT",
    };
    tracing::info_span!(
        "db.write",
        otel.name = %format_args!("{operation} {}", event.object_name),
        otel.kind = "client",
        db.system.name = D::SYSTEM,
        db.operation.name = operation,
        db.collection.name = %event.object_name,
    )
}

/// After a guarded UPDATE/DELETE matched no row: the object is either gone (not found, also
/// when it is another tenant's) or was changed in between (stale version).
pub(super) async fn missing_or_stale<'e, D: Dialect, I>(
    db: impl sqlx::Executor<'e, Database = D>,
    (table, entity): (&'static str, &'static str),
    tenant: &TenantId,
    id: I,
    expected: i64,
) -> Error
where
    I: Into<super::Param> + std::fmt::Display + Clone + Send,
{
    let sql = format!("SELECT version AS n FROM {table} WHERE tenant_id = $1 AND id = $2");
    match sqlx::query_as::<_, D::Number>(sqlx::AssertSqlSafe(sql))
        .arg(tenant.as_str())
        .arg(id.clone())
        .fetch_optional(db)
        .await
    {
        Ok(Some(_)) => Error::stale_version(entity, id, expected),
        Ok(None) => Error::not_found(entity, id),
        Err(e) => map_sqlx(e),
    }
}
