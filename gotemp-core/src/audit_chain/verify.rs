//! Recomputing a chain: the first record that breaks it, and how.

use super::{Checkpoint, GENESIS, NoteError, Verifier, record_hash};
use crate::entities::AuditRecord;
use crate::error::Result;
use crate::ports::AuditRepository;
use crate::values::TenantId;
use serde::Serialize;
use std::collections::HashMap;

/// How a chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// A record's fields no longer hash to what was stored, or no longer to what a checkpoint
    /// signed: it was changed after it was stored.
    Changed,
    /// A seq is absent where the chain should have it: a record was deleted.
    Missing,
    /// A record is whole but does not follow the record before it: records were moved.
    OutOfOrder,
    /// The chain ends before a checkpoint's size: its tail was cut off.
    Truncated,
    /// A checkpoint's signature does not verify with the deployment's key.
    BadSignature,
}

impl BreakReason {
    /// The reason as the reports name it (`out_of_order`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Changed => "changed",
            Self::Missing => "missing",
            Self::OutOfOrder => "out_of_order",
            Self::Truncated => "truncated",
            Self::BadSignature => "bad_signature",
        }
    }
}

/// The first place a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Break {
    /// The seq where it breaks (for `truncated`, the first seq the chain lacks).
    pub seq: i64,
    /// How.
    pub reason: BreakReason,
    /// In words, for the person reading the report.
    pub detail: String,
}

/// What one verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// `true` when nothing from `verified_from_seq` to `verified_to_seq` breaks the chain.
    pub ok: bool,
    /// The first seq checked.
    pub verified_from_seq: i64,
    /// The last seq found intact (`verified_from_seq - 1` when none was).
    pub verified_to_seq: i64,
    /// The chain's last seq when the check began.
    pub head_seq: i64,
    /// Where to resume (`from_seq`) when the work bound stopped before the head; absent when
    /// the check reached the head or found a break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_from_seq: Option<i64>,
    /// Signed checkpoints found intact in the range checked.
    pub checkpoints_verified: u64,
    /// The first break, if any.
    pub broken: Option<Break>,
}

/// A stretch of one tenant's chain, read in seq order.
pub struct Segment<'a> {
    /// Whose chain.
    pub tenant: &'a TenantId,
    /// The seq the stretch should start at.
    pub from_seq: i64,
    /// The hash of the record before `from_seq` ([`GENESIS`] at 1).
    pub prev_hash: &'a str,
    /// The records from `from_seq` on, ordered by seq.
    pub records: &'a [AuditRecord],
}

/// Checks every record of `segment`: its hash, its seq and its link to the one before it.
/// The last seq intact, or the first break.
pub fn verify_segment(segment: &Segment<'_>) -> std::result::Result<i64, Break> {
    let hashes: HashMap<&str, i64> = (segment.records.iter())
        .map(|r| (r.hash.as_str(), r.seq))
        .collect();
    let (mut expected, mut prev) = (segment.from_seq, segment.prev_hash);
    for record in segment.records {
        let seq = record.seq;
        if seq > expected {
            return Err(broken(
                expected,
                BreakReason::Missing,
                format!("no record has seq {expected}: the next one held is {seq}"),
            ));
        }
        if seq < expected {
            return Err(broken(
                seq,
                BreakReason::OutOfOrder,
                format!("seq {seq} is held twice"),
            ));
        }
        if record_hash(segment.tenant, record) != record.hash {
            return Err(broken(
                seq,
                BreakReason::Changed,
                format!(
                    "record {seq} (event {}) no longer hashes to its stored hash",
                    record.event_id
                ),
            ));
        }
        if record.prev_hash != prev {
            // Whole, but not after its predecessor: moved when it links to a record held
            // elsewhere; else the predecessor itself was rewritten (hash and all).
            return Err(match hashes.get(record.prev_hash.as_str()) {
                Some(other) => broken(
                    seq,
                    BreakReason::OutOfOrder,
                    format!(
                        "record {seq} follows record {other}, not record {}",
                        seq - 1
                    ),
                ),
                None => broken(
                    seq - 1,
                    BreakReason::Changed,
                    format!(
                        "record {} was rewritten: record {seq} does not follow it",
                        seq - 1
                    ),
                ),
            });
        }
        prev = &record.hash;
        expected += 1;
    }
    Ok(expected - 1)
}

fn broken(seq: i64, reason: BreakReason, detail: String) -> Break {
    Break {
        seq,
        reason,
        detail,
    }
}

