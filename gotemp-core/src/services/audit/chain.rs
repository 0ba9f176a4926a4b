//! Reading the trail as evidence: verifying the caller's tenant's chain, its checkpoints and
//! the keys they are signed with (`audit:read`: auditors and administrators).

use super::AuditService;
use crate::actor::Actor;
use crate::audit_chain::verify::{DEFAULT_VERIFY_RECORDS, MAX_VERIFY_RECORDS, verify_chain};
use crate::audit_chain::{Checkpoint, Verification, Verifier};
use crate::error::{Error, FieldError, Result};

/// Verifications running at once in this process.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// `value` of `field` when it is from `min` to `max`.
fn in_range<T: PartialOrd + std::fmt::Display>(field: &str, value: T, min: T, max: T) -> Result<T> {
    if value < min || value > max {
        let message = crate::tr!(
            "field.out_of_range",
            field = field,
            min = min,
            max = max,
            got = value
        );
        return Err(Error::invalid(FieldError::new(
            field,
            "out_of_range",
            message,
        )));
    }
    Ok(value)
}

impl AuditService {
    /// Recomputes the caller's tenant's chain from `from_seq` (1), at most `limit` records
    /// (10,000; 100,000 at most) per call — resume from the report's `next_from_seq` — and
    /// checks the checkpoints in that range with every key the deployment registered.
    pub async fn verify(
        &self,
        actor: &Actor,
        from_seq: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Verification> {
        self.allow_read(actor)?;
        let from_seq = in_range("from_seq", from_seq.unwrap_or(1), 1, i64::MAX)?;
        let limit = limit.unwrap_or(DEFAULT_VERIFY_RECORDS);
        let limit = in_range("limit", limit, 1, MAX_VERIFY_RECORDS)?;
        let keys = self.repo.keys().await?;
        // Each reads up to `limit` records: a few at a time per process, the others wait.
        let _turn = VERIFYING
            .acquire()
            .await
            .map_err(|_| Error::unavailable("shutting down"))?;
        verify_chain(&*self.repo, &actor.tenant, from_seq, limit, &keys, None).await
    }

    /// The caller's tenant's checkpoint of `size` records, or its latest.
    pub async fn checkpoint(&self, actor: &Actor, size: Option<i64>) -> Result<Checkpoint> {
        self.allow_read(actor)?;
        if let Some(size) = size {
            in_range("size", size, 1, i64::MAX)?;
        }
        let found = self.repo.checkpoint(&actor.tenant, size).await?;
        found.ok_or_else(|| match size {
            Some(size) => Error::not_found("checkpoint", size),
            None => Error::not_found("checkpoint", "latest"),
        })
    }

    /// The public keys checkpoints are signed with, oldest first (the last signs now).
    pub async fn checkpoint_keys(&self, actor: &Actor) -> Result<Vec<Verifier>> {
        self.allow_read(actor)?;
        self.repo.keys().await
    }
}
