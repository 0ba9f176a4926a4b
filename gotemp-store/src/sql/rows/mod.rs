//! Row shapes shared by the SQL stores. They are generic over the time column's type, because
//! PostgreSQL stores `timestamptz` while SQLite stores integer microseconds (which sort and
//! compare exactly, unlike text); everything else decodes the same way on both.

use super::row::row;
use chrono::{DateTime, Utc};
use gotemp_core::entities::{
    AuditRecord, Customer, ExtraFields, Product, Promotion, PromotionProduct,
};
use gotemp_core::event::ActionType;
use gotemp_core::ports::{OutboxEntry, SetAside};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::types::Json;
use uuid::Uuid;

/// The row types of a [`Dialect`](crate::sql::Dialect) whose time column decodes as `$time`
/// (with `Param` as its parameter): the associated types every dialect names the same way.
macro_rules! dialect_rows {
    ($time:ty) => {
        type Param = $crate::sql::Param;
        type UserRow = $crate::sql::rows::UserRow<$time>;
        type AuthStatusRow = $crate::sql::rows::AuthStatusRow<$time>;
        type CredentialsRow = $crate::sql::rows::CredentialsRow<$time>;
        type PromotionRow = $crate::sql::rows::PromotionRow<$time>;
        type CustomerRow = $crate::sql::rows::CustomerRow<$time>;
        type ProductRow = $crate::sql::rows::ProductRow<$time>;
        type LinkRow = $crate::sql::links::LinkRow<$time>;
        type AuditRow = $crate::sql::rows::AuditRow<$time>;
        type DeadLetterRow = $crate::sql::rows::DeadLetterRow<$time>;
        type OutboxRow = $crate::sql::rows::OutboxRow;
        type SetAsideRow = $crate::sql::rows::SetAsideRow<$time>;
        type TenantRow = $crate::sql::tenants::TenantRow<$time>;
        type Number = $crate::sql::rows::Number;
        type ChainHeadRow = $crate::sql::chain::ChainHeadRow<$time>;
        type NoteRow = $crate::sql::checkpoints::NoteRow;
        type TenantKeyRow = $crate::sql::chain::TenantKeyRow;
        type EventIdRow = $crate::sql::chain::EventIdRow;
        type ArchiveRow = $crate::sql::archives::ArchiveRow<$time>;
    };
}
pub(crate) use dialect_rows;

mod users;
pub(crate) use users::user_columns;
pub use users::{AuthStatusRow, CredentialsRow, UserRow};

/// A stored time column.
pub trait StoredTime {
    /// The instant it stands for.
    fn utc(self) -> DateTime<Utc>;
}

impl StoredTime for DateTime<Utc> {
    fn utc(self) -> DateTime<Utc> {
        self
    }
}

impl StoredTime for i64 {
    fn utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self).unwrap_or_default()
    }
}

/// Column list of `customers`.
macro_rules! customer_columns {
    () => {
        "id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version"
    };
}
pub(crate) use customer_columns;

row! {
    pub struct CustomerRow<T> {
        pub id: String,
        pub name: String,
        pub valid_from: T,
        pub valid_thru: T,
        pub extra_fields: Json<ExtraFields>,
        pub created_at: T,
        pub updated_at: T,
        pub modified_by: i64,
        pub version: i64,
    }
}

impl<T: StoredTime> From<CustomerRow<T>> for Customer {
    fn from(r: CustomerRow<T>) -> Self {
        Customer {
            id: r.id,
            name: r.name,
            valid_from: r.valid_from.utc(),
            valid_thru: r.valid_thru.utc(),
            extra_fields: r.extra_fields.0,
            created_at: r.created_at.utc(),
            updated_at: r.updated_at.utc(),
            modified_by: r.modified_by,
            version: r.version,
        }
    }
}

/// Column list of `products`.
macro_rules! product_columns {
    () => {
        "id, name, hierarchy_level, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version"
    };
}
pub(crate) use product_columns;

row! {
    pub struct ProductRow<T> {
        pub id: String,
        pub name: String,
        pub hierarchy_level: Option<String>,
        pub valid_from: T,
        pub valid_thru: T,
        pub extra_fields: Json<ExtraFields>,
        pub created_at: T,
        pub updated_at: T,
        pub modified_by: i64,
        pub version: i64,
    }
}

impl<T: StoredTime> From<ProductRow<T>> for Product {
    fn from(r: ProductRow<T>) -> Self {
        Product {
            id: r.id,
            name: r.name,
            hierarchy_level: r
                .hierarchy_level
                .unwrap_or_else(|| gotemp_core::entities::LEVEL_UNSET.into()),
            valid_from: r.valid_from.utc(),
            valid_thru: r.valid_thru.utc(),
            extra_fields: r.extra_fields.0,
            created_at: r.created_at.utc(),
            updated_at: r.updated_at.utc(),
            modified_by: r.modified_by,
            version: r.version,
        }
    }
}

/// Column list of `promotions`.
macro_rules! promotion_columns {
    () => {
        "id, name, description, valid_from, valid_thru, active, customer_id, products, approval_status, prev_approval_status, created_at, updated_at, modified_by, version"
    };
}
pub(crate) use promotion_columns;

