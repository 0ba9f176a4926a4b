//! Placeholder crate; see its Cargo description.
