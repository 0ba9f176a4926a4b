//! The audit trail's hash chain on SQL ([`gotemp_core::audit_chain`]): appending records to
//! their tenants' chains, one writer per chain, chaining records stored before the chain
//! existed, and keeping checkpoints.

use super::row::row;
use super::rows::{StoredTime, audit_columns};
use super::{Bind, Dialect, Param, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::audit_chain::{ChainHead, Link, event_hash, record_hash};
use gotemp_core::entities::AuditRecord;
use gotemp_core::event::AuditEvent;
use gotemp_core::values::{TenantId, truncate_to_micros};
use sqlx::{QueryBuilder, Transaction};
use std::collections::{HashMap, HashSet};

/// The most audit rows one statement inserts (2,048 parameters), or event ids one asks for:
/// larger statements are no faster on PostgreSQL, and PGlite (TimescaleDB in WebAssembly, the
/// test server) fails on larger ones (at 208 chained rows).
const MAX_STATEMENT_ROWS: usize = 128;

/// Rows in the next batch statement: [`MAX_STATEMENT_ROWS`] at most, else the largest power of
/// two that fits. Batches arrive in every size; cutting them into a handful of shapes lets the
/// driver reuse nine prepared statements instead of preparing one per size, which on PostgreSQL
/// costs a round trip per new size.
fn batch_statement_rows(remaining: usize) -> usize {
    if remaining >= MAX_STATEMENT_ROWS {
        MAX_STATEMENT_ROWS
    } else {
        1 << remaining.ilog2()
    }
}

/// Records a transaction of the chain reads or chains at most at once.
const CHAIN_BATCH: i64 = 500;

impl<D: Dialect> SqlStore<D> {
    /// Stores the events not stored yet in `scope`, each at the end of its tenant's chain, in one
    /// transaction; how many were new. The chains' head rows are locked first, in tenant order
    /// (so two consumers never wait on each other in a circle), and only then is it asked which
    /// events are stored already: an event belongs to one tenant, so no other transaction can
    /// store it meanwhile, and a redelivered event neither forks the chain nor leaves a gap.
    pub(super) async fn append_audit(
        &self,
        scope: Scope<'_>,
        events: &[AuditEvent],
        recorded_at: DateTime<Utc>,
    ) -> Result<u64> {
        let recorded_at = truncate_to_micros(recorded_at);
        let mut once = HashSet::new();
        let events: Vec<&AuditEvent> = events.iter().filter(|e| once.insert(e.event_id)).collect();
        let mut tenants: Vec<&TenantId> = events.iter().map(|e| &e.tenant).collect();
        tenants.sort();
        tenants.dedup();
        let mut tx = self.begin_write(scope).await?;
        let mut heads = HashMap::new();
        for tenant in tenants {
            heads.insert(tenant, lock_chain(&mut tx, tenant, recorded_at).await?);
        }
        let stored = stored_events(&mut tx, &events).await?;
        let mut fresh = Vec::with_capacity(events.len());
        for event in events.into_iter().filter(|e| !stored.contains(&e.event_id)) {
            let Some(head) = heads.get_mut(&event.tenant) else {
                continue; // every event's tenant was locked above
            };
            *head = head.next(event_hash(event, recorded_at, &head.hash));
            fresh.push((event, head.clone()));
        }
        let mut rest = fresh.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(batch_statement_rows(rest.len()));
            rest = tail;
            insert_chained(D::on_connection(&mut tx), chunk, recorded_at).await?;
        }
        for (tenant, head) in &heads {
            set_head(&mut tx, tenant, head, recorded_at).await?;
        }
        tx.commit().await.map_err(map_sqlx)?;
        Ok(fresh.len() as u64)
    }

    /// Chains the records stored without a link (before the chain existed, or by a release
    /// without it), oldest first, at the end of their tenants' chains; how many. Cheap when
    /// there are none: a partial index holds only such records.
    pub(crate) async fn chain_unchained(&self) -> Result<u64> {
        let mut chained = 0;
        loop {
            // Which tenant has some, read across tenants; chained in that tenant's own scope,
            // by the tables' owner (the serving roles may not change stored records).
            let rows: Vec<D::TenantKeyRow> =
                sqlx::query_as("SELECT tenant_id FROM audit_records WHERE hash IS NULL LIMIT 1")
                    .fetch_all(D::on_connection(
                        &mut *self.reader(Scope::CrossTenant).await?,
                    ))
                    .await
                    .map_err(map_sqlx)?;
            let Some(tenant) = rows.into_iter().next().map(Into::<TenantId>::into) else {
                return Ok(chained);
            };
            let mut tx = self.begin_write(Scope::Tenant(&tenant)).await?;
            enter_maintenance::<D>(&mut tx, "chain").await?;
            let now = gotemp_core::values::now();
            let mut head = lock_chain(&mut tx, &tenant, now).await?;
            let records: Vec<D::AuditRow> = sqlx::query_as(concat!(
                "SELECT ",
                audit_columns!(),
                " FROM audit_records WHERE tenant_id = $1 AND hash IS NULL \
                 ORDER BY action_time, id LIMIT $2"
            ))
            .arg(tenant.as_str())
            .arg(CHAIN_BATCH)
            .fetch_all(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
            for row in records {
                let mut record: AuditRecord = row.try_into()?;
                record.prev_hash = head.hash.clone();
                head = head.next(record_hash(&tenant, &record));
                let done = sqlx::query(
                    "UPDATE audit_records SET seq = $1, prev_hash = $2, hash = $3 \
                     WHERE id = $4 AND action_time = $5",
                )
                .arg(head.seq)
                .arg(&head.prev_hash)
                .arg(&head.hash)
                .arg(record.id)
                .arg(record.action_time)
                .execute(D::on_connection(&mut tx))
                .await
                .map_err(map_sqlx)?;
                if D::rows_affected(&done) != 1 {
                    return Err(gotemp_core::Error::internal(format!(
                        "chaining audit record {} of {tenant} changed no row",
                        record.id
                    )));
                }
                chained += 1;
            }
            set_head(&mut tx, &tenant, &head, now).await?;
            leave_maintenance::<D>(&mut tx).await?;
            tx.commit().await.map_err(map_sqlx)?;
        }
    }

    /// `tenant`'s records from `from_seq` on, in seq order.
    pub(super) async fn chain_records(
        &self,
        tenant: &TenantId,
        from_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        let rows: Vec<D::AuditRow> = sqlx::query_as(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
        ))
        .arg(tenant.as_str())
        .arg(from_seq)
        .arg(i64::from(limit))
        .fetch_all(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map_err(map_sqlx)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Heads: `tenant`'s, or with `None` every chain's that grew since its latest checkpoint.
    pub(super) async fn chain_heads_of(&self, tenant: Option<&TenantId>) -> Result<Vec<ChainHead>> {
        let mut q = QueryBuilder::<D>::new(
            "SELECT tenant_id, size, hash, checkpoint_size, checkpoint_at FROM audit_chains WHERE ",
        );
        let scope = match tenant {
            Some(tenant) => {
                q.push("tenant_id = ").push_arg(tenant.as_str());
                Scope::Tenant(tenant)
            }
            None => {
                q.push("size > checkpoint_size ORDER BY tenant_id");
                Scope::CrossTenant
            }
        };
        let rows: Vec<D::ChainHeadRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(&mut *self.reader(scope).await?))
            .await
            .map_err(map_sqlx)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// Locks `tenant`'s chain for this transaction (creating it empty on its first record) and
/// reads its head. The row lock is the single writer: a second transaction extending the same
/// chain waits here until the first commits, then reads the head the first left.
pub(super) async fn lock_chain<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    tenant: &TenantId,
    now: DateTime<Utc>,
) -> Result<Link> {
    let empty = Link::empty();
    let row: D::ChainHeadRow = sqlx::query_as(
        "INSERT INTO audit_chains (tenant_id, size, hash, updated_at) VALUES ($1, 0, $2, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = excluded.tenant_id \
         RETURNING tenant_id, size, hash, checkpoint_size, checkpoint_at",
    )
    .arg(tenant.as_str())
    .arg(&empty.hash)
    .arg(now)
    .fetch_one(D::on_connection(tx))
    .await
    .map_err(map_sqlx)?;
    let head: ChainHead = row.into();
    Ok(Link {
        seq: head.size,
        prev_hash: String::new(),
        hash: head.hash,
    })
}

/// Moves `tenant`'s head (locked by [`lock_chain`]) to `head`.
async fn set_head<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    tenant: &TenantId,
    head: &Link,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE audit_chains SET size = $1, hash = $2, updated_at = $3 WHERE tenant_id = $4",
    )
    .arg(head.seq)
    .arg(&head.hash)
    .arg(now)
    .arg(tenant.as_str())
    .execute(D::on_connection(tx))
    .await
    .map_err(map_sqlx)?;
    Ok(())
}

