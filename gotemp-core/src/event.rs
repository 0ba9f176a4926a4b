//! The audit event every committed create/update/delete produces. Repositories write it to their
//! outbox in the same transaction as the change, so a change and its event exist together or not
//! at all.

use crate::actor::Actor;
use crate::values::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// Version of the event's JSON shape; consumers use it to read old events after a change.
pub const EVENT_SCHEMA_VERSION: u16 = 1;

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    /// A create.
    Insert,
    /// An update.
    Update,
    /// A delete.
    Delete,
    /// An authentication: a login, a failed one, an account put in back-off.
    Access,
}

impl ActionType {
    /// The canonical lower-case name, as stored and as used in subjects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Access => "access",
        }
    }

    /// Parses the canonical name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "insert" => Some(Self::Insert),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            "access" => Some(Self::Access),
            _ => None,
        }
    }
}

/// An object whose changes are audited.
pub trait Auditable: Serialize {
    /// The object name recorded in the audit trail (`user`, `customer`, …).
    const OBJECT_NAME: &'static str;
    /// The service that owns it (`user`, `customer`, …).
    const SERVICE: &'static str;
    /// The object's id as text.
    fn object_id(&self) -> String;
}

/// The part of an event known before the write: who, what and when. The repository completes it
/// with the stored object (which may carry a generated id) via [`PendingEvent::complete`].
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    /// Unique id (UUIDv7, so ids sort by time); consumers drop duplicates by it.
    pub event_id: Uuid,
    /// When the change happened; also the object's `updated_at`.
    pub occurred_at: DateTime<Utc>,
    /// Owning service.
    pub service: &'static str,
    /// The operation, e.g. `create_user`.
    pub action_func: String,
    /// insert, update, delete or access.
    pub action_type: ActionType,
    /// Object name.
    pub object_name: &'static str,
    /// Who made the change; also the object's `modified_by`.
    pub performed_by: i64,
    /// The tenant whose data changed: the actor's.
    pub tenant: TenantId,
    /// The trace of the request making the change (see [`set_trace_source`]).
    pub traceparent: Option<String>,
}

impl PendingEvent {
    /// Starts the event for a change of a `T` by `actor` at `at`.
    pub fn new<T: Auditable>(action_type: ActionType, actor: &Actor, at: DateTime<Utc>) -> Self {
        let verb = match action_type {
            ActionType::Insert => "create",
            ActionType::Update => "update",
            ActionType::Delete => "delete",
            ActionType::Access => "access",
        };
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: at,
            service: T::SERVICE,
            action_func: format!("{verb}_{}", T::OBJECT_NAME),
            action_type,
            object_name: T::OBJECT_NAME,
            performed_by: actor.user_id,
            tenant: actor.tenant.clone(),
            traceparent: current_trace(),
        }
    }

    /// Refuses a write to `tenant` with this event when the event names another tenant: both
    /// come from the same actor, so a difference is a bug, and it must not file a change under
    /// one tenant with its event in another's trail. Every adapter asks before it writes.
    pub fn check_tenant(&self, tenant: &TenantId) -> crate::Result<()> {
        if self.tenant == *tenant {
            return Ok(());
        }
        Err(crate::Error::internal(format!(
            "a write to tenant {tenant} came with an event of tenant {}",
            self.tenant
        )))
    }

    /// Completes the event with the object as stored after the change (before it, for deletes).
    ///
    /// An event larger than [`max_event_bytes`] could never be published (the broker refuses
    /// it, and the relay would retry it forever): the change is refused instead, a validation
    /// error naming the object's largest field, and the write's transaction does not commit. A
    /// delete is never refused for it — the object was accepted before the limit was lowered —
    /// its event keeps the object's id and says how large the rest was.
    pub fn complete<T: Auditable>(self, object: &T) -> crate::Result<AuditEvent> {
        let mut event = self.build(object);
        let (bytes, max) = (json_size(&event), max_event_bytes());
        if bytes <= max {
            return Ok(event);
        }
        if event.action_type == ActionType::Delete {
            event.object_detail = serde_json::json!({
                "id": event.object_id,
                "omitted": {"reason": "object_detail over the event size limit", "bytes": bytes},
            });
            return Ok(event);
        }
        let field = largest_field(&event.object_detail).unwrap_or("object_detail");
        Err(crate::Error::Validation(vec![crate::FieldError::new(
            field,
            "event_too_large",
            crate::tr!(
                "field.event_too_large",
                field = field,
                bytes = bytes,
                max = max
            ),
        )]))
    }

    /// The event of `object`, secrets removed, whatever its size.
    fn build<T: Auditable>(self, object: &T) -> AuditEvent {
        let mut detail = serde_json::to_value(object).unwrap_or(Value::Null);
        redact(&mut detail);
        AuditEvent {
            event_id: self.event_id,
            schema_version: EVENT_SCHEMA_VERSION,
            occurred_at: self.occurred_at,
            service: self.service.to_owned(),
            action_func: self.action_func,
            action_type: self.action_type,
            object_name: self.object_name.to_owned(),
            object_id: object.object_id(),
            performed_by: self.performed_by,
            tenant: self.tenant,
            object_detail: detail,
            traceparent: self.traceparent,
        }
    }
}

