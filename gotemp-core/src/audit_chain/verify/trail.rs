//! Verifying a whole trail, window by window, and the report in words.

use super::{Verification, verify_chain_at};
use crate::audit_chain::{Checkpoint, Verifier};
use crate::error::Result;
use crate::ports::AuditRepository;
use crate::values::TenantId;

/// Verifies `tenant`'s whole chain, `window` records per [`super::verify_chain`] call: every record,
/// every stored checkpoint, and `outside` — a checkpoint kept elsewhere, which finds a cut or
/// rewritten history the database alone cannot show — in whichever window holds its size.
/// The chain kept in the database begins after the latest archive, if any (the report says so);
/// [`crate::audit_chain::archive::verify_with_archives`] verifies the archives too.
pub async fn verify_trail(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    window: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    verify_trail_from(repo, tenant, None, window, keys, outside).await
}

/// [`verify_trail`] from `start`: a seq and the hash of the record before it (an archive's
/// last), or, with `None`, the chain's start or its latest archive's end.
pub(crate) async fn verify_trail_from(
    repo: &dyn AuditRepository,
    tenant: &TenantId,
    start: Option<(i64, &str)>,
    window: u32,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    let (mut from, mut prev) = start.map_or((1, None), |(seq, hash)| (seq, Some(hash.to_owned())));
    let mut checked = 0;
    let mut first = None;
    loop {
        let at = (from, prev.as_deref());
        let mut report = verify_chain_at(repo, tenant, at, window, keys, outside).await?;
        checked += report.checkpoints_verified;
        let began = *first.get_or_insert(report.verified_from_seq);
        prev = None;
        match report.next_from_seq {
            Some(next) if report.ok => from = next,
            _ => {
                report.verified_from_seq = began;
                report.checkpoints_verified = checked;
                return Ok(report);
            }
        }
    }
}

impl Verification {
    /// The report in one line, for people.
    pub fn describe(&self, tenant: &TenantId) -> String {
        match &self.broken {
            None if self.verified_to_seq == 0 => format!("{tenant}: the audit trail is empty"),
            None => {
                let archived = match self.archived_to_seq {
                    Some(to) if self.verified_from_seq > to => {
                        format!("; seqs 1 to {to} archived, not checked here (--archive)")
                    }
                    Some(to) => format!("; seqs 1 to {to} from the archive"),
                    None => String::new(),
                };
                format!(
                    "{tenant}: verified from seq {} to {} ({} checkpoints){archived}",
                    self.verified_from_seq, self.verified_to_seq, self.checkpoints_verified
                )
            }
            Some(at) => format!(
                "{tenant}: BROKEN at seq {}: {} ({}); intact from seq {} to {}",
                at.seq,
                at.reason.as_str(),
                at.detail,
                self.verified_from_seq,
                self.verified_to_seq
            ),
        }
    }
}
