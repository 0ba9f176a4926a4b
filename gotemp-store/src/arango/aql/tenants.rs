//! Statements over a whole tenant: adopting the documents from before tenants, purging one.

use super::Aql;

/// Gives the documents written before tenants existed (no `tenant_id`) to the tenant
/// `default`, whose document keys are its ids: run at start, idempotent.
pub fn adopt_into_default(collection: &str) -> Aql {
    let mut q = Aql::new(format!(
        "FOR d IN {collection} FILTER d.tenant_id == null UPDATE d WITH {{tenant_id: "
    ));
    let t = q.value(gotemp_core::values::TenantId::DEFAULT);
    q.push(&format!("{t}}} IN {collection}"));
    q
}

/// Removes every document of `tenant` from `collection`; returns how many.
pub fn purge(collection: &str, tenant: &str) -> Aql {
    let mut q = Aql::new(format!("FOR d IN {collection}"));
    q.filter_eq("tenant_id", tenant);
    q.push(&format!(
        " REMOVE d IN {collection} COLLECT WITH COUNT INTO n RETURN n"
    ));
    q
}
