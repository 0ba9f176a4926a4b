use super::PgStore;
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
use sqlx::{Postgres, QueryBuilder};

type Row = AuditRow<DateTime<Utc>>;

fn push_filter(q: &mut QueryBuilder<Postgres>, f: &AuditFilter) {
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
        q.push(" AND action_time >= ").push_bind(v);
    }
    if let Some(v) = f.to {
        q.push(" AND action_time < ").push_bind(v);
    }
}

#[async_trait]
impl AuditRepository for PgStore {
    async fn record(&self, event: &AuditEvent, recorded_at: DateTime<Utc>) -> Result<bool> {
        sqlx::query(
            "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
             action_type, object_name, object_id, performed_by, object_detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.event_id)
        .bind(event.occurred_at)
        .bind(recorded_at)
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
            " FROM audit_records WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_sqlx)?;
        row.map(AuditRecord::try_from).transpose()
    }

    async fn list(&self, filter: &AuditFilter, page: &PageSpec) -> Result<Page<AuditRecord>> {
        let mut q = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_records WHERE 1 = 1"
        ));
        push_filter(&mut q, filter);
        if let Some((t, id)) = page.after_time()? {
            q.push(" AND (action_time < ")
                .push_bind(t)
                .push(" OR (action_time = ")
                .push_bind(t)
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
        let secs = width.num_seconds();
        if secs <= 0 {
            return Err(Error::Internal("bucket width out of range".into()));
        }
        // date_bin (PostgreSQL 14+) with the epoch as origin: buckets line up with SQLite's.
        let mut q = QueryBuilder::<Postgres>::new("SELECT date_bin(make_interval(secs => ");
        q.push_bind(secs as f64)
            .push("), action_time, TIMESTAMPTZ 'epoch') AS bucket, COUNT(*) AS n FROM audit_records WHERE 1 = 1");
        push_filter(&mut q, filter);
        q.push(" GROUP BY bucket ORDER BY bucket");
        let rows: Vec<(DateTime<Utc>, i64)> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(rows
            .into_iter()
            .map(|(b, n)| BucketCount {
                bucket_start: b,
                count: n,
            })
            .collect())
    }
}
