//! The PostgreSQL store. Writes run in ordinary transactions; an update or delete names the
//! version it expects in its WHERE clause, so the row lock and the version check are one step.

mod audit;
mod customers;
mod outbox;
mod products;
mod promotions;
mod users;

use crate::error::map_sqlx;
use gotemp_core::ports::Repositories;
use gotemp_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How to size and time the connection pool.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The PostgreSQL store: every repository of gotemp on one database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:5432/db`) with default pool settings and applies
    /// pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::Internal(format!("invalid PostgreSQL URL: {e}")))?;
        Self::connect_with(options, &PgSettings::default()).await
    }

    /// Connects with explicit options and pool settings, and applies pending migrations.
    pub async fn connect_with(options: PgConnectOptions, settings: &PgSettings) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(map_sqlx)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that have not run yet (safe to call from several processes: sqlx
    /// takes an advisory lock).
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("PostgreSQL migration failed: {e}")))
    }

    /// Every repository, sharing this store's pool.
    pub fn repositories(&self) -> Repositories {
        let this = Arc::new(self.clone());
        Repositories {
            users: this.clone(),
            customers: this.clone(),
            products: this.clone(),
            promotions: this.clone(),
            audit: this.clone(),
            outbox: this,
        }
    }

    /// The underlying pool, for embedders that keep their own tables beside gotemp's.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_sqlx)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(map_sqlx)
    }
}

/// After a guarded UPDATE/DELETE matched no row: the object is either gone (not found) or was
/// changed in between (stale version).
async fn missing_or_stale<'q, I>(
    tx: &mut Transaction<'static, Postgres>,
    table: &'static str,
    entity: &'static str,
    id: I,
    expected: i64,
) -> Error
where
    I: sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + std::fmt::Display + Clone + Send + 'q,
{
    let sql = format!("SELECT version FROM {table} WHERE id = $1");
    match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(id.clone())
        .fetch_optional(&mut **tx)
        .await
    {
        Ok(Some(_)) => Error::stale_version(entity, id, expected),
        Ok(None) => Error::not_found(entity, id),
        Err(e) => map_sqlx(e),
    }
}
