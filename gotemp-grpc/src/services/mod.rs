//! The tonic services, one per gotemp service, each a thin shell over gotemp-core's service:
//! authenticate, convert, call, convert back.

mod audit;
mod customer;
mod links;
mod product;
mod promotion;
mod user;

pub use audit::AuditGrpc;
pub use customer::CustomerGrpc;
pub use product::ProductGrpc;
pub use promotion::PromotionGrpc;
pub use user::UserGrpc;
