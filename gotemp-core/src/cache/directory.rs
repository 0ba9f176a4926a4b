//! The promotion service's customer lookups through the cache, for when customers are served
//! by another process: a burst of promotion reads asks the customer service once per customer,
//! as the original's Redis lookup did.

use super::{CacheLayer, Cacheable};
use crate::error::Result;
use crate::event::Auditable;
use crate::ports::CustomerDirectory;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a promotion service keeps of a customer it does not store: its name. Cached apart from
/// the customer itself (the customer service caches the whole object under the same cache), and
/// evicted with it by every change of the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerName {
    /// The customer's key.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl Auditable for CustomerName {
    const OBJECT_NAME: &'static str = "customer";
    const SERVICE: &'static str = "customer";
    fn object_id(&self) -> String {
        self.id.clone()
    }
}

impl Cacheable for CustomerName {
    const SCHEMA_VERSION: u32 = 1;
    const CACHE_NAME: &'static str = "customer_name";
}

/// A [`CustomerDirectory`] read through a [`CacheLayer`]. Entries go when the customer's change
/// event arrives (the process must follow change events: the NATS cache invalidator does), or,
/// with a cache shared with the customer service (Redis), at once when the change commits.
/// Unknown customers are not cached: asking again is how a new customer is found.
pub struct CachedCustomerDirectory {
    inner: Arc<dyn CustomerDirectory>,
    cache: CacheLayer,
}

impl CachedCustomerDirectory {
    /// Serves `inner`'s answers through `cache`.
    pub fn new(inner: Arc<dyn CustomerDirectory>, cache: CacheLayer) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl CustomerDirectory for CachedCustomerDirectory {
    async fn customer_name(&self, id: &str) -> Result<Option<String>> {
        let load = || async {
            let name = self.inner.customer_name(id).await?;
            Ok(name.map(|name| CustomerName {
                id: id.to_owned(),
                name,
            }))
        };
        let found = self
            .cache
            .get_or_load::<CustomerName, _, _>(id, load)
            .await?;
        Ok(found.map(|c| c.name))
    }
}
