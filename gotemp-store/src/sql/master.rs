//! Customers and products: a table per kind of master data (`customers`, `products`) and an
//! edge table of its hierarchy links, each change written with its audit event in one
//! transaction. The statements are the same for every kind; a kind's own columns come from its
//! entity ([`MasterEntity::stored_extras`]).

use super::links::Edges;
use super::write::{missing_or_stale, write_span};
use super::{Bind, Dialect, Param, PushArg, Read, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use crate::sql::rows::{customer_columns, product_columns};
use async_trait::async_trait;
use gotemp_core::entities::{
    Customer, Link, LinkDraft, LinkQuery, MasterDraft, MasterEntity, Product, Related, Relation,
};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::MasterRepository;
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::{AssertSqlSafe, QueryBuilder, Transaction};

/// Where and how one kind of master data is stored.
pub(super) trait MasterTable<D: Dialect>: MasterEntity {
    /// A stored row, every column.
    type Row: Read<D> + Into<Self>;
    /// The vertex table, its edge table and the columns a row reads.
    const EDGES: Edges;
}

impl<D: Dialect> MasterTable<D> for Customer {
    type Row = D::CustomerRow;
    const EDGES: Edges = Edges {
        table: "customer_links",
        vertices: "customers",
        columns: customer_columns!(),
        entity: "customer link",
    };
}

impl<D: Dialect> MasterTable<D> for Product {
    type Row = D::ProductRow;
    const EDGES: Edges = Edges {
        table: "product_links",
        vertices: "products",
        columns: product_columns!(),
        entity: "product link",
    };
}

/// `, col = $n, …` for the kind's own columns, numbered from `first`.
fn own_assignments(columns: &[(&str, Option<&str>)], first: usize) -> String {
    (columns.iter().enumerate())
        .map(|(i, (column, _))| format!(", {column} = ${}", first + i))
        .collect()
}

impl<D: Dialect> SqlStore<D> {
    /// Commits what a version-guarded UPDATE or DELETE returned with its event; when it matched
    /// no row, says why: the object is gone, or changed in between.
    async fn commit_guarded<E: MasterTable<D>>(
        &self,
        mut tx: Transaction<'static, D>,
        row: Option<E::Row>,
        (tenant, id): (&TenantId, &str),
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<E> {
        let Some(row) = row else {
            let (table, entity) = (E::EDGES.vertices, E::OBJECT_NAME);
            let id = id.to_owned();
            let db = D::on_connection(&mut tx);
            return Err(missing_or_stale(db, (table, entity), tenant, id, expected_version).await);
        };
        self.commit(tx, row.into(), event).await
    }

    /// Runs `q` — a write and its event as one statement ([`SqlStore::with_event_sql`]) — given
    /// `predicted`, the object the write stores, whose event it queues. `None` when a guarded
    /// update matched no row.
    async fn write_with_event<'q, E: MasterTable<D>>(
        &self,
        q: sqlx::query::QueryAs<'q, D, E::Row, <D as sqlx::Database>::Arguments>,
        predicted: &E,
        event: PendingEvent,
    ) -> Result<Option<E>> {
        use tracing::Instrument as _;
        let event = event.complete(predicted)?;
        let q = (q.arg(event.event_id).arg(event.topic()))
            .arg(Param::json(&event))
            .arg(event.occurred_at)
            .arg(event.tenant.as_str());
        let mut tx = self.begin_write(Scope::Tenant(&event.tenant)).await?;
        let row = async {
            let row = q.fetch_optional(D::on_connection(&mut tx)).await?;
            if row.is_some() {
                tx.commit().await?;
            }
            Ok(row)
        }
        .instrument(write_span::<D>(&event))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.signal.notify_one();
        let stored: E = row.into();
        if stored != *predicted {
            // The event is committed with what the database was asked to store; say so loudly if
            // the database stored something else (a normalisation this code does not know of).
            tracing::error!(
                object = E::OBJECT_NAME,
                id = stored.id(),
                "the audit event of a write differs from the stored object"
            );
        }
        Ok(Some(stored))
    }
}

#[async_trait]
impl<D: Dialect, E: MasterTable<D>> MasterRepository<E> for SqlStore<D> {
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<Option<E>> {
        let Edges {
            vertices, columns, ..
        } = E::EDGES;
        let sql = format!("SELECT {columns} FROM {vertices} WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as::<_, E::Row>(AssertSqlSafe(sql))
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
        filter: &E::Filter,
        page: &PageSpec,
    ) -> Result<Page<E>> {
        let Edges {
            vertices, columns, ..
        } = E::EDGES;
        let head = format!("SELECT {columns} FROM {vertices} WHERE tenant_id = ");
        let mut q = QueryBuilder::<D>::new(head);
        q.push_arg(tenant.as_str());
        // Field names of the entity's filters are its column names, never client input.
        for (column, value) in E::text_filters(filter) {
            if let Some(value) = value {
                q.push(format_args!(" AND {column} = "))
                    .push_arg(value.to_owned());
            }
        }
        if let Some(at) = E::valid_on(filter) {
            q.push(" AND valid_from <= ").push_arg(at);
            q.push(" AND valid_thru >= ").push_arg(at);
        }
        if let Some(after) = page.after_key()? {
            q.push(" AND id > ").push_arg(after);
        }
        q.push(" ORDER BY id LIMIT ").push_arg(page.fetch_limit());
        let rows: Vec<E::Row> = q
            .build_query_as()
            .fetch_all(D::on_connection(
                &mut *self.reader(Scope::Tenant(tenant)).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        let items = rows.into_iter().map(Into::into).collect();
        Ok(page.into_page(items, |o: &E| Cursor::Key(o.id().to_owned())))
    }

    async fn create(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        let Edges {
            vertices, columns, ..
        } = E::EDGES;
        let own = E::stored_extras(&draft.extras);
        let own_columns: String = own.iter().map(|(c, _)| format!(", {c}")).collect();
        let own_values: String = (0..own.len()).map(|i| format!(", ${}", 10 + i)).collect();
        let sql = format!(
            "INSERT INTO {vertices} (tenant_id, id, name, valid_from, valid_thru, extra_fields, \
             created_at, updated_at, modified_by, version{own_columns}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1{own_values}) RETURNING {columns}"
        );
        let (sql, one_statement) = match Self::with_event_sql(&sql, columns, 9 + own.len()) {
            Some(with_event) => (with_event, true),
            None => (sql, false),
        };
        let mut q = sqlx::query_as::<_, E::Row>(AssertSqlSafe(sql))
            .arg(tenant.as_str())
            .arg(draft.id.as_str())
            .arg(draft.name.as_str())
            .arg(draft.validity.valid_from())
            .arg(draft.validity.valid_thru())
            .arg(Param::json(&draft.extra_fields))
            .arg(event.occurred_at)
            .arg(event.occurred_at)
            .arg(event.performed_by);
        for (_, value) in own {
            q = q.arg(value);
        }
        if one_statement {
            let predicted = E::stored(draft, event.occurred_at, &event, 1);
            let created = self.write_with_event(q, &predicted, event).await?;
            return created.ok_or_else(|| Error::internal("an INSERT … RETURNING returned no row"));
        }
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row = q
            .fetch_one(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        self.commit(tx, row.into(), event).await
    }

    async fn update(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        current: &E,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        let Edges {
            vertices, columns, ..
        } = E::EDGES;
        let (id, expected_version) = (draft.id.as_str(), current.version());
        let own = E::stored_extras(&draft.extras);
        // Placeholders in the order they appear: SQLite numbers `$n` by first appearance.
        let (set_own, next) = (own_assignments(&own, 7), 7 + own.len());
        let sql = format!(
            "UPDATE {vertices} SET name = $1, valid_from = $2, valid_thru = $3, extra_fields = $4, \
             updated_at = $5, modified_by = $6, version = version + 1{set_own} \
             WHERE tenant_id = ${next} AND id = ${} AND version = ${} RETURNING {columns}",
            next + 1,
            next + 2
        );
        let (sql, one_statement) = match Self::with_event_sql(&sql, columns, next + 2) {
            Some(with_event) => (with_event, true),
            None => (sql, false),
        };
        let mut q = sqlx::query_as::<_, E::Row>(AssertSqlSafe(sql))
            .arg(draft.name.as_str())
            .arg(draft.validity.valid_from())
            .arg(draft.validity.valid_thru())
            .arg(Param::json(&draft.extra_fields))
            .arg(event.occurred_at)
            .arg(event.performed_by);
        for (_, value) in own {
            q = q.arg(value);
        }
        let q = q.arg(tenant.as_str()).arg(id).arg(expected_version);
        if one_statement {
            // The version guard holds only while the row is still `current`: what it becomes is
            // the draft over `current`, so the event can be written with the change.
            let predicted = E::stored(draft, current.created_at(), &event, expected_version + 1);
            return match self.write_with_event(q, &predicted, event).await? {
                Some(updated) => Ok(updated),
                None => {
                    let what = (vertices, E::OBJECT_NAME);
                    let id = id.to_owned();
                    let mut reader = self.reader(Scope::Tenant(tenant)).await?;
                    let db = D::on_connection(&mut *reader);
                    Err(missing_or_stale(db, what, tenant, id, expected_version).await)
                }
            };
        }
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row = q
            .fetch_optional(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        self.commit_guarded(tx, row, (tenant, id), expected_version, event)
            .await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        let Edges {
            vertices, columns, ..
        } = E::EDGES;
        let sql = format!(
            "DELETE FROM {vertices} WHERE tenant_id = $1 AND id = $2 AND version = $3 \
             RETURNING {columns}"
        );
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row = sqlx::query_as::<_, E::Row>(AssertSqlSafe(sql))
            .arg(tenant.as_str())
            .arg(id)
            .arg(expected_version)
            .fetch_optional(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        self.commit_guarded(tx, row, (tenant, id), expected_version, event)
            .await
    }

    async fn link(
        &self,
        tenant: &TenantId,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link> {
        event.check_tenant(tenant)?;
        self.insert_link::<E::Link>(&E::EDGES, tenant, draft, event)
            .await
    }

    async fn unlink(
        &self,
        tenant: &TenantId,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        event.check_tenant(tenant)?;
        let link = (from, relation, to);
        let edges = &E::EDGES;
        self.delete_link::<E::Link>(edges, tenant, link, event)
            .await
    }

    async fn related(
        &self,
        tenant: &TenantId,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<E>>> {
        let edges = &E::EDGES;
        self.linked::<E::Row, E>(edges, tenant, id, query).await
    }
}
