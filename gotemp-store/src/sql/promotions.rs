use super::write::missing_or_stale;
use super::{Bind, Dialect, Param, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use crate::sql::rows::promotion_columns;
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::{Promotion, PromotionDraft, PromotionFilter};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::PromotionRepository;
use gotemp_core::values::TenantId;
use sqlx::QueryBuilder;

#[async_trait]
impl<D: Dialect> PromotionRepository for SqlStore<D> {
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<Promotion>> {
        sqlx::query_as::<_, D::PromotionRow>(concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM promotions WHERE tenant_id = $1 AND id = $2"
        ))
        .arg(tenant.as_str())
        .arg(id)
        .fetch_optional(D::on_connection(
            &mut *self.reader(Scope::Tenant(tenant)).await?,
        ))
        .await
        .map(|r| r.map(Into::into))
        .map_err(map_sqlx)
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &PromotionFilter,
        page: &PageSpec,
    ) -> Result<Page<Promotion>> {
        let mut q = QueryBuilder::<D>::new(concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM promotions WHERE tenant_id = "
        ));
        q.push_arg(tenant.as_str());
        if let Some(id) = filter.id {
            q.push(" AND id = ").push_arg(id);
        }
        if let Some(v) = &filter.name {
            q.push(" AND name = ").push_arg(v);
        }
        if let Some(v) = &filter.customer_id {
            q.push(" AND customer_id = ").push_arg(v);
        }
        if let Some(v) = &filter.product_id {
            D::push_product_filter(&mut q, v);
        }
        if let Some(at) = filter.valid_on {
            q.push(" AND valid_from <= ").push_arg(at);
            q.push(" AND valid_thru >= ").push_arg(at);
        }
        if let Some(after) = page.after_int()? {
            q.push(" AND id > ").push_arg(after);
        }
        q.push(" ORDER BY id LIMIT ").push_arg(page.fetch_limit());
        let rows: Vec<D::PromotionRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(
                &mut *self.reader(Scope::Tenant(tenant)).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        let items = rows.into_iter().map(Into::into).collect();
        Ok(page.into_page(items, |p: &Promotion| Cursor::Int(p.id)))
    }

    async fn create(
        &self,
        tenant: &TenantId,
        draft: &PromotionDraft,
        event: PendingEvent,
    ) -> Result<Promotion> {
        event.check_tenant(tenant)?;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row: D::PromotionRow = sqlx::query_as(concat!(
            "INSERT INTO promotions (tenant_id, name, description, valid_from, valid_thru, active, customer_id, products, ",
            "approval_status, prev_approval_status, created_at, updated_at, modified_by, version) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) RETURNING ",
            promotion_columns!()
        ))
        .arg(tenant.as_str())
        .arg(draft.name.as_str())
        .arg(draft.description.as_ref().map(|d| d.as_str()))
        .arg(draft.validity.valid_from())
        .arg(draft.validity.valid_thru())
        .arg(draft.active)
        .arg(draft.customer_id.as_str())
        .arg(Param::json(&draft.products))
        .arg(draft.approval_status)
        .arg(draft.prev_approval_status)
        .arg(event.occurred_at)
        .arg(event.occurred_at)
        .arg(event.performed_by)
        .fetch_one(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        self.commit(tx, row.into(), event).await
    }

    async fn update(
        &self,
        tenant: &TenantId,
        id: i64,
        draft: &PromotionDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion> {
        event.check_tenant(tenant)?;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row: Option<D::PromotionRow> = sqlx::query_as(concat!(
            "UPDATE promotions SET name = $1, description = $2, valid_from = $3, valid_thru = $4, active = $5, ",
            "customer_id = $6, products = $7, approval_status = $8, prev_approval_status = $9, ",
            "updated_at = $10, modified_by = $11, version = version + 1 ",
            "WHERE id = $12 AND version = $13 AND tenant_id = $14 RETURNING ",
            promotion_columns!()
        ))
        .arg(draft.name.as_str())
        .arg(draft.description.as_ref().map(|d| d.as_str()))
        .arg(draft.validity.valid_from())
        .arg(draft.validity.valid_thru())
        .arg(draft.active)
        .arg(draft.customer_id.as_str())
        .arg(Param::json(&draft.products))
        .arg(draft.approval_status)
        .arg(draft.prev_approval_status)
        .arg(event.occurred_at)
        .arg(event.performed_by)
        .arg(id)
        .arg(expected_version)
        .arg(tenant.as_str())
        .fetch_optional(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            let db = D::on_connection(&mut tx);
            let what = ("promotions", "promotion");
            return Err(missing_or_stale(db, what, tenant, id, expected_version).await);
        };
        self.commit(tx, row.into(), event).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Promotion> {
        event.check_tenant(tenant)?;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row: Option<D::PromotionRow> = sqlx::query_as(concat!(
            "DELETE FROM promotions WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING ",
            promotion_columns!()
        ))
        .arg(tenant.as_str())
        .arg(id)
        .arg(expected_version)
        .fetch_optional(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            let db = D::on_connection(&mut tx);
            let what = ("promotions", "promotion");
            return Err(missing_or_stale(db, what, tenant, id, expected_version).await);
        };
        self.commit(tx, row.into(), event).await
    }
}
