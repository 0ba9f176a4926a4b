//! gotemp-core: the domain of gotemp's five services (users and authentication, customers,
//! products, promotions, audit), with no I/O.
//!
//! Services ([`services`]) decide: they check every rule, run the embedder's [`hooks`], and hand
//! repositories ([`ports`]) a validated draft together with the audit event that records the
//! change. Adapters in other crates store, publish and cache.

pub mod actor;
pub mod audit_chain;
pub mod auth;
pub mod cache;
pub mod constraints;
pub mod entities;
pub mod error;
pub mod event;
pub mod hooks;
pub mod i18n;
pub mod page;
pub mod policy;
pub mod ports;
mod roles;
pub mod seed;
pub mod services;
pub mod throttle;
pub mod urls;
pub mod values;

// The message catalogues (`locales/<lang>.yml`), compiled in; `i18n` reads them.
#[macro_use]
extern crate rust_i18n;
i18n!("locales", fallback = "en");

pub use actor::Actor;
pub use error::{ConflictKind, Error, FieldError, Result};
