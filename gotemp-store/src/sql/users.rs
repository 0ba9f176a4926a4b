use super::write::missing_or_stale;
use super::{Bind, Dialect, Param, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use crate::sql::rows::user_columns;
use async_trait::async_trait;
use gotemp_core::entities::{AuthStatus, User, UserDraft, UserFilter};
use gotemp_core::event::{AuditEvent, PendingEvent};
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::policy::Role;
use gotemp_core::ports::UserRepository;
use gotemp_core::values::{Email, PasswordHash, TenantId};
use gotemp_core::{ConflictKind, Error, Result};
use sqlx::{QueryBuilder, Transaction};

#[async_trait]
impl<D: Dialect> UserRepository for SqlStore<D> {
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<User>> {
        sqlx::query_as::<_, D::UserRow>(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = $1 AND id = $2"
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
        filter: &UserFilter,
        page: &PageSpec,
    ) -> Result<Page<User>> {
        let mut q = QueryBuilder::<D>::new(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = "
        ));
        q.push_arg(tenant.as_str());
        if let Some(id) = filter.id {
            q.push(" AND id = ").push_arg(id);
        }
        if let Some(v) = &filter.first_name {
            q.push(" AND first_name = ").push_arg(v);
        }
        if let Some(v) = &filter.last_name {
            q.push(" AND last_name = ").push_arg(v);
        }
        if let Some(v) = &filter.email {
            q.push(" AND email_key = ")
                .push_arg(v.trim().to_lowercase());
        }
        if let Some(v) = &filter.company {
            q.push(" AND company = ").push_arg(v);
        }
        if let Some(at) = filter.valid_on {
            q.push(" AND valid_from <= ").push_arg(at);
            q.push(" AND valid_thru >= ").push_arg(at);
        }
        if let Some(after) = page.after_int()? {
            q.push(" AND id > ").push_arg(after);
        }
        q.push(" ORDER BY id LIMIT ").push_arg(page.fetch_limit());
        let rows: Vec<D::UserRow> = q
            .build_query_as()
            .fetch_all(D::on_connection(
                &mut *self.reader(Scope::Tenant(tenant)).await?,
            ))
            .await
            .map_err(map_sqlx)?;
        let users = rows.into_iter().map(Into::into).collect();
        Ok(page.into_page(users, |u: &User| Cursor::Int(u.id)))
    }

    async fn credentials(&self, email: &Email) -> Result<Option<(AuthStatus, PasswordHash)>> {
        sqlx::query_as::<_, D::CredentialsRow>(concat!(
            "SELECT ",
            user_columns!(),
            ", token_version, tenant_id, password_hash FROM users WHERE email_key = $1"
        ))
        .arg(email.normalized())
        // Login names no tenant: the e-mail is unique across the deployment.
        .fetch_optional(D::on_connection(
            &mut *self.reader(Scope::CrossTenant).await?,
        ))
        .await
        .map(|r| r.map(Into::into))
        .map_err(map_sqlx)
    }

    async fn auth_status(&self, tenant: &TenantId, id: i64) -> Result<Option<AuthStatus>> {
        sqlx::query_as::<_, D::AuthStatusRow>(concat!(
            "SELECT ",
            user_columns!(),
            ", token_version, tenant_id FROM users WHERE tenant_id = $1 AND id = $2"
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

    async fn create(
        &self,
        tenant: &TenantId,
        draft: &UserDraft,
        event: PendingEvent,
    ) -> Result<User> {
        event.check_tenant(tenant)?;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row = insert_user::<D>(&mut tx, tenant, draft, &event).await?;
        self.commit(tx, row.into(), event).await
    }

    async fn update(
        &self,
        tenant: &TenantId,
        id: i64,
        draft: &UserDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User> {
        event.check_tenant(tenant)?;
        let hash = draft.password_hash.as_ref().map(PasswordHash::as_str);
        // Only a write that leaves this user no active admin valid now can leave the system
        // without one (an administrator made to expire administers nothing).
        let now = event.occurred_at;
        let may_remove_admin =
            !(draft.active && draft.roles.contains(Role::Admin) && draft.validity.contains(now));
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let had_admin = if may_remove_admin {
            if let Some(lock) = D::ADMINS_LOCK {
                sqlx::query(lock)
                    .execute(D::on_connection(&mut tx))
                    .await
                    .map_err(map_sqlx)?;
            }
            has_active_admin(&mut tx, tenant, now).await?
        } else {
            false
        };
        let row: Option<D::UserRow> = sqlx::query_as(concat!(
            "UPDATE users SET first_name = $1, last_name = $2, email = $3, email_key = $4, company = $5, ",
            "valid_from = $6, valid_thru = $7, active = $8, password_hash = COALESCE($9, password_hash), ",
            "updated_at = $10, modified_by = $11, roles = $12, version = version + 1, ",
            "token_version = token_version + CASE WHEN $13 THEN 1 ELSE 0 END ",
            "WHERE id = $14 AND version = $15 AND tenant_id = $16 RETURNING ",
            user_columns!()
        ))
        .arg(draft.first_name.as_str())
        .arg(draft.last_name.as_str())
        .arg(draft.email.as_str())
        .arg(draft.email.normalized())
        .arg(draft.company.as_ref().map(|c| c.as_str()))
        .arg(draft.validity.valid_from())
        .arg(draft.validity.valid_thru())
        .arg(draft.active)
        .arg(hash)
        .arg(event.occurred_at)
        .arg(event.performed_by)
        .arg(Param::json(&draft.roles))
        .arg(draft.revoke_tokens)
        .arg(id)
        .arg(expected_version)
        .arg(tenant.as_str())
        .fetch_optional(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            let db = D::on_connection(&mut tx);
            let what = ("users", "user");
            return Err(missing_or_stale(db, what, tenant, id, expected_version).await);
        };
        if had_admin && !has_active_admin(&mut tx, tenant, now).await? {
            return Err(Error::conflict(
                ConflictKind::State,
                Some("roles"),
                gotemp_core::tr!("conflict.last_admin_stays"),
            ));
        }
        self.commit(tx, row.into(), event).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User> {
        event.check_tenant(tenant)?;
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let row: Option<D::UserRow> = sqlx::query_as(concat!(
            "DELETE FROM users WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING ",
            user_columns!()
        ))
        .arg(tenant.as_str())
        .arg(id)
        .arg(expected_version)
        .fetch_optional(D::on_connection(&mut tx))
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            let db = D::on_connection(&mut tx);
            let what = ("users", "user");
            return Err(missing_or_stale(db, what, tenant, id, expected_version).await);
        };
        self.commit(tx, row.into(), event).await
    }

    async fn record_access(&self, event: &AuditEvent) -> Result<()> {
        let tx = self.begin_write(Scope::Tenant(&event.tenant)).await?;
        self.commit_event(tx, event).await
    }

    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        id: i64,
        hash: &PasswordHash,
        replacing: &PasswordHash,
    ) -> Result<bool> {
        let statement = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3 \
             AND tenant_id = $4",
        )
        .arg(hash.as_str())
        .arg(id)
        .arg(replacing.as_str())
        .arg(tenant.as_str());
        Ok(self.execute_in(Scope::Tenant(tenant), statement).await? == 1)
    }
}

/// Inserts a user of `tenant` inside the caller's transaction (its event is the caller's to
/// queue): a user alone, or a new tenant's first administrator.
pub(super) async fn insert_user<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    tenant: &TenantId,
    draft: &UserDraft,
    event: &PendingEvent,
) -> Result<D::UserRow> {
    let hash = draft.password_hash.as_ref().map(PasswordHash::as_str);
    sqlx::query_as(concat!(
        "INSERT INTO users (tenant_id, first_name, last_name, email, email_key, company, valid_from, valid_thru, active, password_hash, created_at, updated_at, modified_by, roles, version) ",
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1) RETURNING ",
        user_columns!()
    ))
    .arg(tenant.as_str())
    .arg(draft.first_name.as_str())
    .arg(draft.last_name.as_str())
    .arg(draft.email.as_str())
    .arg(draft.email.normalized())
    .arg(draft.company.as_ref().map(|c| c.as_str()))
    .arg(draft.validity.valid_from())
    .arg(draft.validity.valid_thru())
    .arg(draft.active)
    .arg(hash.unwrap_or_default())
    .arg(event.occurred_at)
    .arg(event.occurred_at)
    .arg(event.performed_by)
    .arg(Param::json(&draft.roles))
    .fetch_one(D::on_connection(tx))
    .await
.map_err(map_sqlx)
}

/// Whether some user of `tenant` is still an active admin valid at `now`, as the transaction
/// sees it: every tenant keeps an administrator of its own.
async fn has_active_admin<D: Dialect>(
    tx: &mut Transaction<'static, D>,
    tenant: &TenantId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM users WHERE active AND valid_from <= $1 AND valid_thru >= $1 \
         AND tenant_id = $2 AND {}",
        D::IS_ADMIN
    );
    let admins: D::Number = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .arg(now)
        .arg(tenant.as_str())
        .fetch_one(D::on_connection(tx))
        .await
        .map_err(map_sqlx)?;
    let admins: i64 = admins.into();
    Ok(admins > 0)
}
