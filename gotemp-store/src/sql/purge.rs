//! Removing a tenant's rows, for `gotemp tenant purge`.

use super::{Bind, Dialect, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::ports::TenantPurge;
use gotemp_core::values::TenantId;
use sqlx::AssertSqlSafe;

/// Every table with a `tenant_id`, links before the objects they join. The tenants table is
/// not among them: the tenant itself is deleted through the API once empty.
const TABLES: [&str; 12] = [
    "customer_links",
    "product_links",
    "customers",
    "products",
    "promotions",
    "users",
    // The chain's head first, as storing a record locks it first: one lock order.
    "audit_chains",
    "audit_checkpoints",
    "audit_archives",
    "audit_records",
    "audit_dead_letters",
    "outbox",
];

#[async_trait]
impl<D: Dialect> TenantPurge for SqlStore<D> {
    /// One transaction in the tenant's scope: all of it goes, or none.
    async fn purge_tenant(&self, tenant: &TenantId) -> Result<Vec<(String, u64)>> {
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        // The tenant's chain goes with its records: the archiver's path past the trail's
        // insert-only triggers.
        super::chain::enter_maintenance::<D>(&mut tx, "archive").await?;
        let mut removed = Vec::new();
        for table in TABLES {
            let sql = format!("DELETE FROM {table} WHERE tenant_id = $1");
            let done = sqlx::query(AssertSqlSafe(sql))
                .arg(tenant.as_str())
                .execute(D::on_connection(&mut tx))
                .await
                .map_err(map_sqlx)?;
            let n = D::rows_affected(&done);
            if n > 0 {
                removed.push((table.to_owned(), n));
            }
        }
        super::chain::leave_maintenance::<D>(&mut tx).await?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(removed)
    }
}
