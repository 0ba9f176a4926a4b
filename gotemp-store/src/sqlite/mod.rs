//! The embedded store: one SQLite file, no server. WAL journaling lets readers run beside the
//! single writer; every write transaction starts with `BEGIN IMMEDIATE`, so it takes the write
//! lock up front and waits its turn (busy timeout) instead of failing half-way.

use crate::sql::error::map_sqlx;
use crate::sql::rows;
use crate::sql::{self, Scope, SqlStore, param::encode_param};
use chrono::{DateTime, Utc};
use gotemp_core::entities::{AuditFilter, BucketCount};
use gotemp_core::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, Pool, QueryBuilder, Sqlite, SqliteConnection, Transaction};
use std::str::FromStr;
use std::time::Duration;

mod backup;
pub use backup::{backup, restore};

/// The SQLite store: every repository of gotemp on one database file.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating when missing, with its parent directory) the database at `url`
    /// (`sqlite://data/gotemp.db`, `sqlite:///abs/path.db`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_sized(url, 8).await
    }

    /// Like [`SqlStore::connect`], with at most `max_connections` connections (readers; SQLite
    /// takes one writer at a time whatever the pool).
    pub async fn connect_sized(url: &str, max_connections: u32) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::internal_from(format!("invalid SQLite URL {url:?}: {e}"), e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        private_file(options.get_filename())?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_sqlx)?;
        let store = Self::with_pool(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that have not run yet, and chains audit records stored before
    /// the hash chain existed.
    pub async fn migrate(&self) -> Result<()> {
        crate::migrations::migrator(crate::migrations::SQLITE)
            .run(&self.pool)
            .await
            .map_err(|e| Error::internal_from(format!("SQLite migration failed: {e}"), e))?;
        self.chain_unchained().await.map(drop)
    }
}

/// Creates a database file that does not exist yet, and its missing directories, readable by
/// its owner only (0600, directories 0700): the file holds every user's password hash. SQLite
/// gives its `-wal` and `-shm` files the database file's permissions. Existing files and
/// directories are left as they are.
fn private_file(path: &std::path::Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.to_string_lossy().starts_with(':') || path.exists() {
        return Ok(());
    }
    let unavailable = |what: &std::path::Path, e: std::io::Error| {
        Error::unavailable_from(format!("cannot create {}: {e}", what.display()), e)
    };
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| unavailable(dir, e))?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        // Another process created it meanwhile: theirs to have set up.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(unavailable(path, e)),
    }
}

// SQLite keeps times as integer microseconds since the epoch (UTC): they sort and compare
// exactly, unlike text.
encode_param!(Sqlite, |t: DateTime<Utc>| t.timestamp_micros());

impl sql::Sql for Sqlite {
    type State = ();
    rows::dialect_rows!(i64);

    const SYSTEM: &'static str = "sqlite";
    /// SQLite has no row locks to skip: its writers are serialized already.
    const SKIP_LOCKED: &'static str = "";
    const ADMINS_LOCK: Option<&'static str> = None;
    const IS_ADMIN: &'static str =
        "EXISTS (SELECT 1 FROM json_each(users.roles) AS r WHERE r.value = 'admin')";
    /// One process owns an SQLite file; the in-process signal is all the notice a relay needs.
    const NOTIFY_IN_STATEMENT: Option<&'static str> = None;
    /// A row the trail's triggers look for; one writer at a time, so no other transaction
    /// sees it before it is deleted again.
    const AUDIT_MAINTENANCE_ON: &'static str = "INSERT INTO audit_maintenance (mode) VALUES ($1)";
    const AUDIT_MAINTENANCE_OFF: Option<&'static str> = Some("DELETE FROM audit_maintenance");

    /// A pooled connection: the statements name their tenant, and nothing else can reach the file.
    type Reader = sqlx::pool::PoolConnection<Sqlite>;

    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }

    fn on_connection(conn: &mut SqliteConnection) -> impl Executor<'_, Database = Self> {
        conn
    }

    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// `BEGIN IMMEDIATE`: the write lock up front, so a write waits its turn (busy timeout)
    /// instead of failing half-way when it first writes.
    async fn begin_write(pool: &Pool<Self>, _: Scope<'_>) -> Result<Transaction<'static, Self>> {
        pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_sqlx)
    }

    async fn begin_read(pool: &Pool<Self>, _: Scope<'_>) -> Result<Self::Reader> {
        pool.acquire().await.map_err(map_sqlx)
    }

    /// One process serves the file.
    async fn enter_section(_: &SqliteStore, _: &str) -> Result<gotemp_core::ports::SectionGuard> {
        Ok(gotemp_core::ports::SectionGuard::none())
    }

    /// Only this process writes the file: nothing to listen to.
    async fn listen_for_other_writers(_: &SqliteStore) {}

    /// A scan of the JSON array.
    fn push_product_filter(q: &mut QueryBuilder<Self>, product_id: &str) {
        q.push(" AND EXISTS (SELECT 1 FROM json_each(promotions.products) AS p WHERE json_extract(p.value, '$.product_id') = ")
            .push_bind(product_id.to_owned())
            .push(")");
    }

    /// Floor division of the microsecond times, so buckets line up with the epoch like
    /// PostgreSQL's `date_bin`, also before 1970.
    async fn bucket_counts(
        store: &SqliteStore,
        tenant: &gotemp_core::values::TenantId,
        filter: &AuditFilter,
        width: chrono::Duration,
    ) -> Result<Vec<BucketCount>> {
        let w = width
            .num_microseconds()
            .filter(|w| *w > 0)
            .ok_or_else(|| Error::internal("bucket width out of range"))?;
        let mut q = QueryBuilder::<Sqlite>::new("SELECT action_time - (((action_time % ");
        q.push_bind(w)
            .push(") + ")
            .push_bind(w)
            .push(") % ")
            .push_bind(w)
            .push(") AS bucket, COUNT(*) AS n FROM audit_records WHERE 1 = 1");
        sql::push_audit_filter(&mut q, tenant, filter);
        q.push(" GROUP BY bucket ORDER BY bucket");
        let rows: Vec<(i64, i64)> = q
            .build_query_as()
            .fetch_all(&store.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(rows
            .into_iter()
            .map(|(b, n)| BucketCount {
                bucket_start: DateTime::from_timestamp_micros(b).unwrap_or_default(),
                count: n,
            })
            .collect())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    /// The database holds every password hash: a new one, and the directories made for it, are
    /// its owner's alone (the `-wal` file SQLite adds follows the database's permissions).
    #[tokio::test]
    async fn a_new_database_and_its_directory_are_private() {
        let root = std::env::temp_dir().join(format!("gotemp-private-{}", uuid::Uuid::now_v7()));
        let file = root.join("data").join("gotemp.db");
        let store = super::SqliteStore::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&root.join("data")), 0o700);
        let wal = root.join("data").join("gotemp.db-wal");
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
        store.close().await;
        std::fs::remove_dir_all(&root).unwrap();
    }
}
