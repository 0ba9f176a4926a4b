//! The SQL both relational stores share: one [`SqlStore`], generic over its [`Dialect`]. The
//! statements (with `$n` placeholders, which SQLite accepts too) and the row mapping are written
//! once; how a time is stored, row locks, notifying other processes, time buckets and how a
//! write transaction starts are the dialect's, implemented once per database (`postgres`,
//! `sqlite`).

pub(crate) mod archives;
mod audit;
pub(crate) mod chain;
pub(crate) mod checkpoints;
mod dialect;
pub(crate) mod error;
pub(crate) mod links;
mod master;
mod outbox;
pub(crate) mod param;
mod promotions;
mod purge;
mod row;
pub(crate) mod rows;
mod store;
pub(crate) mod tenants;
mod users;
mod write;

pub(crate) use audit::push_filter as push_audit_filter;
pub use dialect::{Dialect, Read, Scope, Sql};
pub(crate) use param::{Bind, Param, PushArg};
pub use store::SqlStore;
