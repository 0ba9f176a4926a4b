//! Backend addresses that never print their credentials.

use serde::Deserialize;

/// A backend's address (`postgres://user:pw@host/db`, `redis://…`, `nats://…`, `memory`):
/// printed (`Debug`, `Display`) with its password hidden, read in full with [`as_str`].
///
/// [`as_str`]: BackendUrl::as_str
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct BackendUrl(String);

impl BackendUrl {
    /// The full address, credentials included: for connecting, never for printing.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for BackendUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for BackendUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for BackendUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl PartialEq<&str> for BackendUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Debug for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

impl std::fmt::Display for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

pub use gotemp_core::urls::redact_url;
