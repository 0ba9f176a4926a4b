//! The common ending of every write.

use super::{Db, Store, outbox::enqueue};
use crate::error::map_sqlx;
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::{Error, Result};
use sqlx::Transaction;

impl Store {
    /// Queues the completed event of `object` in the same transaction, commits both, and wakes
    /// this process's relay.
    pub(super) async fn commit<T: Auditable>(
        &self,
        mut tx: Transaction<'static, Db>,
        object: T,
        event: PendingEvent,
    ) -> Result<T> {
        enqueue(&mut tx, &event.complete(&object)).await?;
        tx.commit().await.map_err(map_sqlx)?;
        self.signal.notify_one();
        Ok(object)
    }
}

/// After a guarded UPDATE/DELETE matched no row: the object is either gone (not found) or was
/// changed in between (stale version).
pub(super) async fn missing_or_stale<I>(
    tx: &mut Transaction<'static, Db>,
    table: &'static str,
    entity: &'static str,
    id: I,
    expected: i64,
) -> Error
where
    I: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + std::fmt::Display + Clone + Send,
{
    let sql = format!("SELECT version FROM {table} WHERE id = $1");
    match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(id.clone())
        .fetch_optional(&mut **tx)
        .await
    {
        Ok(Some(_)) => Error::stale_version(entity, id, expected),
        Ok(None) => Error::not_found(entity, id),
        Err(e) => map_sqlx(e),
    }
}