/// Says this transaction is one of gotemp's own paths past the trail's insert-only triggers:
/// `chain` (linking unchained records) or `archive` (deleting archived records, purging).
pub(super) async fn enter_maintenance<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    mode: &'static str,
) -> Result<()> {
    sqlx::query(D::AUDIT_MAINTENANCE_ON)
        .arg(mode)
        .execute(D::on_connection(tx))
        .await
        .map_err(map_sqlx)?;
    Ok(())
}

/// Undoes [`enter_maintenance`] before the commit where it would outlive the transaction.
pub(super) async fn leave_maintenance<D: Dialect>(tx: &mut Transaction<'static, D>) -> Result<()> {
    if let Some(off) = D::AUDIT_MAINTENANCE_OFF {
        sqlx::query(off)
            .execute(D::on_connection(tx))
            .await
            .map_err(map_sqlx)?;
    }
    Ok(())
}

/// Which of `events` are stored already (by event id, in any tenant).
async fn stored_events<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    events: &[&AuditEvent],
) -> Result<HashSet<uuid::Uuid>> {
    let mut stored = HashSet::new();
    for chunk in events.chunks(MAX_STATEMENT_ROWS) {
        let mut q =
            QueryBuilder::<D>::new("SELECT event_id FROM audit_records WHERE event_id IN (");
        let mut list = q.separated(", ");
        for event in chunk {
            list.push_arg(event.event_id);
        }
        q.push(")");
        let rows: Vec<D::EventIdRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(tx))
            .await
            .map_err(map_sqlx)?;
        stored.extend(rows.into_iter().map(Into::<uuid::Uuid>::into));
    }
    Ok(stored)
}

