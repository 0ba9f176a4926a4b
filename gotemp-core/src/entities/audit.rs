use crate::event::ActionType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// One stored audit event: the history of every committed change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Row id.
    pub id: i64,
    /// The event's id; unique, so a re-delivered event is stored once.
    pub event_id: Uuid,
    /// When the change happened.
    pub action_time: DateTime<Utc>,
    /// When the audit service stored it.
    pub recorded_time: DateTime<Utc>,
    /// Subject it was published on.
    pub topic: String,
    /// Owning service.
    pub service: String,
    /// Operation, e.g. `create_user`.
    pub action_func: String,
    /// insert, update, delete or access (logins and lock-outs).
    pub action_type: ActionType,
    /// Object name.
    pub object_name: String,
    /// Object id.
    pub object_id: String,
    /// User id of the actor.
    pub performed_by: i64,
    /// The object after the change, secrets removed.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub object_detail: Value,
    /// The trace id (32 hex digits) of the request that made the change, when it was traced:
    /// look the whole change up in the tracing backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Its place in its tenant's hash chain: 1 for the first record, one more for each after.
    pub seq: i64,
    /// The hash of the record before it (64 hex digits; zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of its fields and `prev_hash` in RFC 8785 canonical JSON: recompute it to
    /// check the record was not changed (docs/audit.md says how).
    pub hash: String,
}

/// Search filters for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Object name (`user`, `customer`, …).
    pub object_name: Option<String>,
    /// Object id (usually with `object_name`).
    pub object_id: Option<String>,
    /// Actor's user id.
    pub performed_by: Option<i64>,
    /// Owning service.
    pub service: Option<String>,
    /// insert, update, delete or access (logins and lock-outs).
    pub action_type: Option<ActionType>,
    /// Changes at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Changes before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// How many changes fell in one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketCount {
    /// Start of the bucket.
    pub bucket_start: DateTime<Utc>,
    /// Changes in it.
    pub count: i64,
}
