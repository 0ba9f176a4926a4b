//! Recomputing a chain: the first record that breaks it, and how.

mod trail;

pub use trail::verify_trail;
pub(crate) use trail::verify_trail_from;

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
    /// Records up to this seq were archived and deleted from the database: verification began
    /// after them, at the archive's signed checkpoint (`gotemp audit verify --archive DIR`
    /// verifies the archives too). Absent when nothing was archived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_to_seq: Option<i64>,
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
    /// Records after them, read ahead only to recognise a record moved across the end.
    pub after: &'a [AuditRecord],
}

/// Checks every record of `segment`: its hash, its seq and its link to the one before it.
/// The last seq intact, or the first break.
pub fn verify_segment(segment: &Segment<'_>) -> std::result::Result<i64, Break> {
    let hashes: HashMap<&str, i64> = (segment.records.iter().chain(segment.after))
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

/// Checks `checkpoint` against the chain: its signature by one of `keys` (with none, it is
/// not trusted), and the hash of its record `size` when that record is in `held` (seq → hash) — a
/// chain that ends before it was cut (`head` is its last seq).
pub fn verify_checkpoint(
    checkpoint: &Checkpoint,
    keys: &[Verifier],
    held: &HashMap<i64, &str>,
    head: i64,
) -> std::result::Result<bool, Break> {
    let size = checkpoint.size;
    if !keys.iter().any(|k| k.open(&checkpoint.note).is_ok()) {
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
/// Records read per round trip: a verification holds one page of records in memory, and the
/// seqs and hashes of those it checked.
const PAGE: u32 = 500;

/// Verifies `tenant`'s chain from `from_seq` (1: from its start), reading at most `limit`
/// records a page at a time: every record, every stored checkpoint in that range (signatures by
/// one of `keys`; with none, no checkpoint verifies), `outside` when its size falls in that range,
/// and, once the head is reached, that no stored or `outside` checkpoint is longer than the chain.
///
/// Records archived and deleted ([`crate::audit_chain::archive`]) are not read: a check from before the
/// archive's end begins after it, at the archive's checkpoint (its signature and its hash are
/// checked), and the report says where (`archived_to_seq`).
pub async fn verify_chain(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    from_seq: i64,
    limit: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    verify_chain_at(repo, tenant, (from_seq, None), limit, keys, outside).await
}

/// [`verify_chain`] from `from_seq`, after a record hashing to `prev` when given (the last
/// record of an archive verified already), else after the record the store holds before it.
async fn verify_chain_at(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    (from_seq, prev): (i64, Option<&str>),
    limit: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    let mut from_seq = from_seq.max(1);
    let limit = limit.clamp(1, MAX_VERIFY_RECORDS);
    // Read before the records, so what is stored or signed while the check runs can only be
    // behind them: never mistaken for a cut.
    let head_seq = repo.chain_head(tenant).await?.map_or(0, |h| h.size);
    let latest = repo.checkpoint(tenant, None).await?;
    let anchor = match prev {
        Some(_) => None,
        None => repo.archive_anchor(tenant).await?,
    };
    let mut report = Verification {
        ok: true,
        verified_from_seq: from_seq,
        verified_to_seq: from_seq - 1,
        head_seq,
        next_from_seq: None,
        checkpoints_verified: 0,
        archived_to_seq: anchor.as_ref().map(|a| a.to_seq),
        broken: None,
    };
    let mut prev = match (prev, &anchor) {
        (Some(prev), _) => prev.to_owned(),
        (None, Some(anchor)) if from_seq <= anchor.to_seq.saturating_add(1) => {
            // An anchor that does not verify is no place to start: what it claims was archived
            // may simply have been deleted.
            if let Err(at) = anchor.check(keys) {
                return Ok(report.broken_at(at, from_seq - 1));
            }
            report.checkpoints_verified += 1;
            from_seq = anchor.to_seq + 1;
            report.verified_from_seq = from_seq;
            report.verified_to_seq = anchor.to_seq;
            anchor.last_hash.clone()
        }
        (None, _) if from_seq == 1 => GENESIS.to_owned(),
        (None, _) => (repo.chain(tenant, from_seq - 1, 1).await?.into_iter())
            .find(|r| r.seq == from_seq - 1)
            .map_or_else(String::new, |r| r.hash),
    };
    let mut held: HashMap<i64, String> = HashMap::new();
    let (mut read, mut reached_end) = (0u32, false);
    while read < limit && !reached_end {
        let want = PAGE.min(limit - read);
        let expected = report.verified_to_seq + 1;
        // One record more than is checked: a record moved across the page's end is still seen.
        let mut page = repo.chain(tenant, expected, want + 1).await?;
        let after = page.split_off(page.len().min(want as usize));
        reached_end = page.len() < want as usize;
        read += want;
        let segment = Segment {
            tenant,
            from_seq: expected,
            prev_hash: &prev,
            records: &page,
            after: &after,
        };
        match verify_segment(&segment) {
            Ok(to) => report.verified_to_seq = to,
            Err(at) => {
                let intact = at.seq - 1;
                return Ok(report.broken_at(at, intact));
            }
        }
        if let Some(last) = page.last() {
            prev.clone_from(&last.hash);
        }
        held.extend(page.into_iter().map(|r| (r.seq, r.hash)));
    }
    let to = report.verified_to_seq;
    // The last seq the store holds, when this read reached it: a checkpoint or head beyond it
    // means the tail was cut.
    let last = if reached_end { to } else { i64::MAX };
    if head_seq > last {
        let detail =
            format!("the chain's head says {head_seq} records, and the chain ends at {last}");
        return Ok(report.broken_at(broken(last + 1, BreakReason::Truncated, detail), to));
    }
    let mut checkpoints = repo.checkpoints(tenant, from_seq, to.max(from_seq)).await?;
    checkpoints.extend(latest.filter(|_| reached_end));
    checkpoints.extend(outside.cloned());
    checkpoints.sort_by(|a, b| (a.size, &a.note).cmp(&(b.size, &b.note)));
    checkpoints.dedup();
    let held: HashMap<i64, &str> = held
        .iter()
        .map(|(seq, hash)| (*seq, hash.as_str()))
        .collect();
    for checkpoint in &checkpoints {
        match verify_checkpoint(checkpoint, keys, &held, last) {
            Ok(true) => report.checkpoints_verified += 1,
            Ok(false) => {}
            Err(at) => return Ok(report.broken_at(at, to)),
        }
    }
    if !reached_end {
        report.next_from_seq = Some(to + 1);
    }
    Ok(report)
}

impl Verification {
    /// The report of a break at `at`, the records up to `intact` (at most) having held.
    fn broken_at(mut self, at: Break, intact: i64) -> Self {
        self.ok = false;
        self.verified_to_seq = intact.min(at.seq - 1).max(self.verified_from_seq - 1);
        self.broken = Some(at);
        self
    }
}