/// What an event may weigh by default, serialized: half of NATS's default `max_payload` (1 MiB),
/// leaving room for headers and a broker configured a little lower.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 512 * 1024;

static MAX_EVENT_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_EVENT_BYTES);

/// Sets the largest event (serialized JSON, in bytes) a write may produce in this process; a
/// change whose event would be larger is refused at write time. One value per process because
/// it follows the broker the process publishes to (`GOTEMP_MAX_EVENT_BYTES` sets it). Keep it
/// below the broker's message limit.
pub fn set_max_event_bytes(max: usize) {
    MAX_EVENT_BYTES.store(max.max(1024), Ordering::Relaxed);
}

/// The largest event a write may produce in this process ([`set_max_event_bytes`]).
pub fn max_event_bytes() -> usize {
    MAX_EVENT_BYTES.load(Ordering::Relaxed)
}

/// The length of `value` as compact JSON, without building the text.
fn json_size(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The top-level field of `detail` that takes the most room: the one to name when it is too big.
fn largest_field(detail: &Value) -> Option<&str> {
    let map = detail.as_object()?;
    map.iter()
        .max_by_key(|(_, value)| json_size(value))
        .map(|(key, _)| key.as_str())
}

/// Where the current trace comes from. A process-wide value on purpose: the trace is the tracing
/// subscriber's (itself process-wide, installed once by the binary), and gotemp-core does not
/// depend on OpenTelemetry; the function installed here reads the current span's context, so
/// every change event carries the trace of the request that made it without each caller
/// passing it.
static TRACE_SOURCE: std::sync::OnceLock<fn() -> Option<String>> = std::sync::OnceLock::new();

/// Lets events carry the trace of the change that made them across the outbox and the broker:
/// `source` gives the current W3C `traceparent`. Set once per process (gotemp's logging does it
/// when tracing is on); without it events carry none.
pub fn set_trace_source(source: fn() -> Option<String>) {
    let _ = TRACE_SOURCE.set(source);
}

fn current_trace() -> Option<String> {
    TRACE_SOURCE.get().and_then(|source| source())
}

/// A completed audit event, as written to the outbox and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unique id; duplicates are dropped by it.
    pub event_id: Uuid,
    /// Shape version ([`EVENT_SCHEMA_VERSION`]).
    pub schema_version: u16,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Owning service.
    pub service: String,
    /// Operation name, e.g. `update_customer`.
    pub action_func: String,
    /// insert, update, delete or access.
    pub action_type: ActionType,
    /// Object name.
    pub object_name: String,
    /// Object id.
    pub object_id: String,
    /// User id of the actor.
    pub performed_by: i64,
    /// The tenant whose data changed. Absent on the wire for the tenant `default`, so a
    /// single-tenant deployment's events read as they always did, and events written before
    /// tenants existed belong to it.
    #[serde(
        default = "TenantId::default_tenant",
        skip_serializing_if = "TenantId::is_default"
    )]
    pub tenant: TenantId,
    /// The object after the change (before it, for deletes), secrets removed.
    pub object_detail: Value,
    /// The W3C `traceparent` of the request that made the change, when it was traced: the audit
    /// record keeps its trace id, and the audit consumer's span joins that trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// What an access event records: the user it concerns, when known, and for a back-off how long
