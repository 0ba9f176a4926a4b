//! The tonic services, one per gotemp service, each a thin shell over gotemp-core's service:
//! authenticate, convert, call, convert back.

mod audit;
mod links;
mod master;
mod promotion;
mod tenant;
mod user;

pub use audit::AuditGrpc;
pub use master::{MasterGrpc, MasterMessages};

/// The customer service over gRPC.
pub type CustomerGrpc = MasterGrpc<gotemp_core::entities::Customer>;
/// The product service over gRPC.
pub type ProductGrpc = MasterGrpc<gotemp_core::entities::Product>;
pub use promotion::PromotionGrpc;
pub use tenant::TenantGrpc;
pub use user::UserGrpc;
