//! What every SQL store offers besides its repositories.

use super::{Db, Store};
use crate::error::map_sqlx;
use gotemp_core::Result;
use gotemp_core::ports::Repositories;
use std::sync::Arc;

impl Store {
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
    pub fn pool(&self) -> &sqlx::Pool<Db> {
        &self.pool
    }

    /// Checks that the database answers (readiness probes).
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
}
