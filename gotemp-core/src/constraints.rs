//! Names of the unique constraints every store creates, and the domain error each becomes.
//! Stores turn a violation into `Conflict` by constraint name, never by checking first (which
//! races with a concurrent insert).

use crate::error::{ConflictKind, Error};

/// Unique index on `lower(email)` of users.
pub const USER_EMAIL: &str = "users_email_key";
/// Primary key of customers.
pub const CUSTOMER_ID: &str = "customers_pkey";
/// Primary key of products.
pub const PRODUCT_ID: &str = "products_pkey";

/// Primary key of customer links (both ends and the relation).
pub const CUSTOMER_LINK: &str = "customer_links_pkey";
/// Primary key of product links.
pub const PRODUCT_LINK: &str = "product_links_pkey";

/// The conflict a unique violation of `constraint` means, or `None` for a constraint this module
/// does not know (a store then reports it as internal: it is a bug, not a user error).
/// A tenant's key is unique.
pub const TENANT_KEY: &str = "tenants_pkey";

pub fn unique_violation(constraint: &str) -> Option<Error> {
    let (field, message) = match constraint {
        USER_EMAIL => ("email", crate::tr!("conflict.user_email")),
        CUSTOMER_ID => ("id", crate::tr!("conflict.customer_id")),
        PRODUCT_ID => ("id", crate::tr!("conflict.product_id")),
        CUSTOMER_LINK => ("id", crate::tr!("conflict.customer_link")),
        PRODUCT_LINK => ("id", crate::tr!("conflict.product_link")),
        TENANT_KEY => ("key", crate::tr!("conflict.tenant_key")),
        _ => return None,
    };
    Some(Error::conflict(
        ConflictKind::Duplicate,
        Some(field),
        message,
    ))
}
