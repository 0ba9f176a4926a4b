//! Backends by URL: the store, master-data store, audit store, cache and tokens a [`Config`]
//! names. The scheme picks the adapter; an adapter whose cargo feature is off is a
//! configuration error naming the feature.

use crate::Config;
use crate::config::{self, config_error};
use gotemp_core::Result;
use gotemp_core::auth::{TokenService, TokenSettings};
use gotemp_core::cache::{Cache, CacheLayer, CacheSettings};
use gotemp_core::ports::Repositories;
use std::sync::Arc;

/// Every repository `config` names: the main store, with the audit trail and master data moved
/// to stores of their own when it names other URLs for them (one relay then drains both
/// outboxes).
pub(crate) async fn repositories(config: &Config) -> Result<Repositories> {
    let storage = &config.storage;
    let mut repositories = open_store(&storage.url, storage.pool_size).await?;
    if config.storage.audit_off() {
        repositories.audit = Arc::new(gotemp_store::NoAudit);
    } else if let Some(url) =
        (config.storage.audit.as_deref()).filter(|u| *u != config.storage.url.as_str())
    {
        let audit = open_store(url, storage.audit_pool_size).await?;
        repositories.audit = audit.audit;
        (repositories.pools).extend(audit.pools.into_iter().map(|(_, pool)| ("audit", pool)));
    }
    // `table`, `hypertable` (TimescaleDB) or `off`: what an operator checks after a deployment.
    let audit_storage = repositories.audit.storage_kind();
    tracing::info!(audit_storage, "audit trail storage");
    if let Some(url) =
        (config.storage.master_data.as_deref()).filter(|u| *u != config.storage.url.as_str())
    {
        let (master, pools) = open_master_data(url, storage.master_data_pool_size).await?;
        repositories.pools.extend(pools);
        repositories.customers = master.customers;
        repositories.products = master.products;
        repositories.outbox = Arc::new(gotemp_events::MergedOutbox::new(vec![
            repositories.outbox.clone(),
            master.outbox,
        ]));
    }
    Ok(repositories)
}

/// The token service `config`'s secret (or Ed25519 keys) and lifetime make.
pub(crate) fn tokens(config: &Config) -> Result<Arc<TokenService>> {
    let mut settings = TokenSettings::new(config.auth.jwt_secret.clone());
    if let Some(previous) = &config.auth.jwt_previous_secrets {
        use secrecy::ExposeSecret as _;
        settings.previous_secrets = (previous.expose_secret().split(','))
            .map(str::trim)
            .filter(|secret| !secret.is_empty())
            .map(|secret| secrecy::SecretString::from(secret.to_owned()))
            .collect();
    }
    settings.ttl = chrono::Duration::from_std(config.auth.token_ttl)
        .map_err(|_| config_error("token_ttl_secs (GOTEMP_TOKEN_TTL_SECS) is too long".into()))?;
    settings.private_key = config.auth.jwt_private_key.clone();
    settings.public_keys = config.auth.jwt_public_key.iter().cloned().collect();
    Ok(Arc::new(TokenService::new(settings)?))
}

/// The lookup cache `config.cache.url` names, with its lifetime; `None` for `none`.
pub(crate) fn cache(config: &Config) -> Result<Option<CacheLayer>> {
    Ok(open_cache(config)?.map(|cache| {
        let settings = CacheSettings {
            ttl: config.cache.ttl.max(std::time::Duration::from_secs(1)),
            ..CacheSettings::default()
        };
        CacheLayer::new(cache, settings)
    }))
}

/// A store's connection pools, named for what they serve.
type Pools = Vec<(&'static str, Arc<dyn gotemp_core::ports::ConnectionPool>)>;

/// Opens the store of customers and products (ArangoDB for `http(s)://`, else a SQL store), with
/// its connection pools.
async fn open_master_data(url: &str, pool_size: u32) -> Result<(gotemp_store::MasterData, Pools)> {
    if url.starts_with("http://") || url.starts_with("https://") {
        #[cfg(feature = "arango")]
        return Ok((
            gotemp_store::ArangoStore::connect(url).await?.master_data(),
            Vec::new(),
        ));
        #[cfg(not(feature = "arango"))]
        return Err(config_error(
            "http:// (ArangoDB) master data storage needs gotemp's `arango` feature".into(),
        ));
    }
    let store = open_store(url, pool_size).await?;
    let pools = (store.pools.into_iter())
        .map(|(_, pool)| ("master_data", pool))
        .collect();
    let master = gotemp_store::MasterData {
        customers: store.customers,
        products: store.products,
        outbox: store.outbox,
    };
    Ok((master, pools))
}

/// Opens the store a URL names, with at most `pool_size` connections; the scheme picks the
/// adapter.
async fn open_store(url: &str, pool_size: u32) -> Result<Repositories> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => {
            #[cfg(feature = "sqlite")]
            return Ok(gotemp_store::SqliteStore::connect_sized(url, pool_size)
                .await?
                .repositories());
            #[cfg(not(feature = "sqlite"))]
            return Err(config_error(
                "sqlite:// storage needs gotemp's `sqlite` feature".into(),
            ));
        }
        "postgres" | "postgresql" => {
            #[cfg(feature = "postgres")]
            return Ok(gotemp_store::PgStore::connect_sized(url, pool_size)
                .await?
                .repositories());
            #[cfg(not(feature = "postgres"))]
            return Err(config_error(
                "postgres:// storage needs gotemp's `postgres` feature".into(),
            ));
        }
        "http" | "https" => Err(config_error(
            "ArangoDB (http://) holds customers and products only: name it in master_data_storage (GOTEMP_MASTER_DATA_STORAGE) and keep storage on sqlite:// or postgres://".into(),
        )),
        _ => Err(config_error(format!(
            "storage URL must start with sqlite:// or postgres://, got {:?}",
            url.split("://").next().unwrap_or(url)
        ))),
    }
}