/// it lasts. Never the e-mail typed (it may be a password typed in the wrong field) nor any
/// secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Access {
    /// The user, when the attempt named an existing one.
    pub user_id: Option<i64>,
    /// For a back-off: seconds until the account may try again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl Auditable for Access {
    const OBJECT_NAME: &'static str = "user";
    const SERVICE: &'static str = "user";
    fn object_id(&self) -> String {
        self.user_id.map(|id| id.to_string()).unwrap_or_default()
    }
}

impl AuditEvent {
    /// An access event (`login`, `login_failed`, `lockout`, `change_password_failed`): the user
    /// service's record of an authentication, performed by the user it concerns (0 when none).
    /// `tenant` is the user's, or the deployment's home tenant for an attempt that named no user.
    pub fn access(tenant: TenantId, action_func: &str, access: Access, at: DateTime<Utc>) -> Self {
        let by = Actor::new(
            tenant,
            access.user_id.unwrap_or(0),
            crate::policy::Roles::NONE,
        );
        let mut pending = PendingEvent::new::<Access>(ActionType::Access, &by, at);
        pending.action_func = action_func.to_owned();
        // An access event is a few fields, always within the limit.
        pending.build(&access)
    }

    /// The trace id of [`AuditEvent::traceparent`] (32 hex digits), when there is one.
    pub fn trace_id(&self) -> Option<&str> {
        let mut parts = self.traceparent.as_deref()?.split('-');
        let (_version, id) = (parts.next()?, parts.next()?);
        (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id != "0".repeat(32))
            .then_some(id)
    }

    /// The subject the event is published on: `gotemp.audit.<tenant>.<service>.<action>`, and
    /// for the tenant `default` `gotemp.audit.<service>.<action>` as before tenants — so a
    /// single-tenant deployment's subscribers see the subjects they always did, a subscriber
    /// takes one tenant (`gotemp.audit.ducks.>`) or everything (`gotemp.audit.>`), and NATS
    /// permissions can be given per tenant.
    pub fn topic(&self) -> String {
        let (service, action) = (&self.service, self.action_type.as_str());
        match self.tenant.is_default() {
            true => format!("gotemp.audit.{service}.{action}"),
            false => format!("gotemp.audit.{}.{service}.{action}", self.tenant),
        }
    }

    /// The tenant a subject of [`AuditEvent::topic`]'s form names: `default` for the form
    /// without one, `None` for a subject of neither form. A consumer refuses an event whose
    /// subject names another tenant than the event itself.
    pub fn tenant_of_topic(subject: &str) -> Option<TenantId> {
        let parts: Vec<&str> = subject.split('.').collect();
        match parts.as_slice() {
            ["gotemp", "audit", _service, _action] => Some(TenantId::default_tenant()),
            ["gotemp", "audit", tenant, _service, _action] => {
                TenantId::parse("tenant", tenant).ok()
            }
            _ => None,
        }
    }
}

/// Keys never allowed in an audit payload, whatever an embedder's entity serializes.
const SECRET_KEYS: [&str; 5] = ["password", "password_hash", "hash", "secret", "token"];

/// Removes secret-looking keys at any depth. The entities already leave secrets out; this is the
/// second lock on the door.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str()));
            map.values_mut().for_each(redact);
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
