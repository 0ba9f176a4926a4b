use super::Db;
use super::{DbTime, Store, db_time, write::missing_or_stale};
use crate::error::map_sqlx;
use crate::rows::{PromotionRow, promotion_columns};
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::{Promotion, PromotionDraft, PromotionFilter};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::PromotionRepository;
use sqlx::QueryBuilder;
use sqlx::types::Json;

type Row = PromotionRow<DbTime>;

#[async_trait]
impl PromotionRepository for Store {
    async fn get(&self, id: i64) -> Result<Option<Promotion>> {
        sqlx::query_as::<_, Row>(concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM promotions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map(|r| r.map(Promotion::from))
        .map_err(map_sqlx)
    }

    async fn list(&self, filter: &PromotionFilter, page: &PageSpec) -> Result<Page<Promotion>> {
        let mut q = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM promotions WHERE 1 = 1"
        ));
        if let Some(id) = filter.id {
            q.push(" AND id = ").push_bind(id);
        }
        if let Some(v) = &filter.name {
            q.push(" AND name = ").push_bind(v);
        }
        if let Some(v) = &filter.customer_id {
            q.push(" AND customer_id = ").push_bind(v);
        }
        if let Some(v) = &filter.product_id {
            super::push_product_filter(&mut q, v);
        }
        if let Some(at) = filter.valid_on {
            q.push(" AND valid_from <= ").push_bind(db_time(at));
            q.push(" AND valid_thru >= ").push_bind(db_time(at));
        }
        if let Some(after) = page.after_int()? {
            q.push(" AND id > ").push_bind(after);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows: Vec<Row> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        let items = rows.into_iter().map(Promotion::from).collect();
        Ok(page.into_page(items, |p: &Promotion| Cursor::Int(p.id)))
    }

    async fn create(&self, draft: &PromotionDraft, event: PendingEvent) -> Result<Promotion> {
        let mut tx = self.begin_write().await?;
        let row: Row = sqlx::query_as(concat!(
            "INSERT INTO promotions (name, description, valid_from, valid_thru, active, customer_id, products, ",
            "approval_status, prev_approval_status, created_at, updated_at, modified_by, version) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1) RETURNING ",
            promotion_columns!()
        ))
        .bind(draft.name.as_str())
        .bind(draft.description.as_ref().map(|d| d.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(draft.active)
        .bind(draft.customer_id.as_str())
        .bind(Json(&draft.products))
        .bind(draft.approval_status)
        .bind(draft.prev_approval_status)
        .bind(db_time(event.occurred_at))
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        self.commit(tx, Promotion::from(row), event).await
    }

    async fn update(
        &self,
        id: i64,
        draft: &PromotionDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "UPDATE promotions SET name = $1, description = $2, valid_from = $3, valid_thru = $4, active = $5, ",
            "customer_id = $6, products = $7, approval_status = $8, prev_approval_status = $9, ",
            "updated_at = $10, modified_by = $11, version = version + 1 ",
            "WHERE id = $12 AND version = $13 RETURNING ",
            promotion_columns!()
        ))
        .bind(draft.name.as_str())
        .bind(draft.description.as_ref().map(|d| d.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(draft.active)
        .bind(draft.customer_id.as_str())
        .bind(Json(&draft.products))
        .bind(draft.approval_status)
        .bind(draft.prev_approval_status)
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(
                missing_or_stale(&mut tx, "promotions", "promotion", id, expected_version).await,
            );
        };
        self.commit(tx, Promotion::from(row), event).await
    }

    async fn delete(
        &self,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "DELETE FROM promotions WHERE id = $1 AND version = $2 RETURNING ",
            promotion_columns!()
        ))
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(
                missing_or_stale(&mut tx, "promotions", "promotion", id, expected_version).await,
            );
        };
        self.commit(tx, Promotion::from(row), event).await
    }
}
