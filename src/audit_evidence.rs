//! The audit trail as evidence from the command line (`gotemp audit verify`, `gotemp audit
//! checkpoint`): the whole chain checked a window at a time, against a checkpoint kept outside
//! the database when one is given (docs/audit.md).

use gotemp_core::Result;
use gotemp_core::audit_chain::verify::{MAX_VERIFY_RECORDS, verify_chain};
use gotemp_core::audit_chain::{Checkpoint, Verification, Verifier};
use gotemp_core::ports::AuditRepository;
use gotemp_core::values::TenantId;

/// Verifies `tenant`'s whole chain: every record, every stored checkpoint (signatures by one
/// of `keys`), and `outside` — a checkpoint kept elsewhere, which finds a cut or rewritten
/// tail the database alone cannot show.
pub async fn verify_trail(
    audit: &dyn AuditRepository,
    tenant: &TenantId,
    keys: &[Verifier],
    outside: Option<&Checkpoint>,
) -> Result<Verification> {
    let mut from = 1;
    let mut checked = 0;
    loop {
        let mut window =
            verify_chain(audit, tenant, from, MAX_VERIFY_RECORDS, keys, outside).await?;
        checked += window.checkpoints_verified;
        match window.next_from_seq {
            Some(next) if window.ok => from = next,
            _ => {
                window.verified_from_seq = 1;
                window.checkpoints_verified = checked;
                return Ok(window);
            }
        }
    }
}

/// The report in one line, for people.
pub fn describe(tenant: &TenantId, report: &Verification) -> String {
    match &report.broken {
        None if report.verified_to_seq == 0 => format!("{tenant}: the audit trail is empty"),
        None => format!(
            "{tenant}: verified from seq {} to {} ({} checkpoints)",
            report.verified_from_seq, report.verified_to_seq, report.checkpoints_verified
        ),
        Some(at) => format!(
            "{tenant}: BROKEN at seq {}: {} ({}); intact from seq {} to {}",
            at.seq,
            at.reason.as_str(),
            at.detail,
            report.verified_from_seq,
            report.verified_to_seq
        ),
    }
}
