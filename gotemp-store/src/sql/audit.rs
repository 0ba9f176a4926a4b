use super::{Db, DbTime, Store, db_time};
use crate::error::map_sqlx;
use crate::rows::{AuditRow, DeadLetterRow, audit_columns};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gotemp_core::Result;
use gotemp_core::entities::{AuditFilter, AuditRecord, BucketCount};
use gotemp_core::event::AuditEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::{AuditRepository, DeadLetter};
use sqlx::QueryBuilder;
use sqlx::types::Json;

type Row = AuditRow<DbTime>;

/// Appends the audit filters to a query whose WHERE clause is already open.
pub(crate) fn push_filter(q: &mut QueryBuilder<Db>, f: &AuditFilter) {
    if let Some(v) = &f.object_name {
        q.push(" AND object_name = ").push_bind(v);
    }
    if let Some(v) = &f.object_id {
        q.push(" AND object_id = ").push_bind(v);
    }
    if let Some(v) = f.performed_by {
        q.push(" AND performed_by = ").push_bind(v);
    }
    if let Some(v) = &f.service {
        q.push(" AND service = ").push_bind(v);
    }
    if let Some(v) = f.action_type {
        q.push(" AND action_type = ").push_bind(v.as_str());
    }
    if let Some(v) = f.from {
        q.push(" AND action_time >= ").push_bind(db_time(v));
    }
    if let Some(v) = f.to {
        q.push(" AND action_time < ").push_bind(db_time(v));
    }
}

#[async_trait]
impl AuditRepository for Store {
    async fn record(&self, event: &AuditEvent, recorded_at: DateTime<Utc>) -> Result<bool> {
        sqlx::query(
            "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
             action_type, object_name, object_id, performed_by, object_detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind(event.event_id)
        .bind(db_time(event.occurred_at))
        .bind(db_time(recorded_at))
        .bind(event.topic())
        .bind(&event.service)
        .bind(&event.action_func)
        .bind(event.action_type.as_str())
        .bind(&event.object_name)
        .bind(&event.object_id)
        .bind(event.performed_by)
        .bind(Json(&event.object_detail))
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(map_sqlx)
    }

    async fn record_batch(&self, events: &[AuditEvent], recorded_at: DateTime<Utc>) -> Result<u64> {
        let mut stored = 0;
        let mut rest = events;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(batch_statement_rows(rest.len()));
            rest = tail;
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
                 action_type, object_name, object_id, performed_by, object_detail) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.event_id)
                    .push_bind(db_time(e.occurred_at))
                    .push_bind(db_time(recorded_at))
                    .push_bind(e.topic())
                    .push_bind(e.service.clone())
                    .push_bind(e.action_func.clone())
                    .push_bind(e.action_type.as_str())
                    .push_bind(e.object_name.clone())
                    .push_bind(e.object_id.clone())
                    .push_bind(e.performed_by)
                    .push_bind(Json(e.object_detail.clone()));
            });
            q.push(" ON CONFLICT DO NOTHING");
            stored += q
                .build()
                .execute(&self.pool)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
        }
        Ok(stored)
    }

    async fn get(&self, id: i64) -> Result<Option<AuditRecord>> {
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_sqlx)?;
        row.map(AuditRecord::try_from).transpose()
    }

    async fn list(&self, filter: &AuditFilter, page: &PageSpec) -> Result<Page<AuditRecord>> {
        let mut q = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE 1 = 1"
        ));
        push_filter(&mut q, filter);
        if let Some((t, id)) = page.after_time()? {
            q.push(" AND (action_time < ")
                .push_bind(db_time(t))
                .push(" OR (action_time = ")
                .push_bind(db_time(t))
                .push(" AND id < ")
                .push_bind(id)
                .push("))");
        }
        q.push(" ORDER BY action_time DESC, id DESC LIMIT ")
            .push_bind(page.fetch_limit());
        let rows: Vec<Row> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        let items = rows
            .into_iter()
            .map(AuditRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(page.into_page(items, |r: &AuditRecord| {
            Cursor::TimeDesc(r.action_time, r.id)
        }))
    }

    async fn park(&self, letter: &DeadLetter) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_dead_letters (event_id, subject, payload, reason, attempts, failed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(letter.event_id)
        .bind(&letter.subject)
        .bind(&letter.payload)
        .bind(&letter.reason)
        .bind(i64::from(letter.attempts))
        .bind(db_time(letter.failed_at))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_sqlx)
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        let rows: Vec<DeadLetterRow<DbTime>> = sqlx::query_as(
            "SELECT event_id, subject, payload, reason, attempts, failed_at FROM audit_dead_letters \
             ORDER BY failed_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_sqlx)?;
        Ok(rows.into_iter().map(DeadLetter::from).collect())
    }

    async fn count_by_bucket(
        &self,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>> {
        super::bucket_counts(self, filter, width).await
    }
}

/// Rows in the next batch statement: 256 at most (far below every driver's parameter limit),
/// else the largest power of two that fits. Batches arrive in every size; cutting them into a
/// handful of shapes lets the driver reuse nine prepared statements instead of preparing one
/// per size, which on PostgreSQL costs a round trip and (sqlx 0.9.0 leaves Nagle on) often a
/// 40 ms delayed-ACK stall.
fn batch_statement_rows(remaining: usize) -> usize {
    if remaining >= 256 {
        256
    } else {
        1 << remaining.ilog2()
    }
}
