//! The SQL both relational stores share. This module is compiled once inside `sqlite` and once
//! inside `postgres` (a `#[path]` module), against that backend's `Store`, `Db`, `DbTime` and
//! `db_time`: the statements (with `$n` placeholders, which SQLite accepts too) and the row
//! mapping are the same, only the driver and a few dialect fragments differ.

use super::{
    Db, DbTime, OUTBOX_NOTIFY, SKIP_LOCKED, Store, bucket_counts, db_time, push_product_filter,
};

mod audit;
mod links;
mod master;
mod outbox;
mod promotions;
mod store;
mod users;
mod write;

pub(super) use audit::push_filter as push_audit_filter;
