use super::{SqliteStore, micros};
use crate::error::map_sqlx;
use crate::rows::{AuditRow, audit_columns};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gotemp_core::entities::{AuditFilter, AuditRecord, BucketCount};
use gotemp_core::event::AuditEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::AuditRepository;
use gotemp_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite};

type Row = AuditRow<i64>;

fn push_filter(q: &mut QueryBuilder<Sqlite>, f: &AuditFilter) {
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
        q.push(" AND action_time >= ").push_bind(micros(v));
    }
    if let Some(v) = f.to {
        q.push(" AND action_time < ").push_bind(micros(v));
    }
}

#[async_trait]
impl AuditRepository for SqliteStore {
    async fn record(&self, event: &AuditEvent, recorded_at: DateTime<Utc>) -> Result<bool> {
        sqlx::query(
            "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
             action_type, object_name, object_id, performed_by, object_detail) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.event_id)
        .bind(micros(event.occurred_at))
        .bind(micros(recorded_at))
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

    async fn get(&self, id: i64) -> Result<Option<AuditRecord>> {
        let row: Option<Row> = sqlx::query_as(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_sqlx)?;
        row.map(AuditRecord::try_from).transpose()
    }

    async fn list(&self, filter: &AuditFilter, page: &PageSpec) -> Result<Page<AuditRecord>> {
        let mut q = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE 1 = 1"
        ));
        push_filter(&mut q, filter);
        if let Some((t, id)) = page.after_time()? {
            q.push(" AND (action_time < ")
                .push_bind(micros(t))
                .push(" OR (action_time = ")
                .push_bind(micros(t))
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

    async fn count_by_bucket(
        &self,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>> {
        let w = width
            .num_microseconds()
            .filter(|w| *w > 0)
            .ok_or_else(|| Error::Internal("bucket width out of range".into()))?;
        // Floor division, so times before the epoch fall in the right bucket too.
        let mut q = QueryBuilder::<Sqlite>::new("SELECT action_time - (((action_time % ");
        q.push_bind(w)
            .push(") + ")
            .push_bind(w)
            .push(") % ")
            .push_bind(w)
            .push(") AS bucket, COUNT(*) AS n FROM audit_records WHERE 1 = 1");
        push_filter(&mut q, filter);
        q.push(" GROUP BY bucket ORDER BY bucket");
        let rows: Vec<(i64, i64)> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(rows
            .into_iter()
            .map(|(b, n)| BucketCount {
                bucket_start: DateTime::from_timestamp_micros(b).unwrap_or_default(),
                count: n,
            })
            .collect())
    }
}