/// One `INSERT` of `rows`, each with its link (at most [`MAX_STATEMENT_ROWS`]).
async fn insert_chained<'e, D: Dialect>(
    db: impl sqlx::Executor<'e, Database = D>,
    rows: &[(&AuditEvent, Link)],
    recorded_at: DateTime<Utc>,
) -> Result<u64> {
    let mut q = QueryBuilder::<D>::new(
        "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
         action_type, object_name, object_id, performed_by, object_detail, trace_id, tenant_id, \
         seq, prev_hash, hash) ",
    );
    q.push_values(rows, |mut row, (e, link)| {
        row.push_arg(e.event_id)
            .push_arg(truncate_to_micros(e.occurred_at))
            .push_arg(recorded_at)
            .push_arg(e.topic())
            .push_arg(&e.service)
            .push_arg(&e.action_func)
            .push_arg(e.action_type.as_str())
            .push_arg(&e.object_name)
            .push_arg(&e.object_id)
            .push_arg(e.performed_by)
            .push_arg(Param::json(&e.object_detail))
            .push_arg(e.trace_id())
            .push_arg(e.tenant.as_str())
            .push_arg(link.seq)
            .push_arg(&link.prev_hash)
            .push_arg(&link.hash);
    });
    let result = q.build().execute(db).await.map_err(map_sqlx)?;
    Ok(D::rows_affected(&result))
}

row! {
    /// A row of `audit_chains`.
    pub struct ChainHeadRow<T> {
        pub tenant_id: String,
        pub size: i64,
        pub hash: String,
        pub checkpoint_size: i64,
        pub checkpoint_at: Option<T>,
    }
}

impl<T: StoredTime> From<ChainHeadRow<T>> for ChainHead {
    fn from(r: ChainHeadRow<T>) -> Self {
        ChainHead {
            tenant: TenantId::from_store(r.tenant_id),
            size: r.size,
            hash: r.hash,
            checkpoint_size: r.checkpoint_size,
            checkpoint_at: r.checkpoint_at.map(StoredTime::utc),
        }
    }
}

row! {
    /// A tenant's key alone.
    pub struct TenantKeyRow {
        pub tenant_id: String,
    }
}

impl From<TenantKeyRow> for TenantId {
    fn from(r: TenantKeyRow) -> Self {
        TenantId::from_store(r.tenant_id)
    }
}

row! {
    /// An event id alone.
    pub struct EventIdRow {
        pub event_id: uuid::Uuid,
    }
}

impl From<EventIdRow> for uuid::Uuid {
    fn from(r: EventIdRow) -> Self {
        r.event_id
    }
}
