use super::Db;
use super::{DbTime, Store, db_time, write::missing_or_stale};
use crate::error::map_sqlx;
use crate::rows::{CredentialsRow, UserRow, user_columns};
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::{User, UserDraft, UserFilter};
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::ports::UserRepository;
use gotemp_core::values::{Email, PasswordHash};
use sqlx::QueryBuilder;

type Row = UserRow<DbTime>;

#[async_trait]
impl UserRepository for Store {
    async fn get(&self, id: i64) -> Result<Option<User>> {
        sqlx::query_as::<_, Row>(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map(|r| r.map(User::from))
        .map_err(map_sqlx)
    }

    async fn list(&self, filter: &UserFilter, page: &PageSpec) -> Result<Page<User>> {
        let mut q = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE 1 = 1"
        ));
        if let Some(id) = filter.id {
            q.push(" AND id = ").push_bind(id);
        }
        if let Some(v) = &filter.first_name {
            q.push(" AND first_name = ").push_bind(v);
        }
        if let Some(v) = &filter.last_name {
            q.push(" AND last_name = ").push_bind(v);
        }
        if let Some(v) = &filter.email {
            q.push(" AND email_key = ")
                .push_bind(v.trim().to_lowercase());
        }
        if let Some(v) = &filter.company {
            q.push(" AND company = ").push_bind(v);
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
        let users = rows.into_iter().map(User::from).collect();
        Ok(page.into_page(users, |u: &User| Cursor::Int(u.id)))
    }

    async fn credentials(&self, email: &Email) -> Result<Option<(User, PasswordHash)>> {
        sqlx::query_as::<_, CredentialsRow<DbTime>>(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash FROM users WHERE email_key = $1"
        ))
        .bind(email.normalized())
        .fetch_optional(&self.pool)
        .await
        .map(|r| r.map(|r| (User::from(r.user), PasswordHash::new(r.password_hash))))
        .map_err(map_sqlx)
    }

    async fn create(&self, draft: &UserDraft, event: PendingEvent) -> Result<User> {
        let hash = draft.password_hash.as_ref().map(PasswordHash::as_str);
        let mut tx = self.begin_write().await?;
        let row: Row = sqlx::query_as(concat!(
            "INSERT INTO users (first_name, last_name, email, email_key, company, valid_from, valid_thru, active, password_hash, created_at, updated_at, modified_by, version) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1) RETURNING ",
            user_columns!()
        ))
        .bind(draft.first_name.as_str())
        .bind(draft.last_name.as_str())
        .bind(draft.email.as_str())
        .bind(draft.email.normalized())
        .bind(draft.company.as_ref().map(|c| c.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(draft.active)
        .bind(hash.unwrap_or_default())
        .bind(db_time(event.occurred_at))
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        self.commit(tx, User::from(row), event).await
    }

    async fn update(
        &self,
        id: i64,
        draft: &UserDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User> {
        let hash = draft.password_hash.as_ref().map(PasswordHash::as_str);
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "UPDATE users SET first_name = $1, last_name = $2, email = $3, email_key = $4, company = $5, ",
            "valid_from = $6, valid_thru = $7, active = $8, password_hash = COALESCE($9, password_hash), ",
            "updated_at = $10, modified_by = $11, version = version + 1 ",
            "WHERE id = $12 AND version = $13 RETURNING ",
            user_columns!()
        ))
        .bind(draft.first_name.as_str())
        .bind(draft.last_name.as_str())
        .bind(draft.email.as_str())
        .bind(draft.email.normalized())
        .bind(draft.company.as_ref().map(|c| c.as_str()))
        .bind(db_time(draft.validity.valid_from()))
        .bind(db_time(draft.validity.valid_thru()))
        .bind(draft.active)
        .bind(hash)
        .bind(db_time(event.occurred_at))
        .bind(event.performed_by)
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(missing_or_stale(&mut tx, "users", "user", id, expected_version).await);
        };
        self.commit(tx, User::from(row), event).await
    }

    async fn delete(&self, id: i64, expected_version: i64, event: PendingEvent) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(concat!(
            "DELETE FROM users WHERE id = $1 AND version = $2 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        let Some(row) = row else {
            return Err(missing_or_stale(&mut tx, "users", "user", id, expected_version).await);
        };
        self.commit(tx, User::from(row), event).await
    }

    async fn set_password_hash(&self, id: i64, hash: &PasswordHash) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_sqlx)
    }
}
