//! gotemp-store: the storage adapters of gotemp, behind the repository traits of gotemp-core.
//!
//! - `sqlite` (default feature): the embedded store, one file, no server.
//! - `postgres`: PostgreSQL, for deployments that outgrow one process.
//! - `arango`: customers and products with their hierarchies in ArangoDB (master data only).
//! - `memory-cache` (default) and `redis`: the adapters of the lookup cache ([`cache`]).
//!
//! Every adapter writes each change and its audit event to an outbox in one transaction, maps
//! unique-constraint violations to `Conflict` by constraint name, and passes the public
//! conformance suite of `gotemp-testing` (ArangoDB its master-data part).

#[cfg(feature = "arango")]
pub mod arango;
#[cfg(any(feature = "memory-cache", feature = "redis"))]
pub mod cache;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migrations;
mod no_audit;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "arango")]
pub use arango::ArangoStore;
pub use no_audit::NoAudit;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::error::map_sqlx;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::{Dialect, SqlStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// The repositories of master data (customers and products, with their hierarchies) and the
/// outbox their changes write to: what a store that holds only master data (ArangoDB) serves,
/// and what the facade takes from a store named for master data.
pub struct MasterData {
    /// Customers and their hierarchy.
    pub customers: std::sync::Arc<gotemp_core::ports::CustomerRepository>,
    /// Products and their hierarchies.
    pub products: std::sync::Arc<gotemp_core::ports::ProductRepository>,
    /// The outbox their changes write to.
    pub outbox: std::sync::Arc<dyn gotemp_core::ports::OutboxStore>,
    /// Their store, to remove a tenant's data from.
    pub purge: std::sync::Arc<dyn gotemp_core::ports::TenantPurge>,
}
