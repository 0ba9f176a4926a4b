//! Backends by URL: the store, master-data store, audit store, cache and tokens a [`Config`]
//! names. The scheme picks the adapter; an adapter whose cargo feature is off is a
//! configuration error naming the feature.

use crate::Config;
use crate::config::{AuditStore, CacheBackend, MasterDataStore, Store, config_error};
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
    match &storage.audit {
        Some(AuditStore::Off) => repositories.audit = Arc::new(gotemp_store::NoAudit),
        Some(AuditStore::Store(store)) if *store != storage.url => {
            let audit = open_store(store, storage.audit_pool_size).await?;
            repositories.audit = audit.audit;
            (repositories.pools).extend(audit.pools.into_iter().map(|(_, pool)| ("audit", pool)));
            repositories.purge.extend(audit.purge);
        }
        _ => {}
    }
    // `table`, `hypertable` (TimescaleDB) or `off`: what an operator checks after a deployment.
    let audit_storage = repositories.audit.storage_kind();
    tracing::info!(audit_storage, "audit trail storage");
    let master = match &storage.master_data {
        Some(MasterDataStore::Store(store)) if *store == storage.url => None,
        Some(master) => Some(open_master_data(master, storage.master_data_pool_size).await?),
        None => None,
    };
    if let Some((master, pools)) = master {
        repositories.pools.extend(pools);
        repositories.purge.push(master.purge);
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

/// Opens the store of customers and products (ArangoDB or a SQL store), with its connection
/// pools.
async fn open_master_data(
    store: &MasterDataStore,
    pool_size: u32,
) -> Result<(gotemp_store::MasterData, Pools)> {
    let store = match store {
        #[cfg(feature = "arango")]
        MasterDataStore::Arango(url) => {
            let arango = gotemp_store::ArangoStore::connect(url.as_str()).await?;
            return Ok((arango.master_data(), Vec::new()));
        }
        #[cfg(not(feature = "arango"))]
        MasterDataStore::Arango(_) => {
            return Err(config_error(
                "http:// (ArangoDB) master data storage needs gotemp's `arango` feature".into(),
            ));
        }
        MasterDataStore::Store(store) => open_store(store, pool_size).await?,
    };
    let pools = (store.pools.into_iter())
        .map(|(_, pool)| ("master_data", pool))
        .collect();
    let master = gotemp_store::MasterData {
        customers: store.customers,
        products: store.products,
        outbox: store.outbox,
        purge: (store.purge.into_iter().next())
            .ok_or_else(|| gotemp_core::Error::internal("a SQL store without its purge"))?,
    };
    Ok((master, pools))
}

/// Opens the SQL store `store` names, with at most `pool_size` connections.
async fn open_store(store: &Store, pool_size: u32) -> Result<Repositories> {
    #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
    let _ = pool_size;
    match store {
        #[cfg(feature = "sqlite")]
        Store::Sqlite(url) => Ok(
            gotemp_store::SqliteStore::connect_sized(url.as_str(), pool_size)
                .await?
                .repositories(),
        ),
        #[cfg(not(feature = "sqlite"))]
        Store::Sqlite(_) => Err(config_error(
            "sqlite:// storage needs gotemp's `sqlite` feature".into(),
        )),
        #[cfg(feature = "postgres")]
        Store::Postgres(url) => Ok(
            gotemp_store::PgStore::connect_sized(url.as_str(), pool_size)
                .await?
                .repositories(),
        ),
        #[cfg(not(feature = "postgres"))]
        Store::Postgres(_) => Err(config_error(
            "postgres:// storage needs gotemp's `postgres` feature".into(),
        )),
    }
}

/// Opens the cache `config.cache.url` names: `memory`, `redis://…`, or `none`.
fn open_cache(config: &Config) -> Result<Option<Arc<dyn Cache>>> {
    match &config.cache.url {
        CacheBackend::None => Ok(None),
        #[cfg(feature = "memory-cache")]
        CacheBackend::Memory => Ok(Some(Arc::new(gotemp_store::cache::MemoryCache::default()))),
        #[cfg(not(feature = "memory-cache"))]
        CacheBackend::Memory => Err(config_error(
            "cache `memory` needs gotemp's `memory-cache` feature".into(),
        )),
        #[cfg(feature = "redis")]
        CacheBackend::Redis(url) => {
            let settings = redis_settings(config)?;
            let redis: Arc<dyn Cache> = Arc::new(gotemp_store::cache::RedisCache::new(
                url.as_str(),
                &settings,
            )?);
            Ok(Some(tiered(redis, config.cache.near_ttl)))
        }
        #[cfg(not(feature = "redis"))]
        CacheBackend::Redis(_) => Err(config_error(
            "redis:// cache needs gotemp's `redis` feature".into(),
        )),
    }
}

/// The password-attempt counters every replica shares: on the cache's Redis when the cache is
/// one (`None` otherwise: each replica counts for itself).
pub(crate) fn shared_attempts(
    config: &Config,
) -> Result<Option<Arc<dyn gotemp_core::throttle::SharedAttempts>>> {
    match &config.cache.url {
        #[cfg(feature = "redis")]
        CacheBackend::Redis(url) => {
            let redis =
                gotemp_store::cache::RedisCache::new(url.as_str(), &redis_settings(config)?)?;
            let prefix = gotemp_core::cache::CacheSettings::default().prefix;
            Ok(Some(Arc::new(gotemp_store::cache::RedisAttempts::new(
                &redis, &prefix,
            ))))
        }
        #[cfg(not(feature = "redis"))]
        CacheBackend::Redis(_) => Err(config_error(
            "redis:// cache needs gotemp's `redis` feature".into(),
        )),
        CacheBackend::None | CacheBackend::Memory => Ok(None),
    }
}

/// The Redis connection's TLS: the deployment's CA and client certificate (`tls_*`).
#[cfg(feature = "redis")]
fn redis_settings(config: &Config) -> Result<gotemp_store::cache::RedisCacheSettings> {
    let read = |path: &std::path::Path, setting: &str| {
        std::fs::read(path).map_err(|e| {
            let message = format!("{setting}: cannot read {}: {e}", path.display());
            crate::domain::Error::from(crate::ConfigError::caused(message, e))
        })
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
