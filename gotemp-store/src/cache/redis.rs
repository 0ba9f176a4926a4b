//! The Redis cache: one cache shared by every instance of every service.
//!
//! Connects lazily and reconnects by itself (redis' `ConnectionManager`), so a process starts
//! while Redis is down and picks it up when it comes back; every call is bounded by a response
//! timeout so a hung Redis costs a request at most that long (and then the cache layer stops
//! asking it for a while).

use async_trait::async_trait;
use gotemp_core::cache::Cache;
use gotemp_core::{Error, Result};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// Connection settings of [`RedisCache`].
#[derive(Debug, Clone)]
pub struct RedisCacheSettings {
    /// Longest wait for a connection to be established.
    pub connect_timeout: Duration,
    /// Longest wait for an answer to one command.
    pub response_timeout: Duration,
    /// With `rediss://`: the PEM CA the server's certificate must chain to (the system's roots
    /// when `None`).
    pub ca_pem: Option<Vec<u8>>,
    /// With `rediss://`: PEM client certificate and key, for a server that verifies clients
    /// (`tls-auth-clients yes`).
    pub client_pem: Option<(Vec<u8>, Vec<u8>)>,
}

impl Default for RedisCacheSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(500),
            response_timeout: Duration::from_millis(250),
            ca_pem: None,
            client_pem: None,
        }
    }
}

/// [`Cache`] on Redis. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisCache {
    pub(super) conn: ConnectionManager,
}

impl RedisCache {
    /// A cache on the Redis server at `url` (`redis://host:port/db`, `rediss://` for TLS;
    /// `redis://user:password@…` or `redis://:password@…` to authenticate). Does not connect
    /// yet: the first command does, so this only fails on a malformed URL.
    pub fn new(url: &str, settings: &RedisCacheSettings) -> Result<Self> {
        let malformed = |e: redis::RedisError| {
            Error::internal(format!(
                "cache URL is not a valid redis:// URL ({:?})",
                e.kind()
            ))
        };
        let client = match url.starts_with("rediss://")
            && (settings.ca_pem.is_some() || settings.client_pem.is_some())
        {
            true => {
                let certificates = redis::TlsCertificates {
                    client_tls: settings
                        .client_pem
                        .clone()
                        .map(|(client_cert, client_key)| redis::ClientTlsConfig {
                            client_cert,
                            client_key,
                        }),
                    root_cert: settings.ca_pem.clone(),
                };
                redis::Client::build_with_tls(url, certificates)
            }
            false => redis::Client::open(url),
        }
        .map_err(malformed)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(settings.response_timeout))
            // Reconnecting is retried by the next command; a long retry loop would only hold
            // requests up while Redis is away.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(100));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self { conn })
    }
}

pub(super) fn unavailable(e: redis::RedisError) -> Error {
    Error::unavailable_from(format!("redis: {e}"), e)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.conn.clone().get(key).await.map_err(unavailable)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.conn
            .clone()
            .pset_ex(key, value, millis)
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let _: usize = self.conn.clone().unlink(keys).await.map_err(unavailable)?;
        Ok(())
    }

    async fn clear(&self, prefix: &str) -> Result<()> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}*", escape_glob(prefix));
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            if !keys.is_empty() {
                let _: usize = conn.unlink(&keys).await.map_err(unavailable)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// Escapes the characters SCAN MATCH treats as a pattern, so a prefix matches only itself.
fn escape_glob(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn glob_characters_in_a_prefix_are_literal() {
        assert_eq!(super::escape_glob("app[1]*:"), r"app\[1\]\*:");
    }

    #[test]
    fn a_malformed_url_is_refused_without_echoing_it() {
        let err = match super::RedisCache::new("http://user:hunter2@x", &Default::default()) {
            Err(e) => e,
            Ok(_) => panic!("accepted a non-redis URL"),
        };
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
