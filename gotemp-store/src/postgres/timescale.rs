//! The audit trail on TimescaleDB: a hypertable on `action_time` when the extension is
//! available, the plain time-indexed table otherwise. Which one is said at start-up.

use super::PgStore;
use crate::sql::error::map_sqlx;
use gotemp_core::Result;
use std::sync::atomic::Ordering;

/// How the audit trail is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditStorage {
    /// A TimescaleDB hypertable, chunked by `action_time`.
    Hypertable,
    /// A plain table with a time index (no TimescaleDB on this server).
    PlainTable,
}

impl PgStore {
    /// Makes `audit_records` a hypertable when TimescaleDB can be loaded; idempotent. A
    /// hypertable's unique indexes must contain its time column, so the event-id key becomes
    /// (event_id, action_time): a re-sent event has the same time, so duplicates still collide.
    pub async fn prepare_audit_storage(&self) -> Result<AuditStorage> {
        let (available,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_sqlx)?;
        if !available {
            tracing::info!(
                "TimescaleDB is not available: the audit trail is a plain table indexed by time"
            );
            return Ok(AuditStorage::PlainTable);
        }
        let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
        sqlx::query("CREATE EXTENSION IF NOT EXISTS timescaledb")
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
        let (already,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'audit_records')",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        if !already {
            for statement in [
                "ALTER TABLE audit_records DROP CONSTRAINT audit_records_pkey",
                "DROP INDEX audit_records_event_id_key",
                "ALTER TABLE audit_records ADD CONSTRAINT audit_records_pkey PRIMARY KEY (id, action_time)",
                "CREATE UNIQUE INDEX audit_records_event_id_key ON audit_records (event_id, action_time)",
                "DROP INDEX audit_records_chain_key",
                "CREATE UNIQUE INDEX audit_records_chain_key ON audit_records (tenant_id, seq, action_time)",
                "SELECT create_hypertable('audit_records', 'action_time', migrate_data => true)",
            ] {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?;
            }
        }
        // Row-level security does not combine with compressed hypertables: the trail is kept
        // apart by the statements (each names its tenant) and by who may reach this database.
        // Switched off once (by the owner, at the start that migrates): a start that finds it
        // off asks nothing an application role could not.
        let (secured,): (bool,) = sqlx::query_as(
            "SELECT relrowsecurity OR relforcerowsecurity FROM pg_class \
             WHERE oid = 'audit_records'::regclass",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        if secured {
            for statement in [
                "ALTER TABLE audit_records NO FORCE ROW LEVEL SECURITY",
                "ALTER TABLE audit_records DISABLE ROW LEVEL SECURITY",
            ] {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?;
            }
        }
        // Chunks a week old are compressed (columnstore), each tenant's records together in
        // chain order: what verification reads. Compression keeps rows changeable by whoever
        // may change the table; the chain is what shows a change. Set once, by the owner.
        let (compressed,): (bool,) = sqlx::query_as(
            "SELECT compression_enabled FROM timescaledb_information.hypertables \
             WHERE hypertable_name = 'audit_records'",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_sqlx)?;
        if !compressed {
            for statement in [
                "ALTER TABLE audit_records SET (timescaledb.compress, \
                 timescaledb.compress_segmentby = 'tenant_id', \
                 timescaledb.compress_orderby = 'seq')",
                "SELECT add_compression_policy('audit_records', INTERVAL '7 days', \
                 if_not_exists => true)",
            ] {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?;
            }
        }
        tx.commit().await.map_err(map_sqlx)?;
        self.state.timescale.store(true, Ordering::Release);
        tracing::info!("TimescaleDB present: the audit trail is a hypertable on action_time");
        Ok(AuditStorage::Hypertable)
    }
}
