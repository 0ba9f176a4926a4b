//! What sets one SQL database apart from another, in one place: the statements every SQL store
//! runs are generic over a [`Dialect`], and each database implements it once (`postgres`,
//! `sqlite`).

use super::{Param, SqlStore};
use chrono::Duration;
use gotemp_core::entities::{
    AuditFilter, AuditRecord, AuthStatus, BucketCount, Customer, Link, Product, Promotion, User,
};
use gotemp_core::ports::{DeadLetter, OutboxEntry, SetAside};
use gotemp_core::values::PasswordHash;
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder, Transaction};
use std::fmt::Debug;
use std::ops::DerefMut;

/// Whose rows a statement may see and write: one tenant's, or (for the work that crosses
/// tenants: the relay, the audit consumer, login by e-mail, tenant administration) every
/// tenant's. On PostgreSQL the scope is the transaction's (row-level security, a second line of
/// defence behind the tenant every statement names); SQLite relies on the statements alone.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// The rows of one tenant.
    Tenant(&'a TenantId),
    /// The rows of every tenant.
    CrossTenant,
}

/// A database a [`SqlStore`] runs on: PostgreSQL ([`sqlx::Postgres`]) or SQLite
/// ([`sqlx::Sqlite`]). Sealed: gotemp's statements are written and tested for these two.
pub trait Dialect: Sql {}

impl<D: Sql> Dialect for D {}

/// A row type a statement reads.
pub trait Read<D: Database>: for<'r> FromRow<'r, D::Row> + Send + Unpin + 'static {}

impl<D: Database, T> Read<D> for T where T: for<'r> FromRow<'r, D::Row> + Send + Unpin + 'static {}

/// Everything the shared statements need of a database and everything in which databases
/// differ. The associated types name, per database, what the statements bind and read: Rust
/// carries bounds on them (unlike bounds on other types) to the generic code that uses them.
pub trait Sql: Database<Arguments: IntoArguments<Self>> {
    /// What a store on this database keeps besides its pool.
    type State: Clone + Debug + Default + Send + Sync + 'static;
    /// [`Param`] as this database encodes it (always `Param` itself).
    type Param: for<'q> Encode<'q, Self> + sqlx::Type<Self> + From<Param> + Send + 'static;
    /// The rows, with times as this database stores them.
    type UserRow: Read<Self> + Into<User>;
    /// A user with the version of its tokens.
    type AuthStatusRow: Read<Self> + Into<AuthStatus>;
    /// A user with the stored hash, read for login only.
    type CredentialsRow: Read<Self> + Into<(AuthStatus, PasswordHash)>;
    /// A promotion.
    type PromotionRow: Read<Self> + Into<Promotion>;
    /// A customer.
    type CustomerRow: Read<Self> + Into<Customer>;
    /// A product.
    type ProductRow: Read<Self> + Into<Product>;
    /// A hierarchy link, under names that cannot clash with a vertex's columns in a join.
    type LinkRow: Read<Self> + TryInto<Link, Error = Error>;
    /// An audit record.
    type AuditRow: Read<Self> + TryInto<AuditRecord, Error = Error>;
    /// An event the audit service could not record.
    type DeadLetterRow: Read<Self> + Into<DeadLetter>;
    /// An outbox row.
    type OutboxRow: Read<Self> + Into<OutboxEntry>;
    /// An event of the outbox set aside by the relay.
    type SetAsideRow: Read<Self> + Into<SetAside>;
    /// A tenant.
    type TenantRow: Read<Self> + Into<gotemp_core::entities::Tenant>;
    /// One integer column named `n`.
    type Number: Read<Self> + Into<i64>;
    /// A row of `audit_chains`.
    type ChainHeadRow: Read<Self> + Into<gotemp_core::audit_chain::ChainHead>;
    /// A stored checkpoint's note.
    type NoteRow: Read<Self> + Into<String>;
    /// A tenant's key alone.
    type TenantKeyRow: Read<Self> + Into<TenantId>;
    /// An event id alone.
    type EventIdRow: Read<Self> + Into<uuid::Uuid>;
    /// A row of `audit_archives`.
    type ArchiveRow: Read<Self> + Into<gotemp_core::audit_chain::ArchiveAnchor>;
    /// A connection that reads in a [`Scope`] (a transaction where the database needs one to
    /// carry the scope); given back to the pool when dropped.
    type Reader: DerefMut<Target = Self::Connection> + Send;

    /// The database's name in traces (OpenTelemetry `db.system.name`).
    const SYSTEM: &'static str;
    /// Appended to the relay's claim, so relays running at once skip each other's rows.
    const SKIP_LOCKED: &'static str;
    /// Taken inside a user write that could leave no active admin, so two such writes cannot
    /// both pass the check (SQLite serialises writers already).
    const ADMINS_LOCK: Option<&'static str>;
    /// A condition on `users` rows: the user has the `admin` role.
    const IS_ADMIN: &'static str;
    /// An expression that wakes relays in other processes when the write's transaction
    /// commits, on a database where a write and its event can be one statement (a
    /// data-modifying `WITH`). `None`: one process owns the database (SQLite), and each write is
    /// a transaction of several statements.
    const NOTIFY_IN_STATEMENT: Option<&'static str>;
    /// Says, inside a transaction, that it is one of gotemp's own paths past the audit trail's
    /// insert-only triggers (`$1`: `chain` or `archive`).
    const AUDIT_MAINTENANCE_ON: &'static str;
    /// Undoes it before the commit, where it would outlive the transaction; `None` where it
    /// ends with the transaction.
    const AUDIT_MAINTENANCE_OFF: Option<&'static str>;

    /// The pool as the executor of statements outside a transaction.
    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;

    /// A connection (a transaction's) as the executor of its statements.
    fn on_connection(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// How many rows a statement wrote.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Starts a write transaction in `scope`.
    fn begin_write(
        pool: &Pool<Self>,
        scope: Scope<'_>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>>> + Send;

    /// A connection whose statements read in `scope`.
    fn begin_read(
        pool: &Pool<Self>,
        scope: Scope<'_>,
    ) -> impl Future<Output = Result<Self::Reader>> + Send;

    /// Makes sure this process hears of outbox writes by other processes.
    fn listen_for_other_writers(store: &SqlStore<Self>) -> impl Future<Output = ()> + Send;

    /// Promotions that include a product.
    fn push_product_filter(q: &mut QueryBuilder<Self>, product_id: &str);

    /// Enters the section `name`, which one process at a time may be in (see
    /// [`gotemp_core::ports::ExclusiveSection`]).
    fn enter_section(
        store: &SqlStore<Self>,
        name: &str,
    ) -> impl Future<Output = Result<gotemp_core::ports::SectionGuard>> + Send;

    /// How the audit trail is kept (`table`, or `hypertable` on TimescaleDB).
    fn audit_storage(_store: &SqlStore<Self>) -> &'static str {
        "table"
    }

    /// Audit counts of `tenant` per time bucket, buckets aligned to the epoch.
    fn bucket_counts(
        store: &SqlStore<Self>,
        tenant: &gotemp_core::values::TenantId,
        filter: &AuditFilter,
        width: Duration,
    ) -> impl Future<Output = Result<Vec<BucketCount>>> + Send;
}
