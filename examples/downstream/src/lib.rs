//! An application built on gotemp: here only a name for its tests to use. Its tests show the
//! two ways an application tests against gotemp — the whole service on free ports
//! (`tests/app.rs`), and an adapter of its own held to every port's contract
//! (`tests/adapter.rs`).

/// The key of the customer the tests create.
pub const CUSTOMER: &str = "downstream-acme";
