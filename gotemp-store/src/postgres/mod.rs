//! The PostgreSQL store. Writes run in ordinary transactions; an update or delete names the
//! version it expects in its WHERE clause, so the row lock and the version check are one step.

#[cfg(feature = "timescale")]
mod timescale;
#[cfg(feature = "timescale")]
pub use timescale::AuditStorage;

use crate::sql::error::map_sqlx;
use crate::sql::rows;
use crate::sql::{self, Scope, SqlStore, param::encode_param};
use chrono::{DateTime, Utc};
use gotemp_core::entities::{AuditFilter, BucketCount};
use gotemp_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgConnection, Pool, Postgres, QueryBuilder, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;

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
pub type PgStore = SqlStore<Postgres>;

/// What a PostgreSQL store keeps besides its pool.
#[derive(Clone, Debug, Default)]
pub struct PgState {
    /// Set once the LISTEN task for other processes' writes runs.
    listening: Arc<OnceCell<()>>,
    /// Whether the audit trail is a TimescaleDB hypertable (then buckets use `time_bucket`).
    timescale: Arc<AtomicBool>,
}

impl SqlStore<Postgres> {
    /// Connects to `url` (`postgres://user@host:5432/db`) with default pool settings and applies
    /// pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_sized(url, PgSettings::default().max_connections).await
    }

    /// Like [`SqlStore::connect`], with at most `max_connections` connections: a database that
    /// allows only a few (a managed plan, a test server) is used within them.
    pub async fn connect_sized(url: &str, max_connections: u32) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::internal_from(format!("invalid PostgreSQL URL: {e}"), e))?;
        let settings = PgSettings {
            max_connections: max_connections.max(1),
            ..PgSettings::default()
        };
        Self::connect_with(options, &settings).await
    }

    /// Connects with explicit options and pool settings, and applies pending migrations.
    pub async fn connect_with(options: PgConnectOptions, settings: &PgSettings) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(map_sqlx)?;
        let store = Self::with_pool(pool);
        store.migrate().await?;
        #[cfg(feature = "timescale")]
        store.prepare_audit_storage().await?;
        Ok(store)
    }

    /// Applies the migrations that have not run yet (safe to call from several processes: sqlx
    /// takes an advisory lock), then chains audit records stored before the hash chain. When
    /// every migration has run already, nothing is asked of the database but to read which (and
    /// whether records wait to be chained): so a role that does not own the tables (granted
    /// `gotemp_data`, see docs/tenancy.md) can serve a database its owner migrated.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = crate::migrations::migrator(crate::migrations::POSTGRES);
        if !self.migrated(&migrator).await {
            migrator.run(&self.pool).await.map_err(|e| {
                Error::internal_from(format!("PostgreSQL migration failed: {e}"), e)
            })?;
        } else if !self.may_chain().await {
            // Chaining changes stored records: the tables' owner's (granted nothing else may),
            // across tenants. A serving role that does not own them leaves it to `gotemp migrate`.
            return Ok(());
        }
        self.chain_unchained().await.map(drop)
    }

    /// Whether this login may chain stored records: update the trail, across tenants.
    async fn may_chain(&self) -> bool {
        sqlx::query_scalar(
            "SELECT has_table_privilege('audit_records', 'UPDATE') \
             AND pg_has_role(current_user, $1, 'MEMBER')",
        )
        .bind(CROSS_TENANT_ROLE)
        .fetch_one(&self.pool)
        .await
        .unwrap_or(false)
    }

    /// Whether exactly the migrations of `migrator` have run on this database, successfully and
    /// as written (same checksums). Anything else — one pending, one changed, one of a newer
    /// release, a failed one — is the migrator's to apply or to refuse.
    async fn migrated(&self, migrator: &sqlx::migrate::Migrator) -> bool {
        let applied: std::result::Result<Vec<(i64, Vec<u8>, bool)>, _> =
            sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations")
                .fetch_all(&self.pool)
                .await;
        let Ok(mut applied) = applied else {
            return false; // no table yet, or not ours to read: let the migrator say
        };
        applied.sort_by_key(|(version, ..)| *version);
        let known: Vec<_> = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| (m.version, m.checksum.to_vec(), true))
            .collect();
        applied == known
    }
}

/// The role of the work that crosses tenants: the row-level security policies of migration 0009
/// let it see every tenant's rows.
pub const CROSS_TENANT_ROLE: &str = "gotemp_cross_tenant";

/// A transaction whose statements see only the rows of `scope`: the tenant in the transaction's
/// own `gotemp.tenant` setting, or the cross-tenant role for the transaction. Both are set with
/// the `BEGIN`, in its round trip, and end with the transaction, so a pooled connection never
/// carries one request's tenant into another's.
async fn begin_in(
    pool: &Pool<Postgres>,
    scope: Scope<'_>,
) -> Result<Transaction<'static, Postgres>> {
    let begin = match scope {
        // A key is `[a-z0-9-]` (TenantId); quotes are doubled all the same.
        Scope::Tenant(tenant) => format!(
            "BEGIN; SELECT set_config('gotemp.tenant', '{}', true)",
            tenant.as_str().replace('\'', "''")
        ),
        Scope::CrossTenant => format!("BEGIN; SET LOCAL ROLE {CROSS_TENANT_ROLE}"),
    };
    pool.begin_with(sqlx::AssertSqlSafe(begin))
        .await
        .map_err(map_sqlx)
}

