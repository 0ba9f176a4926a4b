//! The rows of `users`: a user, with the version of its tokens (to authenticate a call), with
//! its stored hash (to log in).

use super::StoredTime;
use super::row;
use gotemp_core::entities::{AuthStatus, User};
use gotemp_core::policy::Roles;
use gotemp_core::values::{PasswordHash, TenantId};
use sqlx::types::Json;

/// Column list of `users` for SELECT/RETURNING (never the hash).
macro_rules! user_columns {
    () => {
        "id, first_name, last_name, email, company, valid_from, valid_thru, active, roles, created_at, updated_at, modified_by, version"
    };
}
pub(crate) use user_columns;

row! {
    pub struct UserRow<T> {
        pub id: i64,
        pub first_name: String,
        pub last_name: String,
        pub email: String,
        pub company: Option<String>,
        pub valid_from: T,
        pub valid_thru: T,
        pub active: bool,
        pub roles: Json<Roles>,
        pub created_at: T,
        pub updated_at: T,
        pub modified_by: i64,
        pub version: i64,
    }
}

impl<T: StoredTime> From<UserRow<T>> for User {
    fn from(r: UserRow<T>) -> Self {
        User {
            name: User::full_name(&r.first_name, &r.last_name),
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            company: r.company,
            valid_from: r.valid_from.utc(),
            valid_thru: r.valid_thru.utc(),
            active: r.active,
            roles: r.roles.0,
            created_at: r.created_at.utc(),
            updated_at: r.updated_at.utc(),
            modified_by: r.modified_by,
            version: r.version,
        }
    }
}

/// A user with the version of its tokens, read to authenticate a call.
pub struct AuthStatusRow<T> {
    pub user: UserRow<T>,
    pub token_version: i64,
    pub tenant_id: String,
}

impl<'r, R: sqlx::Row, T> sqlx::FromRow<'r, R> for AuthStatusRow<T>
where
    &'r str: sqlx::ColumnIndex<R>,
    UserRow<T>: sqlx::FromRow<'r, R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    /// The user's columns and two more, in one row.
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        Ok(Self {
            user: UserRow::from_row(row)?,
            token_version: row.try_get("token_version")?,
            tenant_id: row.try_get("tenant_id")?,
        })
    }
}

impl<T: StoredTime> From<AuthStatusRow<T>> for AuthStatus {
    fn from(r: AuthStatusRow<T>) -> Self {
        AuthStatus {
            tenant: TenantId::from_store(r.tenant_id),
            user: User::from(r.user),
            token_version: r.token_version,
        }
    }
}

/// A user with its stored hash, read for login only.
pub struct CredentialsRow<T> {
    pub status: AuthStatusRow<T>,
    pub password_hash: String,
}

impl<'r, R: sqlx::Row, T> sqlx::FromRow<'r, R> for CredentialsRow<T>
where
    &'r str: sqlx::ColumnIndex<R>,
    AuthStatusRow<T>: sqlx::FromRow<'r, R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        Ok(Self {
            status: AuthStatusRow::from_row(row)?,
            password_hash: row.try_get("password_hash")?,
        })
    }
}

impl<T: StoredTime> From<CredentialsRow<T>> for (AuthStatus, PasswordHash) {
    fn from(r: CredentialsRow<T>) -> Self {
        (
            AuthStatus::from(r.status),
            PasswordHash::new(r.password_hash),
        )
    }
}
