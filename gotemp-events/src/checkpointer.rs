//! Signs the heads of the audit trail's chains ([`gotemp_core::audit_chain`]): a checkpoint
//! for every tenant whose chain grew by `records` since its latest, or grew at all and whose
//! latest is older than `interval`. Runs beside the audit consumer; several processes may run
//! one: a checkpoint is kept only if it follows the latest, so the losers' are dropped.

use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::audit_chain::{ChainHead, CheckpointKey};
use gotemp_core::ports::AuditRepository;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// When checkpoints are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointSettings {
    /// A checkpoint once a chain grew by this many records (1,000).
    pub records: u64,
    /// … or once this long passed since the latest, if it grew at all (60 s).
    pub interval: Duration,
    /// How often the heads are looked at (1 s): one indexed read of one row per tenant.
    pub poll: Duration,
}

impl Default for CheckpointSettings {
    fn default() -> Self {
        Self {
            records: 1_000,
            interval: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}

/// Makes checkpoints of every tenant's chain; [`Checkpointer::spawn`].
pub struct Checkpointer {
    repo: Arc<dyn AuditRepository>,
    key: CheckpointKey,
    settings: CheckpointSettings,
}

/// The running checkpointer.
pub struct CheckpointerHandle {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl CheckpointerHandle {
    /// Stops it, after a last round: records stored before a graceful stop are signed.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

impl Checkpointer {
    /// Signs `repo`'s chains with `key`.
    pub fn new(
        repo: Arc<dyn AuditRepository>,
        key: CheckpointKey,
        settings: CheckpointSettings,
    ) -> Self {
        Self {
            repo,
            key,
            settings,
        }
    }

    /// One round: a checkpoint of every chain that is due; how many were kept. A tenant whose
    /// checkpoint fails is said and skipped: the others are still signed.
    pub async fn run_once(&self) -> Result<u32> {
        self.round(false).await
    }

    /// A round; with `every`, of every chain that grew, due or not (the last, at a stop).
    async fn round(&self, every: bool) -> Result<u32> {
        let now = gotemp_core::values::now();
        let interval =
            chrono::Duration::from_std(self.settings.interval).unwrap_or(chrono::Duration::MAX);
        let mut kept = 0;
        for head in self.repo.unsigned_heads().await? {
            let grown = head.size - head.checkpoint_size;
            let stale = head.checkpoint_at.is_none_or(|at| now - at >= interval);
            if grown < self.settings.records as i64 && !stale && !every {
                continue;
            }
            match self.sign(&head, now).await {
                Ok(true) => kept += 1,
                Ok(false) => {} // another process signed it first
                Err(e) => {
                    tracing::warn!(tenant = %head.tenant, error = %e, "audit checkpoint not signed");
                }
            }
        }
        Ok(kept)
    }

    /// Signs `head` after the checkpoint it last had; whether it was kept.
    async fn sign(&self, head: &ChainHead, now: DateTime<Utc>) -> Result<bool> {
        let prev = match head.checkpoint_size {
            0 => None,
            size => self.repo.checkpoint(&head.tenant, Some(size)).await?,
        };
        let tenant = &head.tenant;
        let checkpoint = (self.key).checkpoint(tenant, head.size, &head.hash, now, prev.as_ref());
        let kept = (self.repo.add_checkpoint(&checkpoint, head.checkpoint_size)).await?;
        if kept {
            tracing::debug!(%tenant, size = head.size, "audit checkpoint signed");
        }
        Ok(kept)
    }

    /// Registers the key, then runs a round every `poll` until shut down, and a last one then.
    pub fn spawn(self) -> CheckpointerHandle {
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            let mut registered = false;
            loop {
                if !registered {
                    registered = self.register().await;
                }
                let last = stop.is_cancelled();
                if registered && let Err(e) = self.round(last).await {
                    tracing::warn!(error = %e, "audit checkpoints: a round failed; trying again");
                }
                if last {
                    break;
                }
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        });
        CheckpointerHandle { cancel, task }
    }

    async fn register(&self) -> bool {
        match self.repo.register_key(&self.key.verifier()).await {
            Ok(()) => {
                tracing::info!(key = %self.key.verifier(), "audit checkpoints signed with this key");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "audit checkpoints: cannot register the signing key yet");
                false
            }
        }
    }
}