// PostgreSQL keeps times as `timestamptz`.
encode_param!(Postgres, |t: DateTime<Utc>| t);

impl sql::Sql for Postgres {
    type State = PgState;
    rows::dialect_rows!(DateTime<Utc>);

    const SYSTEM: &'static str = "postgresql";
    /// Relays running at once skip the rows another relay is claiming instead of waiting.
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    /// A transaction-scoped advisory lock, the same number in every process.
    const ADMINS_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(8123300001)");
    const IS_ADMIN: &'static str = "roles @> '[\"admin\"]'";
    /// PostgreSQL delivers it to listeners when the write's transaction commits.
    const NOTIFY_IN_STATEMENT: Option<&'static str> = Some("pg_notify('gotemp_outbox', '')");
    /// A transaction-local setting the trail's trigger reads; it ends with the transaction.
    const AUDIT_MAINTENANCE_ON: &'static str =
        "SELECT set_config('gotemp.audit_maintenance', $1, true)";
    const AUDIT_MAINTENANCE_OFF: Option<&'static str> = None;

    /// A transaction, the carrier of the scope; a read's is rolled back when dropped, on the
    /// connection's next round trip.
    type Reader = Transaction<'static, Postgres>;

    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }

    fn on_connection(conn: &mut PgConnection) -> impl Executor<'_, Database = Self> {
        conn
    }

    fn rows_affected(result: &sqlx::postgres::PgQueryResult) -> u64 {
        result.rows_affected()
    }

    /// An ordinary transaction in `scope`: an update or delete names the version it expects in
    /// its WHERE clause, so the row lock and the version check are one step.
    async fn begin_write(
        pool: &Pool<Self>,
        scope: Scope<'_>,
    ) -> Result<Transaction<'static, Self>> {
        begin_in(pool, scope).await
    }

    async fn begin_read(pool: &Pool<Self>, scope: Scope<'_>) -> Result<Transaction<'static, Self>> {
        begin_in(pool, scope).await
    }

    /// Starts (once) a task that LISTENs for outbox writes of other processes and wakes this
    /// process's relay. It reconnects by itself and ends when the pool is closed.
    async fn listen_for_other_writers(store: &PgStore) {
        store
            .state
            .listening
            .get_or_init(|| async {
                let pool = store.pool.clone();
                let signal = store.signal.clone();
                tokio::spawn(async move {
                    while !pool.is_closed() {
                        if let Ok(mut listener) =
                            sqlx::postgres::PgListener::connect_with(&pool).await
                            && listener.listen("gotemp_outbox").await.is_ok()
                        {
                            while listener.recv().await.is_ok() {
                                signal.notify_one();
                            }
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                });
            })
            .await;
    }

    /// JSON containment, served by the GIN index on products.
    fn push_product_filter(q: &mut QueryBuilder<Self>, product_id: &str) {
        q.push(" AND products @> jsonb_build_array(jsonb_build_object('product_id', ")
            .push_bind(product_id.to_owned())
            .push("::text))");
    }

    /// A session-level advisory lock on a connection of its own: released when the guard drops
    /// the connection (its session ends), or when the process dies.
    async fn enter_section(
        store: &PgStore,
        name: &str,
    ) -> Result<gotemp_core::ports::SectionGuard> {
        let mut conn = store.pool.acquire().await.map_err(map_sqlx)?;
        sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
            .bind(name)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx)?;
        // Never back into the pool with the lock held.
        Ok(gotemp_core::ports::SectionGuard::holding(conn.detach()))
    }

    fn audit_storage(store: &PgStore) -> &'static str {
        match store.state.timescale.load(Ordering::Acquire) {
            true => "hypertable",
            false => "table",
        }
    }

    /// `date_bin` (PostgreSQL 14+) or TimescaleDB's `time_bucket`, buckets aligned to the epoch.
    async fn bucket_counts(
        store: &PgStore,
        tenant: &gotemp_core::values::TenantId,
        filter: &AuditFilter,
        width: chrono::Duration,
    ) -> Result<Vec<BucketCount>> {
        let secs = width.num_seconds();
        if secs <= 0 {
            return Err(Error::internal("bucket width out of range"));
        }
        // Both align buckets to the epoch, so the answer does not depend on the storage.
        let function = if store.state.timescale.load(Ordering::Acquire) {
            "time_bucket"
        } else {
            "date_bin"
        };
        let mut q =
            QueryBuilder::<Postgres>::new(format!("SELECT {function}(make_interval(secs => "));
        q.push_bind(secs as f64).push(
            "), action_time, TIMESTAMPTZ 'epoch') AS bucket, COUNT(*) AS n FROM audit_records WHERE 1 = 1",
        );
        sql::push_audit_filter(&mut q, tenant, filter);
        q.push(" GROUP BY bucket ORDER BY bucket");
        let mut reader = begin_in(&store.pool, Scope::Tenant(tenant)).await?;
        let rows: Vec<(DateTime<Utc>, i64)> = q
            .build_query_as()
            .fetch_all(&mut *reader)
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
}
