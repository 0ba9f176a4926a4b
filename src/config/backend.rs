//! The backends a configuration names, as enums made when it is read: the URL's scheme picks the
//! variant there, so a mistyped scheme is an error naming its setting at start, and opening a
//! backend is a `match` rather than a second reading of text.

use super::{BackendUrl, ConfigError};
use std::fmt;
use std::str::FromStr;

/// A SQL store: users, promotions, and whatever is not split off
/// (`storage`, `audit_storage`, `master_data_storage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Store {
    /// `sqlite://path/to/file.db` (`sqlite::memory:` too): the embedded default.
    Sqlite(BackendUrl),
    /// `postgres://user@host/db` (or `postgresql://`).
    Postgres(BackendUrl),
}

/// Where the audit trail lives when it is not in the main store (`audit_storage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditStore {
    /// `none`: no trail (events still flow, so caches keep following changes; the audit API
    /// answers 404).
    Off,
    /// A SQL store of its own (a TimescaleDB, say).
    Store(Store),
}

/// Where customers and products live when not in the main store (`master_data_storage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MasterDataStore {
    /// A SQL store of its own.
    Store(Store),
    /// ArangoDB (`http://…`, `https://…`), as the original kept them.
    Arango(BackendUrl),
}

/// How change events travel (`events`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBus {
    /// `memory`: in process, for one process.
    Memory,
    /// `nats://host:4222` (`tls://` for TLS): JetStream, between processes.
    Nats(BackendUrl),
}

/// The lookup cache between services (`cache`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheBackend {
    /// `none` (or blank): every lookup asks its service.
    None,
    /// `memory`: in process.
    Memory,
    /// `redis://host:6379` (`rediss://` for TLS): shared by every instance.
    Redis(BackendUrl),
}

/// The scheme of `url` (`postgres` of `postgres://…`), or the whole text when it has none.
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or(url, |(scheme, _)| scheme)
}

/// "got …" for an error: the scheme only, so no credential is ever repeated — and of text
/// without `://`, only what comes before its first `:`, `@` or `/` (`user:password@host`
/// repeats `user`, never the password).
fn got(url: &str) -> String {
    let shown = match url.split_once("://") {
        Some((scheme, _)) => scheme,
        None => url.split([':', '@', '/']).next().unwrap_or_default(),
    };
    format!("got {shown:?}")
}

impl Store {
    /// The SQLite database in the file at `path` (made with its folders on first open): what an
    /// embedding application or a test usually wants, without writing a URL.
    pub fn sqlite_file(path: impl AsRef<std::path::Path>) -> Self {
        Store::Sqlite(format!("sqlite://{}", path.as_ref().display()).into())
    }

    /// The full address, credentials included: for connecting, never for printing.
    pub fn as_str(&self) -> &str {
        match self {
            Store::Sqlite(url) | Store::Postgres(url) => url.as_str(),
        }
    }
}

impl FromStr for Store {
    type Err = ConfigError;
    fn from_str(url: &str) -> Result<Self, ConfigError> {
        let url = url.trim();
        match scheme(url) {
            "sqlite" => Ok(Store::Sqlite(url.into())),
            _ if url.starts_with("sqlite:") => Ok(Store::Sqlite(url.into())),
            "postgres" | "postgresql" => Ok(Store::Postgres(url.into())),
            "http" | "https" => Err(ConfigError::new(
                "ArangoDB (http://) holds customers and products only: name it in \
                 master_data_storage (GOTEMP_MASTER_DATA_STORAGE) and keep storage on sqlite:// \
                 or postgres://"
                    .into(),
            )),
            _ => Err(ConfigError::new(format!(
                "a store's URL must start with sqlite:// or postgres://, {}",
                got(url)
            ))),
        }
    }
}

impl AuditStore {
    /// The full address (`none` when off).
    pub fn as_str(&self) -> &str {
        match self {
            AuditStore::Off => "none",
            AuditStore::Store(store) => store.as_str(),
        }
    }
}

impl FromStr for AuditStore {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        match text.trim() {
            "none" => Ok(AuditStore::Off),
            url => url.parse().map(AuditStore::Store),
        }
    }
}

impl MasterDataStore {
    /// The full address, credentials included.
    pub fn as_str(&self) -> &str {
        match self {
            MasterDataStore::Store(store) => store.as_str(),
            MasterDataStore::Arango(url) => url.as_str(),
        }
    }
}

impl FromStr for MasterDataStore {
    type Err = ConfigError;
    fn from_str(url: &str) -> Result<Self, ConfigError> {
        let url = url.trim();
        match scheme(url) {
            "http" | "https" => Ok(MasterDataStore::Arango(url.into())),
            _ => (url.parse().map(MasterDataStore::Store)).map_err(|_| {
                ConfigError::new(format!(
                    "master data storage must be sqlite://, postgres:// or http(s):// \
                     (ArangoDB), {}",
                    got(url)
                ))
            }),
        }
    }
}

impl EventBus {
    /// The full address (`memory` in process).
    pub fn as_str(&self) -> &str {
        match self {
            EventBus::Memory => "memory",
            EventBus::Nats(url) => url.as_str(),
        }
    }
}

impl FromStr for EventBus {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        match scheme(text) {
            "memory" => Ok(EventBus::Memory),
            "nats" | "tls" => Ok(EventBus::Nats(text.into())),
            _ => Err(ConfigError::new(format!(
                "events must be `memory` or a nats:// (tls://) URL, {}",
                got(text)
            ))),
        }
    }
}

impl CacheBackend {
    /// The full address (`memory`, `none`).
    pub fn as_str(&self) -> &str {
        match self {
            CacheBackend::None => "none",
            CacheBackend::Memory => "memory",
            CacheBackend::Redis(url) => url.as_str(),
        }
    }
}

impl FromStr for CacheBackend {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        match scheme(text) {
            "" | "none" => Ok(CacheBackend::None),
            "memory" => Ok(CacheBackend::Memory),
            "redis" | "rediss" => Ok(CacheBackend::Redis(text.into())),
            _ => Err(ConfigError::new(format!(
                "cache must be `memory`, `none` or a redis:// URL, {}",
                got(text)
            ))),
        }
    }
}

/// Deserialized from text, shown with its password hidden, compared with text.
macro_rules! backend_text {
    ($($backend:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $backend {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $backend {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&super::redact_url(self.as_str()))
            }
        }

        impl PartialEq<&str> for $backend {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    )*};
}

backend_text!(Store, AuditStore, MasterDataStore, EventBus, CacheBackend);
