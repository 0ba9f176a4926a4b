//! The embedded store: one SQLite file, no server. WAL journaling lets readers run beside the
//! single writer; every write transaction starts with `BEGIN IMMEDIATE`, so it takes the write
//! lock up front and waits its turn (busy timeout) instead of failing half-way.

mod audit;
mod customers;
mod outbox;
mod products;
mod promotions;
mod users;

use crate::error::map_sqlx;
use gotemp_core::ports::Repositories;
use gotemp_core::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The SQLite store: every repository of gotemp on one database file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing, with its parent directory) the database at `url`
    /// (`sqlite://data/gotemp.db`, `sqlite:///abs/path.db`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::Internal(format!("invalid SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_sqlx)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("SQLite migration failed: {e}")))
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
    pub fn pool(&self) -> &SqlitePool {
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

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_sqlx)
    }
}

/// Microseconds since the epoch, as SQLite stores times.
fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// After a guarded UPDATE/DELETE matched no row: the object is either gone (not found) or was
/// changed in between (stale version).
async fn missing_or_stale<'q, I>(
    tx: &mut Transaction<'static, Sqlite>,
    table: &'static str,
    entity: &'static str,
    id: I,
    expected: i64,
) -> Error
where
    I: sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + std::fmt::Display + Clone + Send + 'q,
{
    let sql = format!("SELECT version FROM {table} WHERE id = ?");
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
