//! Retention of the audit trail ([`gotemp_core::audit_chain::archive`]): every `every`, each
//! tenant's records past the retention period are archived to files, verified, announced in the
//! chain and deleted. Runs beside the checkpointer in the process that stores the trail; several
//! processes may run one: an archive's directory and its record are the same whoever makes them.

use gotemp_core::Result;
use gotemp_core::audit_chain::CheckpointKey;
use gotemp_core::audit_chain::archive::{ArchiveSettings, Manifest, archive_tenant};
use gotemp_core::ports::AuditRepository;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Archives the audit trail's oldest records; [`Archiver::spawn`].
pub struct Archiver {
    repo: Arc<dyn AuditRepository>,
    settings: ArchiveSettings,
    key: CheckpointKey,
    every: Duration,
}

/// The running archiver.
pub struct ArchiverHandle {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl ArchiverHandle {
    /// Stops it; a round under way is cut off where it stands, and the next finishes it.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

impl Archiver {
    /// Archives `repo`'s records as `settings` say, a round every `every`, signing each
    /// archive's anchor with `key` (the checkpoints' key) and deleting only on the word of
    /// anchors it signed.
    pub fn new(
        repo: Arc<dyn AuditRepository>,
        settings: ArchiveSettings,
        key: CheckpointKey,
        every: Duration,
    ) -> Self {
        Self {
            repo,
            settings,
            key,
            every,
        }
    }

    /// One round over every tenant's chain; the archives made. A tenant whose archive fails is
    /// said and skipped (nothing of it is deleted): the others are still archived.
    pub async fn run_once(&self) -> Result<Vec<Manifest>> {
        let now = gotemp_core::values::now();
        let mut made = Vec::new();
        for head in self.repo.chains().await? {
            match archive_tenant(&*self.repo, &head.tenant, &self.settings, &self.key, now).await {
                Ok(Some(manifest)) => made.push(manifest),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(tenant = %head.tenant, error = %e, "audit records not archived");
                }
            }
        }
        Ok(made)
    }

    /// Runs a round at once and then every `every` until shut down.
    pub fn spawn(self) -> ArchiverHandle {
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            tracing::info!(
                retention = %humantime_days(self.settings.retention),
                dir = %self.settings.dir.display(),
                "audit records past the retention period are archived, then deleted"
            );
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    done = self.run_once() => if let Err(e) = done {
                        tracing::warn!(error = %e, "audit archive: a round failed; trying again");
                    },
                }
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(self.every) => {}
                }
            }
        });
        ArchiverHandle { cancel, task }
    }
}

/// A retention in days, for the start-up line.
fn humantime_days(retention: chrono::Duration) -> String {
    match retention.num_days() {
        0 => format!("{}s", retention.num_seconds()),
        days => format!("{days}d"),
    }
}
