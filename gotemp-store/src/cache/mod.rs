//! Adapters of gotemp-core's [`Cache`](gotemp_core::cache::Cache) port.

#[cfg(feature = "redis")]
mod attempts;
#[cfg(feature = "memory-cache")]
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use attempts::RedisAttempts;
#[cfg(feature = "memory-cache")]
pub use memory::MemoryCache;
#[cfg(feature = "redis")]
pub use redis::{RedisCache, RedisCacheSettings};