row! {
    pub struct PromotionRow<T> {
        pub id: i64,
        pub name: String,
        pub description: Option<String>,
        pub valid_from: T,
        pub valid_thru: T,
        pub active: bool,
        pub customer_id: String,
        pub products: Json<Vec<PromotionProduct>>,
        pub approval_status: i32,
        pub prev_approval_status: i32,
        pub created_at: T,
        pub updated_at: T,
        pub modified_by: i64,
        pub version: i64,
    }
}

impl<T: StoredTime> From<PromotionRow<T>> for Promotion {
    fn from(r: PromotionRow<T>) -> Self {
        Promotion {
            id: r.id,
            name: r.name,
            description: r.description,
            valid_from: r.valid_from.utc(),
            valid_thru: r.valid_thru.utc(),
            active: r.active,
            customer_id: r.customer_id,
            customer_name: None,
            products: r.products.0,
            approval_status: r.approval_status,
            prev_approval_status: r.prev_approval_status,
            created_at: r.created_at.utc(),
            updated_at: r.updated_at.utc(),
            modified_by: r.modified_by,
            version: r.version,
        }
    }
}

/// Column list of `audit_records`.
macro_rules! audit_columns {
    () => {
        "id, event_id, action_time, recorded_time, topic, service, action_func, action_type, object_name, object_id, performed_by, object_detail, trace_id, seq, prev_hash, hash"
    };
}
pub(crate) use audit_columns;

row! {
    pub struct AuditRow<T> {
        pub id: i64,
        pub event_id: Uuid,
        pub action_time: T,
        pub recorded_time: T,
        pub topic: String,
        pub service: String,
        pub action_func: String,
        pub action_type: String,
        pub object_name: String,
        pub object_id: String,
        pub performed_by: i64,
        pub object_detail: Json<serde_json::Value>,
        pub trace_id: Option<String>,
        pub seq: Option<i64>,
        pub prev_hash: Option<String>,
        pub hash: Option<String>,
    }
}

impl<T: StoredTime> TryFrom<AuditRow<T>> for AuditRecord {
    type Error = Error;
    fn try_from(r: AuditRow<T>) -> Result<Self> {
        Ok(AuditRecord {
            id: r.id,
            event_id: r.event_id,
            action_time: r.action_time.utc(),
            recorded_time: r.recorded_time.utc(),
            topic: r.topic,
            service: r.service,
            action_func: r.action_func,
            action_type: ActionType::parse(&r.action_type).ok_or_else(|| {
                Error::internal(format!("stored action_type {:?} is unknown", r.action_type))
            })?,
            object_name: r.object_name,
            object_id: r.object_id,
            performed_by: r.performed_by,
            object_detail: r.object_detail.0,
            trace_id: r.trace_id,
            // Zero and empty only for a record a release without the chain stored since the
            // last start: the next start chains it.
            seq: r.seq.unwrap_or_default(),
            prev_hash: r.prev_hash.unwrap_or_default(),
            hash: r.hash.unwrap_or_default(),
        })
    }
}

row! {
    /// A row of the outbox.
    pub struct OutboxRow {
        pub position: i64,
        pub payload: Json<gotemp_core::event::AuditEvent>,
    }
}

impl From<OutboxRow> for OutboxEntry {
    fn from(r: OutboxRow) -> Self {
        OutboxEntry {
            position: r.position,
            event: r.payload.0,
        }
    }
}

row! {
    /// An outbox row the relay set aside.
    pub struct SetAsideRow<T> {
        pub position: i64,
        pub payload: Json<gotemp_core::event::AuditEvent>,
        pub failed_reason: String,
        pub failed_at: T,
    }
}

impl<T: StoredTime> From<SetAsideRow<T>> for SetAside {
    fn from(r: SetAsideRow<T>) -> Self {
        SetAside {
            position: r.position,
            event: r.payload.0,
            reason: r.failed_reason,
            failed_at: r.failed_at.utc(),
        }
    }
}

row! {
    pub struct DeadLetterRow<T> {
        pub id: i64,
        pub event_id: Option<Uuid>,
        pub subject: String,
        pub payload: String,
        pub reason: String,
        pub attempts: i64,
        pub failed_at: T,
        pub tenant_id: String,
    }
}

impl<T: StoredTime> From<DeadLetterRow<T>> for gotemp_core::ports::DeadLetter {
    fn from(r: DeadLetterRow<T>) -> Self {
        Self {
            id: r.id,
            tenant: TenantId::from_store(r.tenant_id),
            event_id: r.event_id,
            subject: r.subject,
            payload: r.payload,
            reason: r.reason,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            failed_at: r.failed_at.utc(),
            source: gotemp_core::ports::DeadLetterSource::Audit,
        }
    }
}

row! {
    /// One integer column named `n` (a count, a version).
    pub struct Number {
        pub n: i64,
    }
}

impl From<Number> for i64 {
    fn from(r: Number) -> Self {
        r.n
    }
}
