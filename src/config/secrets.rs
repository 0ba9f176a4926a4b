//! Secrets that can't be weak: unless the server is private (every store a SQLite file and every
//! listener on loopback), it refuses to sign tokens with a short, placeholder or low-entropy
//! secret, and refuses to seed an administrator whose password is the documented default; the
//! demo users' password only ever on loopback. The embedded default stays
//! as easy as it is: it keeps a random secret of its own. And secrets that need not be in the
//! environment: every secret setting can be read from a file (`GOTEMP_<NAME>_FILE`, the Docker
//! and Kubernetes secrets convention).

use super::{Config, ConfigError};
use secrecy::ExposeSecret as _;

/// Secrets and passwords this project has ever shown in its files or documents.
const PLACEHOLDERS: [&str; 6] = [
    "replace-me-with-32-random-bytes-or-more",
    "replace-me",
    "change-me-now",
    "change-me",
    "changeme",
    "secret",
];

/// Fewest bits a secret must carry, estimated from its characters' frequencies (Shannon): 32
/// random bytes, base64 or hex encoded, carry well over this; a word repeated does not.
const MIN_ENTROPY_BITS: f64 = 128.0;

impl Config {
    /// Whether every store is a SQLite file: the embedded default, one process on one machine.
    pub fn is_embedded(&self) -> bool {
        use super::{AuditStore, MasterDataStore, Store};
        let sqlite = |store: &Store| matches!(store, Store::Sqlite(_));
        sqlite(&self.storage.url)
            && match &self.storage.audit {
                None | Some(AuditStore::Off) => true,
                Some(AuditStore::Store(store)) => sqlite(store),
            }
            && match &self.storage.master_data {
                None => true,
                Some(MasterDataStore::Store(store)) => sqlite(store),
                Some(MasterDataStore::Arango(_)) => false,
            }
    }

    /// Whether every listener is on a loopback address (`127.0.0.1`, `::1`, `localhost`): only
    /// this machine can reach the server. What decides how careful secrets must be is who can
    /// reach the server, not where it keeps its data.
    pub fn listens_on_loopback_only(&self) -> bool {
        [self.http.addr, self.grpc.addr]
            .into_iter()
            .all(|addr| addr.ip().is_loopback())
    }

    /// Whether the easy secrets of a first start are acceptable: every store a SQLite file and
    /// every listener on loopback. Anywhere else, weak secrets are refused.
    pub fn is_private(&self) -> bool {
        self.is_embedded() && self.listens_on_loopback_only()
    }

    /// Refuses what is unsafe where this configuration listens: a token secret anyone could
    /// guess on a server others reach. [`Config::load`] checks it; [`Application`] checks again
    /// when it is built, after a binary's flags (`--addr`) have changed where it listens.
    ///
    /// [`Application`]: crate::Application
    pub fn check_exposure(&self) -> Result<(), ConfigError> {
        let keys = self.auth.jwt_private_key.is_some() || self.auth.jwt_public_key.is_some();
        match keys {
            true => Ok(()),
            false => self.check_jwt_secret(),
        }
    }

    /// Refuses a token secret anyone could guess, unless the server is private
    /// ([`Config::is_private`]).
    pub(super) fn check_jwt_secret(&self) -> Result<(), ConfigError> {
        if self.is_private() {
            return Ok(());
        }
        weak(self.auth.jwt_secret.expose_secret(), 32).map_or(Ok(()), |why| {
            Err(ConfigError::new(format!(
                "jwt_secret (GOTEMP_JWT_SECRET) {why}: use at least 32 random bytes, e.g. \
                 `head -c 32 /dev/urandom | base64`"
            )))
        })
    }

    /// Refuses an event signing key anyone could guess, wherever it is set.
    pub(super) fn check_signing_key(&self) -> Result<(), ConfigError> {
        let Some(key) = &self.events.signing_key else {
            return Ok(());
        };
        weak(key.expose_secret(), 32).map_or(Ok(()), |why| {
            Err(ConfigError::new(format!(
                "event_signing_key (GOTEMP_EVENT_SIGNING_KEY) {why}: use at least 32 random \
                 bytes, e.g. `head -c 32 /dev/urandom | base64`"
            )))
        })
    }