/// Opens the cache `config.cache.url` names: `memory`, `redis://…`, or `none`.
fn open_cache(config: &Config) -> Result<Option<Arc<dyn Cache>>> {
    let setting = config.cache.url.trim();
    if setting.is_empty() || setting == "none" {
        return Ok(None);
    }
    if setting == "memory" {
        #[cfg(feature = "memory-cache")]
        return Ok(Some(Arc::new(gotemp_store::cache::MemoryCache::default())));
        #[cfg(not(feature = "memory-cache"))]
        return Err(config_error(
            "cache `memory` needs gotemp's `memory-cache` feature".into(),
        ));
    }
    if setting.starts_with("redis://") || setting.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        {
            let redis: Arc<dyn Cache> = Arc::new(gotemp_store::cache::RedisCache::new(
                setting,
                &redis_settings(config)?,
            )?);
            return Ok(Some(tiered(redis, config.cache.near_ttl)));
        }
        #[cfg(not(feature = "redis"))]
        return Err(config_error(
            "redis:// cache needs gotemp's `redis` feature".into(),
        ));
    }
    Err(config_error(format!(
        "cache must be `memory`, `none` or a redis:// URL, got {:?}",
        config::redact_url(setting)
    )))
}

/// The password-attempt counters every replica shares: on the cache's Redis when the cache is
/// one (`None` otherwise: each replica counts for itself).
pub(crate) fn shared_attempts(
    config: &Config,
) -> Result<Option<Arc<dyn gotemp_core::throttle::SharedAttempts>>> {
    let setting = config.cache.url.trim();
    if !(setting.starts_with("redis://") || setting.starts_with("rediss://")) {
        return Ok(None);
    }
    #[cfg(feature = "redis")]
    {
        let redis = gotemp_store::cache::RedisCache::new(setting, &redis_settings(config)?)?;
        let prefix = gotemp_core::cache::CacheSettings::default().prefix;
        Ok(Some(Arc::new(gotemp_store::cache::RedisAttempts::new(
            &redis, &prefix,
        ))))
    }
    #[cfg(not(feature = "redis"))]
    Err(config_error(
        "redis:// cache needs gotemp's `redis` feature".into(),
    ))
}

/// The Redis connection's TLS: the deployment's CA and client certificate (`tls_*`).
#[cfg(feature = "redis")]
fn redis_settings(config: &Config) -> Result<gotemp_store::cache::RedisCacheSettings> {
    let read = |path: &std::path::Path, setting: &str| {
        std::fs::read(path)
            .map_err(|e| config_error(format!("{setting}: cannot read {}: {e}", path.display())))
    };
    let ca_pem = match &config.tls.ca {
        Some(ca) => Some(read(ca, "tls_ca")?),
        None => None,
    };
    let client_pem = match config.tls.client_pair() {
        Some((cert, key)) => Some((
            read(&cert, "tls_client_cert")?,
            read(&key, "tls_client_key")?,
        )),
        None => None,
    };
    Ok(gotemp_store::cache::RedisCacheSettings {
        ca_pem,
        client_pem,
        ..Default::default()
    })
}

/// Puts an in-process tier in front of `far` when `near_ttl_secs` asks for one.
#[cfg(feature = "redis")]
fn tiered(far: Arc<dyn Cache>, near_ttl: std::time::Duration) -> Arc<dyn Cache> {
    #[cfg(feature = "memory-cache")]
    if !near_ttl.is_zero() {
        let near = Arc::new(gotemp_store::cache::MemoryCache::default());
        return Arc::new(gotemp_core::cache::TieredCache::new(near, far, near_ttl));
    }
    #[cfg(not(feature = "memory-cache"))]
    if !near_ttl.is_zero() {
        tracing::warn!("cache_near_ttl_secs needs the `memory-cache` feature; using Redis alone");
    }
    far
}
