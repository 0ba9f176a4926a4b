//! The tenants of a deployment (`tenants`): platform-level rows no tenant scopes. A new tenant
//! is written with its first administrator in one transaction, each with its audit event.

use super::outbox::enqueue;
use super::row::row;
use super::rows::StoredTime;
use super::users::insert_user;
use super::{Bind, Dialect, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use async_trait::async_trait;
use gotemp_core::entities::{Tenant, TenantDraft, User, UserDraft};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::TenantRepository;
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::{AssertSqlSafe, QueryBuilder};

/// The columns a [`TenantRow`] reads.
const COLUMNS: &str =
    "key, name, active, valid_from, valid_thru, created_at, updated_at, modified_by, version";

row! {
    /// A stored tenant, with times as the database keeps them.
    pub struct TenantRow<T> {
        key: String,
        name: String,
        active: bool,
        valid_from: T,
        valid_thru: T,
        created_at: T,
        updated_at: T,
        modified_by: i64,
        version: i64,
    }
}

impl<T: StoredTime> From<TenantRow<T>> for Tenant {
    fn from(r: TenantRow<T>) -> Self {
        Tenant {
            key: r.key,
            name: r.name,
            active: r.active,
            valid_from: r.valid_from.utc(),
            valid_thru: r.valid_thru.utc(),
            created_at: r.created_at.utc(),
            updated_at: r.updated_at.utc(),
            modified_by: r.modified_by,
            version: r.version,
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// After a guarded UPDATE or DELETE of tenant `key` matched nothing: gone, or changed.
    async fn tenant_missing_or_stale(&self, key: &TenantId, expected: i64) -> Error {
        match TenantRepository::get(self, key).await {
            Ok(Some(_)) => Error::stale_version("tenant", key, expected),
            Ok(None) => Error::not_found("tenant", key),
            Err(e) => e,
        }
    }
}

#[async_trait]
impl<D: Dialect> TenantRepository for SqlStore<D> {
    async fn get(&self, key: &TenantId) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {COLUMNS} FROM tenants WHERE key = $1");
        sqlx::query_as::<_, D::TenantRow>(AssertSqlSafe(sql))
            .arg(key.as_str())
            .fetch_optional(self.db())
            .await
            .map(|r| r.map(Into::into))
            .map_err(map_sqlx)
    }

    async fn list(&self, page: &PageSpec) -> Result<Page<Tenant>> {
        let mut q = QueryBuilder::<D>::new(format!("SELECT {COLUMNS} FROM tenants WHERE 1 = 1"));
        if let Some(after) = page.after_key()? {
            q.push(" AND key > ").push_arg(after.to_owned());
        }
        q.push(" ORDER BY key LIMIT ").push_arg(page.fetch_limit());
        let rows: Vec<D::TenantRow> =
            (q.build_query_as().fetch_all(self.db()).await).map_err(map_sqlx)?;
        let items = rows.into_iter().map(Into::into).collect();
        Ok(page.into_page(items, |t: &Tenant| Cursor::Key(t.key.clone())))
    }

    async fn create(
        &self,
        draft: &TenantDraft,
        admin: &UserDraft,
        (tenant_event, admin_event): (PendingEvent, PendingEvent),
    ) -> Result<(Tenant, User)> {
        admin_event.check_tenant(&draft.key)?;
        // Tenant administration crosses tenants: the operator's event is the platform's.
        let mut tx = self.begin_write(Scope::CrossTenant).await?;
        let sql = format!(
            "INSERT INTO tenants (key, name, active, valid_from, valid_thru, created_at, \
             updated_at, modified_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
             RETURNING {COLUMNS}"
        );
        let row: D::TenantRow = sqlx::query_as(AssertSqlSafe(sql))
            .arg(draft.key.as_str())
            .arg(draft.name.as_str())
            .arg(draft.active)
            .arg(draft.validity.valid_from())
            .arg(draft.validity.valid_thru())
            .arg(tenant_event.occurred_at)
            .arg(tenant_event.occurred_at)
            .arg(tenant_event.performed_by)
            .fetch_one(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        let tenant: Tenant = row.into();
        enqueue(&mut tx, &tenant_event.complete(&tenant)?).await?;
        let user: User = (insert_user::<D>(&mut tx, &draft.key, admin, &admin_event).await?).into();
        let user = self.commit(tx, user, admin_event).await?;
        Ok((tenant, user))
    }

    async fn update(
        &self,
        draft: &TenantDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Tenant> {
        let mut tx = self.begin_write(Scope::CrossTenant).await?;
        let sql = format!(
            "UPDATE tenants SET name = $1, active = $2, valid_from = $3, valid_thru = $4, \
             updated_at = $5, modified_by = $6, version = version + 1 \
             WHERE key = $7 AND version = $8 RETURNING {COLUMNS}"
        );
        let row: Option<D::TenantRow> = sqlx::query_as(AssertSqlSafe(sql))
            .arg(draft.name.as_str())
            .arg(draft.active)
            .arg(draft.validity.valid_from())
            .arg(draft.validity.valid_thru())
            .arg(event.occurred_at)
            .arg(event.performed_by)
            .arg(draft.key.as_str())
            .arg(expected_version)
            .fetch_optional(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        match row {
            Some(row) => self.commit(tx, row.into(), event).await,
            None => Err(self
                .tenant_missing_or_stale(&draft.key, expected_version)
                .await),
        }
    }

    async fn delete(
        &self,
        key: &TenantId,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<Tenant> {
        let mut tx = self.begin_write(Scope::CrossTenant).await?;
        let sql =
            format!("DELETE FROM tenants WHERE key = $1 AND version = $2 RETURNING {COLUMNS}");
        let row: Option<D::TenantRow> = sqlx::query_as(AssertSqlSafe(sql))
            .arg(key.as_str())
            .arg(expected_version)
            .fetch_optional(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        match row {
            Some(row) => self.commit(tx, row.into(), event).await,
            None => {
                drop(tx);
                Err(self.tenant_missing_or_stale(key, expected_version).await)
            }
        }
    }
}
