use crate::event::Auditable;
use crate::values::{EntityKey, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A promotion a customer gets on some products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Promotion {
    /// Generated id.
    pub id: i64,
    /// Name, ≤50.
    pub name: String,
    /// Description, ≤255.
    pub description: Option<String>,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_thru: DateTime<Utc>,
    /// Active flag.
    pub active: bool,
    /// Key of the customer the promotion is for.
    pub customer_id: String,
    /// The customer's name, looked up from the customer service (read-only; absent when the
    /// look-up failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Products on promotion with their discounts.
    pub products: Vec<PromotionProduct>,
    /// Approval workflow state; 0 is the initial state.
    pub approval_status: i32,
    /// The state before the last change of `approval_status` (kept by the service).
    pub prev_approval_status: i32,
    /// Set on create.
    pub created_at: DateTime<Utc>,
    /// Set on every change.
    pub updated_at: DateTime<Utc>,
    /// User id of the last actor.
    pub modified_by: i64,
    /// Starts at 1, +1 per update.
    pub version: i64,
}

impl Auditable for Promotion {
    const OBJECT_NAME: &'static str = "promotion";
    const SERVICE: &'static str = "promotion";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

/// A product line of a promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionProduct {
    /// Product key (required).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub product_id: String,
    /// UPC code, ≤50.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub upc_code: Option<String>,
    /// Discounts on this product, at most 50.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub discounts: Vec<Discount>,
}

/// A discount on a promotion's product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Discount {
    /// Number within the product line; 0 or absent on input means "assign the next one".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub id: i64,
    /// Amount; must be positive.
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0.0))]
    pub value: f64,
    /// Discount type code (e.g. percentage, amount), as the original's integer type.
    #[serde(default)]
    pub kind: i32,
    /// Description, ≤255.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub description: Option<String>,
}

/// Input to create a promotion.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPromotion {
    /// Required, ≤50.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub name: String,
    /// Optional, ≤255.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub description: Option<String>,
    /// Required.
    pub valid_from: Option<DateTime<Utc>>,
    /// Required, after `valid_from`.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Defaults to false.
    #[serde(default)]
    pub active: bool,
    /// Required; the customer must exist.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub customer_id: String,
    /// Products and discounts, at most 1,000 lines.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub products: Vec<PromotionProduct>,
    /// Defaults to 0 (initial state).
    #[serde(default)]
    pub approval_status: i32,
}

/// Input to change a promotion: absent fields keep their value; `products` replaces the list.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionChanges {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub name: Option<String>,
    /// New description; empty clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub description: Option<String>,
    /// New start of validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// New end of validity.
    pub valid_thru: Option<DateTime<Utc>>,
    /// New active flag.
    pub active: Option<bool>,
    /// New customer (must exist).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub customer_id: Option<String>,
    /// New product list, at most 1,000 lines.
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub products: Option<Vec<PromotionProduct>>,
    /// New approval state; the old one moves to `prev_approval_status`.
    pub approval_status: Option<i32>,
}

impl PromotionChanges {
    /// Whether it changes anything besides the approval status (which takes a permission of
    /// its own).
    pub fn changes_more_than_approval(&self) -> bool {
        self.name.is_some()
            || self.description.is_some()
            || self.valid_from.is_some()
            || self.valid_thru.is_some()
            || self.active.is_some()
            || self.customer_id.is_some()
            || self.products.is_some()
    }
}

/// A promotion that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct PromotionDraft {
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// Validity.
    pub validity: ValidityPeriod,
    /// Active flag.
    pub active: bool,
    /// Customer key.
    pub customer_id: EntityKey,
    /// Checked product lines (ids assigned, values positive).
    pub products: Vec<PromotionProduct>,
    /// Approval state.
    pub approval_status: i32,
    /// Previous approval state.
    pub prev_approval_status: i32,
}

impl PromotionDraft {
    /// The promotion this draft becomes once stored as `id` with `event` (its `updated_at` and
    /// `modified_by`): what the policy is asked about before a create or change is written.
    pub fn stored(
        &self,
        id: i64,
        created_at: DateTime<Utc>,
        event: &crate::event::PendingEvent,
        version: i64,
    ) -> Promotion {
        Promotion {
            id,
            name: self.name.as_str().to_owned(),
            description: self.description.as_ref().map(|d| d.as_str().to_owned()),
            valid_from: self.validity.valid_from(),
            valid_thru: self.validity.valid_thru(),
            active: self.active,
            customer_id: self.customer_id.as_str().to_owned(),
            customer_name: None,
            products: self.products.clone(),
            approval_status: self.approval_status,
            prev_approval_status: self.prev_approval_status,
            created_at,
            updated_at: event.occurred_at,
            modified_by: event.performed_by,
            version,
        }
    }
}

/// Search filters for promotions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionFilter {
    /// Exact id.
    pub id: Option<i64>,
    /// Exact name.
    pub name: Option<String>,
    /// Promotions that include this product.
    pub product_id: Option<String>,
    /// Promotions for this customer.
    pub customer_id: Option<String>,
    /// Valid on this instant.
    pub valid_on: Option<DateTime<Utc>>,
}
