//! The five services: every operation of `docs/services.md`, the built-in rules, hooks, and the
//! audit event of every write. They decide; repositories only store.

pub mod audit;
mod common;
mod links;
mod login;
mod master;
mod promotion;
mod status_memo;
mod tenant;
mod user;

pub use audit::{AuditService, Buckets, MAX_DEAD_LETTERS, Replayed};
pub use login::{Authenticated, LoginOutcome};
pub use master::{CustomerService, MasterDataService, NAME_MAX, ProductService};
pub use promotion::PromotionService;
pub use tenant::{TENANT_NAME_MAX, TenantData, TenantGate, TenantService};
pub use user::UserService;

#[cfg(test)]
mod tests;
