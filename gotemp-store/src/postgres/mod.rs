//! The PostgreSQL store. Writes run in ordinary transactions; an update or delete names the
//! version it expects in its WHERE clause, so the row lock and the version check are one step.

#[path = "../sql/audit.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod audit;
#[path = "../sql/customers.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod customers;
#[path = "../sql/outbox.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod outbox;
#[path = "../sql/products.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod products;
#[path = "../sql/promotions.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod promotions;
#[path = "../sql/store.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod store;
#[path = "../sql/users.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod users;
#[path = "../sql/write.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per backend"
)]
mod write;

use crate::error::map_sqlx;
use chrono::{DateTime, Utc};
use gotemp_core::entities::{AuditFilter, BucketCount};
use gotemp_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use std::str::FromStr;
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

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(map_sqlx)
    }
}

// What the shared SQL modules compile against.
type Store = PgStore;
type Db = Postgres;
/// PostgreSQL keeps times as `timestamptz`.
type DbTime = DateTime<Utc>;

fn db_time(t: DateTime<Utc>) -> DbTime {
    t
}

/// Promotions that include a product: JSON containment, served by the GIN index on products.
fn push_product_filter(q: &mut QueryBuilder<Postgres>, product_id: &str) {
    q.push(" AND products @> jsonb_build_array(jsonb_build_object('product_id', ")
        .push_bind(product_id.to_owned())
        .push("::text))");
}

/// Audit counts per bucket with `date_bin` (PostgreSQL 14+), buckets aligned to the epoch.
async fn bucket_counts(
    store: &PgStore,
    filter: &AuditFilter,
    width: chrono::Duration,
) -> Result<Vec<BucketCount>> {
    let secs = width.num_seconds();
    if secs <= 0 {
        return Err(Error::Internal("bucket width out of range".into()));
    }
    let mut q = QueryBuilder::<Postgres>::new("SELECT date_bin(make_interval(secs => ");
    q.push_bind(secs as f64).push(
        "), action_time, TIMESTAMPTZ 'epoch') AS bucket, COUNT(*) AS n FROM audit_records WHERE 1 = 1",
    );
    audit::push_filter(&mut q, filter);
    q.push(" GROUP BY bucket ORDER BY bucket");
    let rows: Vec<(DateTime<Utc>, i64)> = q
        .build_query_as()
        .fetch_all(&store.pool)
        .await
        .map_err(map_sqlx)?;
    Ok(rows
        .into_iter()
        .map(|(bucket_start, count)| BucketCount {
            bucket_start,
            count,
        })
        .collect())
}
