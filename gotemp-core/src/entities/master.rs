//! What customers and products share. Both are master data: a string key, a name, a validity
//! period and free-form attributes, linked into hierarchies. Each kind states only what it adds
//! ([`MasterEntity`]); the service, the repositories and the transports are written once over it,
//! so a rule added to master data reaches customers and products alike.

use super::{ExtraFields, Link};
use crate::cache::Cacheable;
use crate::error::Violations;
use crate::event::Auditable;
use crate::values::{EntityKey, Text, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::fmt::Debug;

/// A kind of master data (customer, product): what it adds to the fields every kind has.
pub trait MasterEntity: Cacheable + Clone + Debug + PartialEq + Send + Sync + 'static {
    /// The kind's own validated fields (nothing for customers, the hierarchy level for
    /// products).
    type Extras: Clone + Debug + PartialEq + Send + Sync + 'static;
    /// The kind's own fields as a client sent them, before any rule ran.
    type RawExtras: Send;
    /// Input to create one.
    type New: Send + 'static;
    /// Input to change one.
    type Changes: Send + 'static;
    /// Search filters.
    type Filter: Debug + Send + Sync + 'static;
    /// A link between two of this kind, as the audit trail records it.
    type Link: Auditable + From<Link> + Into<Link> + Send + Sync;

    /// Kinds a parent link may have; empty: any text, or none.
    const PARENT_KINDS: &'static [&'static str];
    /// What a policy calls this kind.
    const RESOURCE: crate::policy::Resource;

    /// This object, as a policy sees it.
    fn policy_object(&self) -> crate::policy::Object<'_>;

    /// The stored key.
    fn id(&self) -> &str;
    /// The stored name.
    fn name(&self) -> &str;
    /// The stored version.
    fn version(&self) -> i64;
    /// When it was created.
    fn created_at(&self) -> DateTime<Utc>;
    /// The stored validity, from and thru.
    fn validity(&self) -> (DateTime<Utc>, DateTime<Utc>);
    /// The stored free-form attributes.
    fn extra_fields(&self) -> &ExtraFields;

    /// Separates a create input into the common fields and the kind's own.
    fn split_new(input: Self::New) -> (MasterInput, Self::RawExtras);
    /// Separates a change input into the common fields and the kind's own.
    fn split_changes(changes: Self::Changes) -> (MasterInput, Self::RawExtras);
    /// Checks the kind's own fields, recording every failure in `v`. `stored` is the object an
    /// update starts from (absent fields keep its values), `None` on create.
    fn parse_extras(
        v: &mut Violations,
        raw: Self::RawExtras,
        stored: Option<&Self>,
    ) -> Option<Self::Extras>;
    /// The text filters of a search (exact matches), by field name: the name is also the
    /// stored column or attribute it matches.
    fn text_filters(filter: &Self::Filter) -> Vec<(&'static str, Option<&str>)>;
    /// The instant a search asks objects to be valid on.
    fn valid_on(filter: &Self::Filter) -> Option<DateTime<Utc>>;
    /// The kind's own fields as stored, by column or attribute name; `None` is stored as null.
    fn stored_extras(extras: &Self::Extras) -> Vec<(&'static str, Option<&str>)>;
    /// The object a store holds after writing `draft` with `event` (its `updated_at` and
    /// `modified_by`): a store that writes a change and its audit event in one statement needs it
    /// before the database answers.
    fn stored(
        draft: &MasterDraft<Self>,
        created_at: DateTime<Utc>,
        event: &crate::event::PendingEvent,
        version: i64,
    ) -> Self;
}

/// The common fields of a create or change input, as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct MasterInput {
    /// Key (create only; generated from the name when absent).
    pub id: Option<String>,
    /// Name (required on create, unchanged when absent on update).
    pub name: Option<String>,
    /// Start of validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// End of validity.
    pub valid_thru: Option<DateTime<Utc>>,
    /// Free-form attributes (replace all on update).
    pub extra_fields: Option<ExtraFields>,
}

/// Master data that passed every rule, as a service hands it to a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterDraft<E: MasterEntity> {
    /// Key.
    pub id: EntityKey,
    /// Name.
    pub name: Text,
    /// Validity.
    pub validity: ValidityPeriod,
    /// Attributes.
    pub extra_fields: ExtraFields,
    /// What the kind adds.
    pub extras: E::Extras,
}

/// Implements the parts of [`MasterEntity`] that read the same fields in every kind: the
/// accessors, and the split of `$new` and `$changes` into the common fields and the kind's own
/// field (`$own`, when it has one).
macro_rules! master_fields {
    ($new:ident, $changes:ident $(, $own:ident)?) => {
        fn id(&self) -> &str {
            &self.id
        }
        fn name(&self) -> &str {
            &self.name
        }
        fn version(&self) -> i64 {
            self.version
        }
        fn created_at(&self) -> DateTime<Utc> {
            self.created_at
        }
        fn validity(&self) -> (DateTime<Utc>, DateTime<Utc>) {
            (self.valid_from, self.valid_thru)
        }
        fn extra_fields(&self) -> &ExtraFields {
            &self.extra_fields
        }
        fn stored(
            draft: &MasterDraft<Self>,
            created_at: DateTime<Utc>,
            event: &crate::event::PendingEvent,
            version: i64,
        ) -> Self {
            Self {
                id: draft.id.as_str().to_owned(),
                name: draft.name.as_str().to_owned(),
                $($own: draft.extras.$own.as_str().to_owned(),)?
                valid_from: draft.validity.valid_from(),
                valid_thru: draft.validity.valid_thru(),
                extra_fields: draft.extra_fields.clone(),
                created_at,
                updated_at: event.occurred_at,
                modified_by: event.performed_by,
                version,
            }
        }
        fn split_new(input: $new) -> (MasterInput, Self::RawExtras) {
            let common = MasterInput {
                id: input.id,
                name: Some(input.name),
                valid_from: input.valid_from,
                valid_thru: input.valid_thru,
                extra_fields: input.extra_fields,
            };
            (common, ($(Some(input.$own))?))
        }
        fn split_changes(changes: $changes) -> (MasterInput, Self::RawExtras) {
            let common = MasterInput {
                id: None,
                name: changes.name,
                valid_from: changes.valid_from,
                valid_thru: changes.valid_thru,
                extra_fields: changes.extra_fields,
            };
            (common, ($(changes.$own)?))
        }
    };
}
pub(super) use master_fields;
