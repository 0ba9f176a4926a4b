use super::master::{MasterDraft, MasterEntity, MasterInput, master_fields};
use super::{ExtraFields, ProductLink};
use crate::error::Violations;
use crate::event::Auditable;
use crate::values::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A product or product category (master data), e.g. `switch` "Play Switch Console".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    /// String key.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Level in the product hierarchy (`sku`, `cat`, …); [`LEVEL_UNSET`] on products stored
    /// before the level was required.
    pub hierarchy_level: String,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_thru: DateTime<Utc>,
    /// Free-form attributes.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra_fields: ExtraFields,
    /// Set on create.
    pub created_at: DateTime<Utc>,
    /// Set on every change.
    pub updated_at: DateTime<Utc>,
    /// User id of the last actor.
    pub modified_by: i64,
    /// Starts at 1, +1 per update.
    pub version: i64,
}

impl Auditable for Product {
    const OBJECT_NAME: &'static str = "product";
    const SERVICE: &'static str = "product";
    fn object_id(&self) -> String {
        self.id.clone()
    }
}

/// Input to create a product.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProduct {
    /// Key; generated from the name when absent.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub id: Option<String>,
    /// Required, ≤255.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub name: String,
    /// Required, ≤50 (`sku`, `cat`, …), as the original required it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub hierarchy_level: String,
    /// Defaults to now.
    pub valid_from: Option<DateTime<Utc>>,
    /// Defaults to a year after `valid_from`.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Free-form attributes.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra_fields: Option<ExtraFields>,
}

/// Input to change a product: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductChanges {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub name: Option<String>,
    /// New hierarchy level; it is required, so empty is refused rather than clearing it.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub hierarchy_level: Option<String>,
    /// New start of validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// New end of validity.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Replaces all extra fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra_fields: Option<ExtraFields>,
}

/// A product that passed every rule.
pub type ProductDraft = MasterDraft<Product>;

/// What a product adds to the common fields of master data, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductExtras {
    /// Level in the product hierarchy.
    pub hierarchy_level: Text,
}

/// Search filters for products.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFilter {
    /// Exact key.
    pub id: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// Exact hierarchy level.
    pub hierarchy_level: Option<String>,
    /// Valid on this instant.
    pub valid_on: Option<DateTime<Utc>>,
}

/// Longest hierarchy level accepted.
pub const LEVEL_MAX: usize = 50;

/// The level given to products stored before the level was required (migration 0006, and
/// ArangoDB documents without one), so `hierarchy_level=unset` finds exactly those to fix.
pub const LEVEL_UNSET: &str = "unset";

/// Products add a hierarchy level; their parent links (categories) take any kind, and products
/// alone have components.
impl MasterEntity for Product {
    type Extras = ProductExtras;
    /// The hierarchy level sent; absent on update keeps the stored one.
    type RawExtras = Option<String>;
    type New = NewProduct;
    type Changes = ProductChanges;
    type Filter = ProductFilter;
    type Link = ProductLink;
    const PARENT_KINDS: &'static [&'static str] = &[];
    const RESOURCE: crate::policy::Resource = crate::policy::Resource::Products;

    fn policy_object(&self) -> crate::policy::Object<'_> {
        crate::policy::Object::Product(self)
    }

    master_fields!(NewProduct, ProductChanges, hierarchy_level);

    fn parse_extras(
        v: &mut Violations,
        level: Option<String>,
        stored: Option<&Self>,
    ) -> Option<ProductExtras> {
        let level = match (level, stored) {
            (None, Some(stored)) => stored.hierarchy_level.clone(),
            (level, _) => level.unwrap_or_default(),
        };
        let level = Text::parse("hierarchy_level", &level, LEVEL_MAX);
        v.check(level)
            .map(|hierarchy_level| ProductExtras { hierarchy_level })
    }

    fn text_filters(filter: &ProductFilter) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("id", filter.id.as_deref()),
            ("name", filter.name.as_deref()),
            ("hierarchy_level", filter.hierarchy_level.as_deref()),
        ]
    }

    fn valid_on(filter: &ProductFilter) -> Option<DateTime<Utc>> {
        filter.valid_on
    }

    fn stored_extras(extras: &ProductExtras) -> Vec<(&'static str, Option<&str>)> {
        vec![("hierarchy_level", Some(extras.hierarchy_level.as_str()))]
    }
}