/// Checks `checkpoint` against the chain: its signature by one of `keys` (unless none is
/// given), and the hash of its record `size` when that record is in `held` (seq → hash) — a
/// chain that ends before it was cut (`head` is its last seq).
pub fn verify_checkpoint(
    checkpoint: &Checkpoint,
    keys: &[Verifier],
    held: &HashMap<i64, &str>,
    head: i64,
) -> std::result::Result<bool, Break> {
    let size = checkpoint.size;
    if !keys.is_empty() && !keys.iter().any(|k| k.open(&checkpoint.note).is_ok()) {
        // Said as the key it names would say it: changed after signing, or by no known key.
        let why = (keys.iter())
            .map(|k| k.open(&checkpoint.note))
            .find_map(|r| r.err().filter(|e| !matches!(e, NoteError::NotSignedBy(_))));
        let detail = match why {
            Some(e) => format!("checkpoint {size}: {e}"),
            None => format!("checkpoint {size} is signed by none of the deployment's keys"),
        };
        return Err(broken(size, BreakReason::BadSignature, detail));
    }
    if size > head {
        return Err(broken(
            head + 1,
            BreakReason::Truncated,
            format!("a checkpoint signed {size} records, and the chain ends at {head}"),
        ));
    }
    match held.get(&size) {
        Some(hash) if *hash == checkpoint.hash => Ok(true),
        Some(_) => Err(broken(
            size,
            BreakReason::Changed,
            format!(
                "record {size} is not the record checkpoint {size} signed: the history up to it \
             was rewritten"
            ),
        )),
        None => Ok(false),
    }
}

/// Most records one verification reads unless asked for fewer.
pub const DEFAULT_VERIFY_RECORDS: u32 = 10_000;
/// Most records one verification reads: the bound on the work one call makes.
pub const MAX_VERIFY_RECORDS: u32 = 100_000;

/// Verifies `tenant`'s chain from `from_seq` (1: from its start), reading at most `limit`
/// records: every record, every stored checkpoint in that range (signatures by one of `keys`),
/// and, once the head is reached, that no stored or `outside` checkpoint is longer than the
/// chain.
pub async fn verify_chain(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    from_seq: i64,
    limit: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    let from_seq = from_seq.max(1);
    let limit = limit.clamp(1, MAX_VERIFY_RECORDS);
    let head = repo.chain_head(tenant).await?;
    let head_seq = head.as_ref().map_or(0, |h| h.size);
    let prev_hash = match from_seq {
        1 => GENESIS.to_owned(),
        n => (repo.chain(tenant, n - 1, 1).await?.into_iter())
            .find(|r| r.seq == n - 1)
            .map_or_else(String::new, |r| r.hash),
    };
    let records = repo.chain(tenant, from_seq, limit).await?;
    let reached_end = records.len() < limit as usize;
    let mut report = Verification {
        ok: true,
        verified_from_seq: from_seq,
        verified_to_seq: from_seq - 1,
        head_seq,
        next_from_seq: None,
        checkpoints_verified: 0,
        broken: None,
    };
    let segment = Segment {
        tenant,
        from_seq,
        prev_hash: &prev_hash,
        records: &records,
    };
    let to = match verify_segment(&segment) {
        Ok(to) => to,
        Err(at) => return Ok(report.broken_at(at)),
    };
    report.verified_to_seq = to;
    // The last seq the store holds, when this read reached it: a checkpoint or head beyond it
    // means the tail was cut.
    let last = if reached_end { to } else { i64::MAX };
    let held: HashMap<i64, &str> = records.iter().map(|r| (r.seq, r.hash.as_str())).collect();
    let mut checkpoints = repo.checkpoints(tenant, from_seq, to.max(from_seq)).await?;
    if reached_end {
        checkpoints.extend(repo.checkpoint(tenant, None).await?);
        checkpoints.extend(outside.cloned());
        checkpoints.sort_by(|a, b| (a.size, &a.note).cmp(&(b.size, &b.note)));
        checkpoints.dedup();
        if head_seq > last {
            return Ok(report.broken_at(broken(
                last + 1,
                BreakReason::Truncated,
                format!("the chain's head says {head_seq} records, and the chain ends at {last}"),
            )));
        }
    }
    for checkpoint in &checkpoints {
        match verify_checkpoint(checkpoint, keys, &held, last) {
            Ok(true) => report.checkpoints_verified += 1,
            Ok(false) => {}
            Err(at) => return Ok(report.broken_at(at)),
        }
    }
    if !reached_end {
        report.next_from_seq = Some(to + 1);
    }
    Ok(report)
}

impl Verification {
    fn broken_at(mut self, at: Break) -> Self {
        self.ok = false;
        self.verified_to_seq = (at.seq - 1).max(self.verified_from_seq - 1);
        self.broken = Some(at);
        self
    }
}