    /// Refuses to seed an administrator with the documented default password (or another
    /// placeholder) unless the server is private ([`Config::is_private`]), and the demo users'
    /// password anywhere but on loopback listeners: the demo users' e-mails are in the docs.
    pub fn check_seed_password(&self) -> Result<(), ConfigError> {
        if self.auth.demo_password.is_some() && !self.listens_on_loopback_only() {
            return Err(ConfigError::new(format!(
                "demo_password (GOTEMP_DEMO_PASSWORD) lets anyone who reads the docs log in as \
                 the demo users: it is for a server on loopback only, and this one listens on \
                 {} and {}",
                self.http.addr, self.grpc.addr
            )));
        }
        if self.is_private() {
            return Ok(());
        }
        let password = self.auth.admin_password.expose_secret();
        if is_placeholder(password) {
            return Err(ConfigError::new(
                "admin_password (GOTEMP_ADMIN_PASSWORD) is a documented default: choose the \
                 administrator's password before seeding"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Whether `addr` (`host:port`) is a loopback address only this machine reaches.
fn is_placeholder(text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    PLACEHOLDERS.iter().any(|p| text == *p)
}

/// Why `secret` is weak, if it is: too short, a placeholder, or too little entropy.
pub(super) fn weak(secret: &str, min_len: usize) -> Option<&'static str> {
    if secret.len() < min_len {
        return Some("is shorter than 32 bytes");
    }
    let lower = secret.to_ascii_lowercase();
    if is_placeholder(secret) || lower.contains("replace-me") || lower.contains("change-me") {
        return Some("is a placeholder from an example");
    }
    if entropy_bits(secret) < MIN_ENTROPY_BITS {
        return Some("has too little entropy (repeated or predictable characters)");
    }
    None
}

/// Shannon entropy of the text's bytes, times its length: an estimate of the bits it carries.
fn entropy_bits(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = text.len() as f64;
    let per_byte: f64 = (counts.iter().filter(|c| **c > 0))
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum();
    per_byte * n
}

/// The settings that are secrets, or URLs that may carry credentials: each may come from the
/// file `GOTEMP_<NAME>_FILE` names.
pub(super) const FILE_SETTINGS: [&str; 13] = [
    "jwt_secret",
    "jwt_private_key",
    "jwt_public_key",
    "admin_password",
    "demo_password",
    "storage",
    "audit_storage",
    "master_data_storage",
    "events",
    "cache",
    "nats_nkey",
    "event_signing_key",
    "audit_signing_key",
];

/// The values of `GOTEMP_<NAME>_FILE` variables, read from their files (one trailing newline
/// dropped, as `echo` and editors leave one). Setting both `GOTEMP_<NAME>` and its `_FILE` is a
/// mistake, and so is a file that cannot be read: both are said, naming the variable.
pub(super) fn from_files() -> Result<Vec<(&'static str, String)>, ConfigError> {
    let mut values = Vec::new();
    for name in FILE_SETTINGS {
        let direct = format!("GOTEMP_{}", name.to_ascii_uppercase());
        let variable = format!("{direct}_FILE");
        let Some(path) = std::env::var_os(&variable) else {
            continue;
        };
        if std::env::var_os(&direct).is_some_and(|v| !v.is_empty()) {
            return Err(ConfigError::new(format!(
                "{direct} and {variable} are both set: set one of them"
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let message = format!("{variable}: cannot read {}: {e}", path.to_string_lossy());
            ConfigError::caused(message, e)
        })?;
        let value = text.strip_suffix('\n').unwrap_or(&text);
        let value = value.strip_suffix('\r').unwrap_or(value);
        values.push((name, value.to_owned()));
    }
    Ok(values)
}
