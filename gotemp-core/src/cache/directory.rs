//! The promotion service's customer lookups through the cache, for when customers are served
//! by another process: a burst of promotion reads asks the customer service once per customer,
//! as the original's Redis lookup did.

use super::CacheLayer;
use crate::actor::Actor;
use crate::entities::Customer;
use crate::error::Result;
use crate::ports::CustomerDirectory;
use async_trait::async_trait;
use std::sync::Arc;

/// A [`CustomerDirectory`] read through a [`CacheLayer`], under the same entries the customer
/// service itself caches customers in. Entries go when the customer's change event arrives (the
/// process must follow change events: the NATS cache invalidator does), or, with a cache shared
/// with the customer service (Redis), at once when the change commits. Unknown customers are not
/// cached: asking again is how a new customer is found. What is cached is the customer, not a
/// caller's view of it: the promotion service decides per caller whether the name is shown.
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
    async fn customer(&self, caller: &Actor, id: &str) -> Result<Option<Customer>> {
        self.cache
            .get_or_load::<Customer, _, _>(&caller.tenant, id, || self.inner.customer(caller, id))
            .await
    }
}
