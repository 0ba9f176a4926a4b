use super::master::{MasterDraft, MasterEntity, MasterInput, master_fields};
use super::{CustomerLink, ExtraFields};
use crate::error::Violations;
use crate::event::Auditable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A customer (master data), e.g. `ducksrus` "Ducks R Us".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    /// String key.
    pub id: String,
    /// Display name.
    pub name: String,
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

impl Auditable for Customer {
    const OBJECT_NAME: &'static str = "customer";
    const SERVICE: &'static str = "customer";
    fn object_id(&self) -> String {
        self.id.clone()
    }
}

/// Input to create a customer.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCustomer {
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
    /// Defaults to now.
    pub valid_from: Option<DateTime<Utc>>,
    /// Defaults to a year after `valid_from`.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Free-form attributes.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra_fields: Option<ExtraFields>,
}

/// Input to change a customer: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerChanges {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub name: Option<String>,
    /// New start of validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// New end of validity.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Replaces all extra fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra_fields: Option<ExtraFields>,
}

/// A customer that passed every rule.
pub type CustomerDraft = MasterDraft<Customer>;

/// Search filters for customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFilter {
    /// Exact key.
    pub id: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// Valid on this instant.
    pub valid_on: Option<DateTime<Utc>>,
}

/// Customers add nothing to the common fields; their parent links are sold-to or pay-to.
impl MasterEntity for Customer {
    type Extras = ();
    type RawExtras = ();
    type New = NewCustomer;
    type Changes = CustomerChanges;
    type Filter = CustomerFilter;
    type Link = CustomerLink;
    const PARENT_KINDS: &'static [&'static str] = &["sold_to", "pay_to"];
    const RESOURCE: crate::policy::Resource = crate::policy::Resource::Customers;

    fn policy_object(&self) -> crate::policy::Object<'_> {
        crate::policy::Object::Customer(self)
    }

    master_fields!(NewCustomer, CustomerChanges);

    fn parse_extras(_: &mut Violations, _: (), _: Option<&Self>) -> Option<()> {
        Some(())
    }

    fn text_filters(filter: &CustomerFilter) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("id", filter.id.as_deref()),
            ("name", filter.name.as_deref()),
        ]
    }

    fn valid_on(filter: &CustomerFilter) -> Option<DateTime<Utc>> {
        filter.valid_on
    }

    fn stored_extras(_: &()) -> Vec<(&'static str, Option<&str>)> {
        Vec::new()
    }
}
