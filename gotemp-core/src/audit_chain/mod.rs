//! The audit trail as evidence: every tenant's records form a hash chain, heads of which are
//! signed as checkpoints, so a record changed, removed, reordered or cut off after it was stored
//! is found by recomputing the chain — not taken on trust from whoever can write the database.
//!
//! Each stored record carries `seq` (1, 2, … per tenant, no gaps), `prev_hash` (the hash of the
//! record before it; [`GENESIS`] for the first) and `hash`: SHA-256 over the RFC 8785 (JCS)
//! canonical JSON of the record's fields and `prev_hash` ([`record_hash`]). Its position is in
//! the links, not in the hashed fields: two records swapped still hash right, and are found
//! out of order by their links. Checkpoints ([`note`]) sign a chain's size and head hash in the
//! C2SP signed-note form, so a copy kept elsewhere proves later that the chain only grew.

pub mod archive;
pub mod note;
pub mod verify;

pub use archive::{ArchiveAnchor, ArchiveSettings, Manifest};
pub use note::{Checkpoint, CheckpointKey, NoteError, Verifier};
pub use verify::{Break, BreakReason, Segment, Verification, verify_segment};

use crate::entities::AuditRecord;
use crate::event::AuditEvent;
use crate::values::{TenantId, truncate_to_micros};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::borrow::Cow;
use uuid::Uuid;

/// The `prev_hash` of a chain's first record: 32 zero bytes, in hex.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A record's place in its tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its position: 1 for the first record of the chain, one more for each after it.
    pub seq: i64,
    /// The hash of the record before it ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Its own hash ([`record_hash`]).
    pub hash: String,
}

impl Link {
    /// The link after `self` for a record hashing to `hash`.
    pub fn next(&self, hash: String) -> Link {
        Link {
            seq: self.seq + 1,
            prev_hash: self.hash.clone(),
            hash,
        }
    }

    /// The empty chain's head: seq 0, whose hash is the first record's `prev_hash`.
    pub fn empty() -> Link {
        Link {
            seq: 0,
            prev_hash: GENESIS.into(),
            hash: GENESIS.into(),
        }
    }
}

/// A tenant's chain as its store last extended it, with its latest checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Whose chain.
    pub tenant: TenantId,
    /// Records in it (the last one's seq).
    pub size: i64,
    /// The last record's hash ([`GENESIS`] while empty).
    pub hash: String,
    /// The size the latest checkpoint signed (0: none yet).
    pub checkpoint_size: i64,
    /// When the latest checkpoint was made, if any.
    pub checkpoint_at: Option<DateTime<Utc>>,
}

/// What the chain hashes of one record: every field a reader sees but the row id (a storage
/// detail) and its position (held by the links), in RFC 8785 canonical JSON. Times are written
/// at the microsecond the databases keep, so a record read back hashes as it did when stored.
#[derive(Serialize)]
struct Canonical<'a> {
    tenant: &'a str,
    event_id: Uuid,
    action_time: String,
    recorded_time: String,
    topic: &'a str,
    service: &'a str,
    action_func: &'a str,
    action_type: &'a str,
    object_name: &'a str,
    object_id: &'a str,
    performed_by: Value,
    object_detail: Cow<'a, Value>,
    trace_id: Option<&'a str>,
    prev_hash: &'a str,
}

/// The largest integer an IEEE 754 double holds exactly (2^53).
const EXACT: u64 = 1 << 53;

/// An integer as the chain hashes it: a number within ±2^53; beyond, where RFC 8785's double
/// form would round it (so two values could hash alike), the string of its digits.
fn exact_integer(n: i64) -> Value {
    match n.unsigned_abs() <= EXACT {
        true => Value::from(n),
        false => Value::String(n.to_string()),
    }
}

/// `value` with every integer beyond ±2^53 written as the string of its digits (see
/// [`exact_integer`]); borrowed when it holds none.
fn exact_numbers(value: &Value) -> Cow<'_, Value> {
    fn beyond(n: &serde_json::Number) -> bool {
        n.as_u64().is_some_and(|n| n > EXACT)
            || n.as_i64().is_some_and(|n| n.unsigned_abs() > EXACT)
    }
    fn big(v: &Value) -> bool {
        match v {
            Value::Number(n) => beyond(n),
            Value::Array(items) => items.iter().any(big),
            Value::Object(fields) => fields.values().any(big),
            _ => false,
        }
    }
    fn rewrite(v: &Value) -> Value {
        match v {
            Value::Number(n) if beyond(n) => Value::String(n.to_string()),
            Value::Array(items) => Value::Array(items.iter().map(rewrite).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), rewrite(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    match big(value) {
        true => Cow::Owned(rewrite(value)),
        false => Cow::Borrowed(value),
    }
}

impl Canonical<'_> {
    fn hash(&self) -> String {
        // Serialising a struct of strings, numbers and a JSON value cannot fail; were it ever
        // to, the empty input's hash would not verify, so the record would be reported.
        let bytes = serde_json_canonicalizer::to_vec(self).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }
}

/// The time as the chain writes it: RFC 3339, UTC, microseconds.
fn chain_time(t: DateTime<Utc>) -> String {
    truncate_to_micros(t).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The hash an event gets when stored at `recorded_at` after a record hashing to `prev_hash`.
/// Stores keep its times at the microsecond ([`truncate_to_micros`]).
pub fn event_hash(event: &AuditEvent, recorded_at: DateTime<Utc>, prev_hash: &str) -> String {
    let topic = event.topic();
    Canonical {
        tenant: event.tenant.as_str(),
        event_id: event.event_id,
        action_time: chain_time(event.occurred_at),
        recorded_time: chain_time(recorded_at),
        topic: &topic,
        service: &event.service,
        action_func: &event.action_func,
        action_type: event.action_type.as_str(),
        object_name: &event.object_name,
        object_id: &event.object_id,
        performed_by: exact_integer(event.performed_by),
        object_detail: exact_numbers(&event.object_detail),
        trace_id: event.trace_id(),
        prev_hash,
    }
    .hash()
}

/// The hash a stored record of `tenant` should have, from its fields and its `prev_hash`:
/// [`AuditRecord::hash`] unless it was changed after it was stored.
pub fn record_hash(tenant: &TenantId, record: &AuditRecord) -> String {
    Canonical {
        tenant: tenant.as_str(),
        event_id: record.event_id,
        action_time: chain_time(record.action_time),
        recorded_time: chain_time(record.recorded_time),
        topic: &record.topic,
        service: &record.service,
        action_func: &record.action_func,
        action_type: record.action_type.as_str(),
        object_name: &record.object_name,
        object_id: &record.object_id,
        performed_by: exact_integer(record.performed_by),
        object_detail: exact_numbers(&record.object_detail),
        trace_id: record.trace_id.as_deref(),
        prev_hash: &record.prev_hash,
    }
    .hash()
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of a 64-digit hex hash, if it is one.
pub(crate) fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let digits = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests;
