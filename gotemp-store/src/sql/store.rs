//! The SQL store and what it offers besides its repositories.

use super::Dialect;
use crate::sql::error::map_sqlx;
use gotemp_core::Result;
use gotemp_core::ports::Repositories;
use sqlx::Pool;
use std::sync::Arc;
use tokio::sync::Notify;

/// Every repository of gotemp on one SQL database; [`PgStore`](crate::PgStore) and
/// [`SqliteStore`](crate::SqliteStore) name it per database.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pub(crate) pool: Pool<D>,
    /// Woken after every local commit that queued an event (and, where the database can tell,
    /// by other processes' commits), so the relay needs no polling delay.
    pub(crate) signal: Arc<Notify>,
    pub(crate) state: D::State,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            signal: self.signal.clone(),
            state: self.state.clone(),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) fn with_pool(pool: Pool<D>) -> Self {
        Self {
            pool,
            signal: Arc::new(Notify::new()),
            state: D::State::default(),
        }
    }

    /// Every repository, sharing this store's pool.
    pub fn repositories(&self) -> Repositories {
        let this = Arc::new(self.clone());
        Repositories {
            users: this.clone(),
            customers: this.clone(),
            products: this.clone(),
            promotions: this.clone(),
            tenants: this.clone(),
            audit: this.clone(),
            outbox: this.clone(),
            exclusive: this.clone(),
            purge: vec![this.clone()],
            pools: vec![("main", this)],
        }
    }

    /// The underlying pool, for embedders that keep their own tables beside gotemp's.
    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }

    /// Checks that the database answers (readiness probes).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(self.db())
            .await
            .map(drop)
            .map_err(map_sqlx)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Where statements outside a transaction run.
    pub(super) fn db(&self) -> impl sqlx::Executor<'_, Database = D> {
        D::on_pool(&self.pool)
    }
}

impl<D: Dialect> gotemp_core::ports::ConnectionPool for SqlStore<D> {
    fn system(&self) -> &'static str {
        D::SYSTEM
    }

    fn connections(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }
}

#[async_trait::async_trait]
impl<D: super::Dialect> gotemp_core::ports::ExclusiveSection for SqlStore<D> {
    async fn enter(&self, name: &str) -> gotemp_core::Result<gotemp_core::ports::SectionGuard> {
        D::enter_section(self, name).await
    }
}
