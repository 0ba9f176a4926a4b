use super::Db;
use super::links::Edges;
use super::{DbTime, Store, db_time, write::missing_or_stale};
use crate::error::map_sqlx;
use crate::rows::{ProductRow, product_columns};
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::{
    Link, LinkDraft, LinkQuery, Product, ProductDraft, ProductFilter, ProductLink, Related,
    Relation,
};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::ProductRepository;
use sqlx::QueryBuilder;
use sqlx::types::Json;

type Row = ProductRow<DbTime>;

const EDGES: Edges = Edges {
    table: "product_links",
    vertices: "products",
    columns: product_columns!(),
    entity: "product link",
};

#[async_trait]
impl ProductRepository for Store {
    async fn get(&self, id: &str) -> Result<Option<Product>> {
        sqlx::query_as::<_, Row>(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map(|r| r.map(Product::from))
        .map_err(map_sqlx)
    }

    async fn list(&self, filter: &ProductFilter, page: &PageSpec) -> Result<Page<Product>> {
        let mut q = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE 1 = 1"
        ));
        if let Some(v) = &filter.id {
            q.push(" AND id = ").push_bind(v);
        }
        if let Some(v) = &filter.name {
            q.push(" AND name = ").push_bind(v);
        }
        if let Some(v) = &filter.hierarchy_level {
            q.push(" AND hierarchy_level = ").push_bind(v);
        }
        if let Some(at) = filter.valid_on {
            q.push(" AND valid_from <= ").push_bind(db_time(at));
            q.push(" AND valid_thru >= ").push_bind(db_time(at));
        }
        if let Some(after) = page.after_key()? {
            q.push(" AND id > ").push_bind(after);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(page.fetch_limit());
        let rows: Vec<Row> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_sqlx)?;
        let items = rows.into_iter().map(Product::from).collect();
        Ok(page.into_page(items, |c: &Product| Cursor::Key(c.id.clone())))
    }

    async fn create(&self, draft: &ProductDraft, event: PendingEvent) -> Result<Product> {
        let mut tx = self.begin_write().await?;
        let row: Row = sqlx::query_as(concat!(
            "INSERT INTO products (id, name, hierarchy_level, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) RETURNING ",
            product_columns!()
        ))
        .bind(draft.id.as_str())
        .bind(draft.name.as_str())
        .bind(draft.hierarchy_level.as_ref().map(|h| h.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(Json(&draft.extra_fields))
        .bind(db_time(event.occurred_at))
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        self.commit(tx, Product::from(row), event).await
    }

    async fn update(
        &self,
        draft: &ProductDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Product> {
        let id = draft.id.as_str();
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "UPDATE products SET name = $1, hierarchy_level = $2, valid_from = $3, valid_thru = $4, extra_fields = $5, ",
            "updated_at = $6, modified_by = $7, version = version + 1 ",
            "WHERE id = $8 AND version = $9 RETURNING ",
            product_columns!()
        ))
        .bind(draft.name.as_str())
        .bind(draft.hierarchy_level.as_ref().map(|h| h.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(Json(&draft.extra_fields))
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(missing_or_stale(
                &mut tx,
                "products",
                "product",
                id.to_owned(),
                expected_version,
            )
            .await);
        };
        self.commit(tx, Product::from(row), event).await
    }

    async fn delete(
        &self,
        id: &str,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Product> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "DELETE FROM products WHERE id = $1 AND version = $2 RETURNING ",
            product_columns!()
        ))
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(missing_or_stale(
                &mut tx,
                "products",
                "product",
                id.to_owned(),
                expected_version,
            )
            .await);
        };
        self.commit(tx, Product::from(row), event).await
    }

    async fn link(&self, draft: &LinkDraft, event: PendingEvent) -> Result<Link> {
        self.insert_link::<ProductLink>(&EDGES, draft, event).await
    }

    async fn unlink(
        &self,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        let link = (from, relation, to);
        self.delete_link::<ProductLink>(&EDGES, link, event).await
    }

    async fn related(&self, id: &str, query: &LinkQuery) -> Result<Vec<Related<Product>>> {
        self.linked::<Row, Product>(&EDGES, id, query).await
    }
}
