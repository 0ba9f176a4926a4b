//! The cache's keys: per tenant, entity and schema version, so no lookup can answer one tenant
//! with another's object and a changed shape is never read as the old one.

use super::{CACHED_OBJECTS, CacheLayer, Cacheable};
use crate::values::TenantId;

impl CacheLayer {
    /// The key of entity `T` of `tenant` with `id`: `<prefix>:<cache name>:v<schema>:<id>` for
    /// the tenant `default` (the keys of before tenants, so replicas of both ages evict each
    /// other's entries during an upgrade), `<prefix>:<tenant>:<cache name>:v<schema>:<id>` for
    /// any other. Neither tenant keys nor ids hold a `:`, so the two forms never meet: no
    /// lookup can answer one tenant with another's object.
    pub fn key<T: Cacheable>(&self, tenant: &TenantId, id: &str) -> String {
        self.key_for(tenant, T::CACHE_NAME, T::SCHEMA_VERSION, id)
    }

    pub(super) fn key_for(
        &self,
        tenant: &TenantId,
        object: &str,
        version: u32,
        id: &str,
    ) -> String {
        let prefix = &self.settings().prefix;
        if tenant.is_default() {
            format!("{prefix}:{object}:v{version}:{id}")
        } else {
            format!("{prefix}:{tenant}:{object}:v{version}:{id}")
        }
    }

    /// The keys of the object `object_name` `id` of `tenant`, in every shape it is cached in.
    pub(super) fn keys_of(&self, tenant: &TenantId, object_name: &str, id: &str) -> Vec<String> {
        (CACHED_OBJECTS.iter())
            .filter(|(object, _, _)| *object == object_name)
            .map(|(_, name, version)| self.key_for(tenant, name, *version, id))
            .collect()
    }
}
