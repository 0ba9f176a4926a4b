//! Turning database errors into domain errors, in one place for every SQL store.

use gotemp_core::{Error, constraints};

/// Maps a sqlx error: unique violations become `Conflict` by constraint name, connection trouble
/// `Unavailable` (retriable), anything else `Internal` (logged, never shown to clients).
pub fn map_sqlx(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let name = db
                .constraint()
                .map(str::to_owned)
                .or_else(|| sqlite_constraint(db.message()));
            name.as_deref()
                .and_then(constraints::unique_violation)
                .unwrap_or_else(|| {
                    Error::internal_from(format!("unexpected unique violation: {err}"), err)
                })
        }
        // A link whose end was deleted between the service's check and the insert.
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::conflict(
            gotemp_core::ConflictKind::State,
            Some("id"),
            gotemp_core::tr!("conflict.link_target_deleted"),
        ),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Error::unavailable_from(format!("database: {err}"), err),
        sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
            Error::unavailable_from(format!("database: {err}"), err)
        }
        _ => Error::internal_from(format!("database: {err}"), err),
    }
}

/// SQLite names the columns, not the index: "UNIQUE constraint failed: users.email_key".
fn sqlite_constraint(message: &str) -> Option<String> {
    let cols = message.strip_prefix("UNIQUE constraint failed: ")?;
    let name = match cols {
        "users.email_key" => constraints::USER_EMAIL,
        "tenants.key" => constraints::TENANT_KEY,
        "customers.tenant_id, customers.id" => constraints::CUSTOMER_ID,
        "products.tenant_id, products.id" => constraints::PRODUCT_ID,
        "customer_links.tenant_id, customer_links.from_id, customer_links.relation, \
         customer_links.to_id" => constraints::CUSTOMER_LINK,
        "product_links.tenant_id, product_links.from_id, product_links.relation, \
         product_links.to_id" => constraints::PRODUCT_LINK,
        _ => return None,
    };
    Some(name.to_owned())
}

/// Error codes that mean "try again": SQLite busy/locked, PostgreSQL serialization failure,
/// deadlock, too many connections, shutting down.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("5" | "6" | "517" | "40001" | "40P01" | "53300" | "57P01" | "57P03")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_constraint_names() {
        assert_eq!(
            sqlite_constraint("UNIQUE constraint failed: users.email_key").as_deref(),
            Some(constraints::USER_EMAIL)
        );
        assert_eq!(
            sqlite_constraint("UNIQUE constraint failed: customers.tenant_id, customers.id")
                .as_deref(),
            Some(constraints::CUSTOMER_ID)
        );
        assert_eq!(sqlite_constraint("UNIQUE constraint failed: x.y"), None);
        assert_eq!(sqlite_constraint("something else"), None);
    }

    #[test]
    fn pool_timeouts_are_retriable() {
        assert!(map_sqlx(sqlx::Error::PoolTimedOut).is_retriable());
        assert!(!map_sqlx(sqlx::Error::RowNotFound).is_retriable());
    }
}
