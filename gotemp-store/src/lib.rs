//! gotemp-store: the storage adapters of gotemp, behind the repository traits of gotemp-core.
//!
//! - `sqlite` (default feature): the embedded store, one file, no server.
//! - `postgres`: PostgreSQL, for deployments that outgrow one process.
//! - `memory-cache` (default) and `redis`: the adapters of the lookup cache ([`cache`]).
//!
//! Every adapter writes each change and its audit event to an outbox in one transaction, maps
//! unique-constraint violations to `Conflict` by constraint name, and passes the public
//! [`conformance`] suite, which future adapters (ArangoDB) reuse.

#[cfg(any(feature = "memory-cache", feature = "redis"))]
pub mod cache;
pub mod conformance;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod error;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod testing;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use error::map_sqlx;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
