//! The five services: every operation of SPEC.md, the built-in rules, hooks, and the audit event
//! of every write. They decide; repositories only store.

mod audit;
mod common;
mod customer;
mod links;
mod product;
mod promotion;
mod user;

pub use audit::AuditService;
pub use customer::CustomerService;
pub use product::ProductService;
pub use promotion::PromotionService;
pub use user::{LoginOutcome, UserService};

#[cfg(test)]
mod tests;
