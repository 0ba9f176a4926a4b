//! The audit trail's evidence settings: the key that signs its checkpoints and how often it
//! signs. The embedded default keeps a key of its own beside its database; anywhere else a
//! process that stores the trail refuses to start without one (docs/audit.md).

use super::parse::{non_empty, optional_seconds, seconds};
use super::{Config, ConfigError};
use gotemp_core::audit_chain::{ArchiveSettings, CheckpointKey};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Signing the audit trail's checkpoints.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// The Ed25519 key checkpoints of the audit trail are signed with: its 32-byte seed in base64,
    /// e.g. `head -c 32 /dev/urandom | base64` (`audit_signing_key`; or
    /// `GOTEMP_AUDIT_SIGNING_KEY_FILE`). Required where a process stores the trail, except the
    /// embedded default, which keeps one of its own in `data/audit_signing_key`.
    #[serde(rename = "audit_signing_key", deserialize_with = "non_empty")]
    pub signing_key: Option<SecretString>,
    /// A checkpoint once a tenant's chain grew by this many records (`audit_checkpoint_records`,
    /// 1000).
    #[serde(rename = "audit_checkpoint_records")]
    pub checkpoint_records: u64,
    /// … or once this long passed since its latest, if it grew at all
    /// (`audit_checkpoint_interval_secs`: seconds, or a duration such as `5m`; default 60).
    #[serde(
        rename = "audit_checkpoint_interval_secs",
        deserialize_with = "seconds"
    )]
    pub checkpoint_interval: Duration,
    /// How long records stay in the database: older ones are archived to files, verified, and
    /// then deleted (`audit_retention`, a duration such as `400d`; default: kept forever).
    #[serde(rename = "audit_retention", deserialize_with = "optional_seconds")]
    pub retention: Option<Duration>,
    /// Where archives are written, one directory per tenant (`audit_archive_dir`); required with
    /// `audit_retention`, except in the embedded default (`data/audit-archive`). Keep it on
    /// storage that outlives the database, and copy it somewhere write-once.
    #[serde(rename = "audit_archive_dir", deserialize_with = "non_empty")]
    pub archive_dir: Option<PathBuf>,
    /// How often the archiver looks for records past the retention
    /// (`audit_archive_interval_secs`: seconds or a duration; default 3600).
    #[serde(rename = "audit_archive_interval_secs", deserialize_with = "seconds")]
    pub archive_interval: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            checkpoint_records: 1_000,
            checkpoint_interval: Duration::from_secs(60),
            retention: None,
            archive_dir: None,
            archive_interval: Duration::from_secs(3600),
        }
    }
}

impl Config {
    /// What the archiver does, when `audit_retention` is set and the trail is stored: records
    /// older than the retention go to `audit_archive_dir` (in the embedded default,
    /// `audit-archive` beside the database). A retention of nothing, or one without a directory
    /// outside the embedded default, is refused by name.
    pub fn archive_settings(&self) -> Result<Option<ArchiveSettings>, ConfigError> {
        const SETTING: &str = "audit_retention (GOTEMP_AUDIT_RETENTION)";
        let Some(retention) = self.audit.retention.filter(|_| !self.storage.audit_off()) else {
            return Ok(None);
        };
        let retention = chrono::Duration::from_std(retention)
            .ok()
            .filter(|r| *r >= chrono::Duration::hours(1))
            .ok_or_else(|| {
                ConfigError::new(format!(
                    "{SETTING} must be at least an hour (e.g. 400d): records are archived once \
                     a checkpoint older than it signs them"
                ))
            })?;
        let embedded = super::sqlite_dir(self.storage.url.as_str())
            .filter(|_| self.is_embedded())
            .map(|dir| dir.join("audit-archive"));
        let Some(dir) = self.audit.archive_dir.clone().or(embedded) else {
            return Err(ConfigError::new(format!(
                "audit_archive_dir (GOTEMP_AUDIT_ARCHIVE_DIR) is required with {SETTING} \
                 outside the embedded default: archived records are written there before they \
                 are deleted"
            )));
        };
        Ok(Some(ArchiveSettings { retention, dir }))
    }

    /// The key this process signs checkpoints with, when it stores the audit trail
    /// (`stores_trail`): the configured one; in the embedded default, the one kept beside the
    /// database (made at its first start, owner-only). A key that cannot be one, or none where
    /// the trail is stored outside the embedded default, is refused by name.
    pub fn checkpoint_key(&self, stores_trail: bool) -> Result<Option<CheckpointKey>, ConfigError> {
        const SETTING: &str = "audit_signing_key (GOTEMP_AUDIT_SIGNING_KEY)";
        if let Some(text) = &self.audit.signing_key {
            let text = text.expose_secret();
            if let Some(why) = super::secrets::weak(text, 32) {
                return Err(ConfigError::new(format!(
                    "{SETTING} {why}: use 32 random bytes in base64, `head -c 32 /dev/urandom | base64`"
                )));
            }
            let key = CheckpointKey::from_seed_text(text)
                .map_err(|e| ConfigError::new(format!("{SETTING} {e}")))?;
            return Ok(Some(key));
        }
        if !stores_trail || self.storage.audit_off() {
            return Ok(None);
        }
        let kept = super::sqlite_dir(self.storage.url.as_str()).filter(|_| self.is_embedded());
        let Some(dir) = kept else {
            return Err(ConfigError::new(format!(
                "{SETTING} is required where the audit trail is stored outside the embedded \
                 default: its checkpoints are signed with it (docs/audit.md); make one with \
                 `head -c 32 /dev/urandom | base64`"
            )));
        };
        let path = dir.join("audit_signing_key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return CheckpointKey::from_seed_text(text.trim())
                .map(Some)
                .map_err(|e| {
                    ConfigError::new(format!("the audit signing key in {} {e}", path.display()))
                });
        }
        let key = CheckpointKey::generate();
        super::write_private(&path, &key.seed_text()).map_err(|e| {
            let message = format!(
                "cannot keep an audit signing key in {}: {e}",
                path.display()
            );
            ConfigError::caused(message, e)
        })?;
        tracing::info!(path = %path.display(), "made the audit trail's signing key");
        Ok(Some(key))
    }
}
