//! The five services' objects: what is stored and returned (the entity), what a client sends to
//! create or change one (raw inputs), what a service hands a repository after every rule passed
//! (the draft), and what a search can filter on.

mod audit;
mod customer;
mod link;
mod master;
mod product;
mod promotion;
mod tenant;
mod user;

pub use audit::{AuditFilter, AuditRecord, BucketCount};
pub use customer::{Customer, CustomerChanges, CustomerDraft, CustomerFilter, NewCustomer};
pub use link::{
    CustomerLink, Direction, Link, LinkDraft, LinkQuery, NewLink, ProductLink, RELATED_MAX,
    Related, Relation,
};
pub use master::{MasterDraft, MasterEntity, MasterInput};
pub use product::{
    LEVEL_MAX, LEVEL_UNSET, NewProduct, Product, ProductChanges, ProductDraft, ProductExtras,
    ProductFilter,
};
pub use promotion::{
    Discount, NewPromotion, Promotion, PromotionChanges, PromotionDraft, PromotionFilter,
    PromotionProduct,
};
pub use tenant::{NewTenant, NewTenantAdmin, Tenant, TenantChanges, TenantDraft};
pub use user::{AuthStatus, NewRegistration, NewUser, User, UserChanges, UserDraft, UserFilter};

/// Free-form JSON attributes a client may attach to master data (`{"external_id": "12345"}`).
pub type ExtraFields = serde_json::Map<String, serde_json::Value>;
