//! Hierarchies of master data: customers and products are vertices, links are the edges between
//! two of the same kind (`ducksrus` is parent of `ducksrusd` as sold-to; `intamd` is a component
//! of `switch`). Each link has its own validity period, so a hierarchy can change over time.

use crate::error::FieldError;
use crate::event::Auditable;
use crate::values::{EntityKey, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a link says of its two ends: `from` relation `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// `from` is the parent of `to` (customer sold-to/pay-to, product category).
    IsParentOf,
    /// `from` is a component of `to` (products only).
    IsComponentOf,
}

impl Relation {
    /// The canonical name, as stored and as the edge collection is called in ArangoDB.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::IsParentOf => "is_parent_of",
            Relation::IsComponentOf => "is_component_of",
        }
    }

    /// Reads a stored name back.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        match value {
            "is_parent_of" => Ok(Relation::IsParentOf),
            "is_component_of" => Ok(Relation::IsComponentOf),
            _ => Err(FieldError::new(
                field,
                "invalid_relation",
                crate::tr!("field.invalid_relation", field = field),
            )),
        }
    }
}

/// A stored link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    /// The parent, or the component.
    pub from: String,
    /// The child, or the product the component is part of.
    pub to: String,
    /// What `from` is of `to`.
    pub relation: Relation,
    /// The kind of link, e.g. `sold_to` or `pay_to` for customers.
    pub kind: Option<String>,
    /// Start of the link's validity.
    pub valid_from: DateTime<Utc>,
    /// End of the link's validity.
    pub valid_thru: DateTime<Utc>,
    /// Set on create.
    pub created_at: DateTime<Utc>,
    /// User id of the actor who made it.
    pub modified_by: i64,
}

impl Link {
    /// The id a link has in the audit trail: `from:relation:to`.
    pub fn audit_id(&self) -> String {
        format!("{}:{}:{}", self.from, self.relation.as_str(), self.to)
    }
}

/// Input to link two objects; the other end comes from the operation (`add_child` of a parent).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLink {
    /// The other end: the child, or the component.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub id: String,
    /// Customers: `sold_to` or `pay_to` (required). Products: free text, optional.
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub kind: Option<String>,
    /// Defaults to now.
    pub valid_from: Option<DateTime<Utc>>,
    /// Defaults to a year after `valid_from`.
    pub valid_thru: Option<DateTime<Utc>>,
}

/// A link that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkDraft {
    /// The parent, or the component.
    pub from: EntityKey,
    /// The child, or the product.
    pub to: EntityKey,
    /// What `from` is of `to`.
    pub relation: Relation,
    /// Kind of link.
    pub kind: Option<Text>,
    /// Validity of the link.
    pub validity: ValidityPeriod,
}

/// Which way to follow links from an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To the objects this one links to (its children; the products it is a component of).
    Outgoing,
    /// To the objects that link to this one (its parents; its components).
    Incoming,
}

/// Which neighbours of an object to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkQuery {
    /// The relation to follow.
    pub relation: Relation,
    /// The way to follow it.
    pub direction: Direction,
    /// Only links valid on this instant (both ends inclusive).
    pub valid_on: Option<DateTime<Utc>>,
}

/// Most neighbours one hierarchy query returns; hierarchies are shallow and narrow, and a caller
/// who needs more pages through the list operations instead.
pub const RELATED_MAX: u32 = 1000;

/// A neighbour in a hierarchy and the link that leads to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related<T> {
    /// The link.
    pub link: Link,
    /// The object at its other end.
    pub object: T,
}

/// A customer link as the audit trail records it (object `customer_link`, service `customer`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct CustomerLink(pub Link);

/// A product link as the audit trail records it (object `product_link`, service `product`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ProductLink(pub Link);

impl Auditable for CustomerLink {
    const OBJECT_NAME: &'static str = "customer_link";
    const SERVICE: &'static str = "customer";
    fn object_id(&self) -> String {
        self.0.audit_id()
    }
}

impl Auditable for ProductLink {
    const OBJECT_NAME: &'static str = "product_link";
    const SERVICE: &'static str = "product";
    fn object_id(&self) -> String {
        self.0.audit_id()
    }
}

macro_rules! audited_link {
    ($wrapper:ident) => {
        impl From<Link> for $wrapper {
            fn from(link: Link) -> Self {
                Self(link)
            }
        }
        impl From<$wrapper> for Link {
            fn from(audited: $wrapper) -> Self {
                audited.0
            }
        }
    };
}
audited_link!(CustomerLink);
audited_link!(ProductLink);
