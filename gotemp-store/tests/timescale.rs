//! The audit store on a real TimescaleDB (PGlite with TimescaleDB 2.23 in WebAssembly, started
//! by each test): the migrations make `audit_records` a hypertable, and the audit conformance
//! cases — idempotent single and batch inserts, filters and pages, dead letters, counts per bucket
//! through `time_bucket` — pass on it.
#![cfg(feature = "timescale")]

use gotemp_testing::conformance::{archive, audit, audit_chain};
use gotemp_testing::timescale::timescale_store;

macro_rules! on_timescale {
    ($($name:ident => $case:path),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(ts) = timescale_store(stringify!($name)).await else {
                return;
            };
            $case(&ts.repos).await;
            ts.store.close().await;
        }
    )*};
}

on_timescale! {
    audit_record_is_idempotent => audit::record_is_idempotent,
    audit_record_batch_is_idempotent => audit::record_batch_is_idempotent,
    audit_filters_newest_first_and_pages => audit::filters_newest_first_and_pages,
    audit_counts_per_bucket => audit::counts_per_bucket,
    audit_dead_letters_are_kept => audit::dead_letters_are_kept,
    audit_chain_links_every_record => audit_chain::every_record_is_linked_per_tenant,
    audit_chain_concurrent_consumers_make_one => audit_chain::concurrent_consumers_make_one_chain,
    audit_chain_checkpoints_kept_in_turn => audit_chain::checkpoints_are_kept_in_turn,
    audit_archive_keeps_the_evidence => archive::archive_keeps_the_evidence,
    audit_archive_forged_anchor_deletes_nothing => archive::a_forged_anchor_deletes_nothing,
}

/// The hypertable written to directly, as its superuser could (triggers off for the session).
struct Superuser(gotemp_store::PgStore);

#[async_trait::async_trait]
impl audit_chain::Behind for Superuser {
    async fn run(&self, sql: &str, unguarded: bool) -> Result<(), String> {
        let role = if unguarded { "replica" } else { "origin" };
        let script =
            format!("SET session_replication_role = {role}; {sql}; RESET session_replication_role");
        let done = sqlx::raw_sql(sqlx::AssertSqlSafe(script))
            .execute(self.0.pool())
            .await;
        done.map(drop).map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn audit_chain_tampering_is_found() {
    let Some(ts) = timescale_store("audit_chain_tampering_is_found").await else {
        return;
    };
    let db = Superuser(ts.store.clone());
    audit_chain::tampering_is_found(&ts.repos, &db).await;
    ts.store.close().await;
}

#[tokio::test]
async fn the_audit_trail_is_a_hypertable_bucketed_by_time_bucket() {
    let Some(ts) = timescale_store("the_audit_trail_is_a_hypertable_bucketed_by_time_bucket").await
    else {
        return;
    };
    let (version,): (String,) =
        sqlx::query_as("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
            .fetch_one(ts.store.pool())
            .await
            .expect("TimescaleDB is installed");
    let (dimension,): (String,) = sqlx::query_as(
        "SELECT column_name::text FROM timescaledb_information.dimensions \
         WHERE hypertable_name = 'audit_records'",
    )
    .fetch_one(ts.store.pool())
    .await
    .expect("audit_records is a hypertable");
    assert_eq!(dimension, "action_time", "TimescaleDB {version}");
    assert_eq!(ts.repos.audit.storage_kind(), "hypertable");
    // Preparing again (a second process starting) changes nothing.
    let again = ts.store.prepare_audit_storage().await.unwrap();
    assert_eq!(again, gotemp_store::postgres::AuditStorage::Hypertable);
    ts.store.close().await;
}

/// The trail's chunks are compressed a week after they fill, segmented by tenant and ordered by
/// seq; a compressed chain still verifies and still grows.
#[tokio::test]
async fn compressed_chunks_keep_the_chain() {
    let Some(ts) = timescale_store("compressed_chunks_keep_the_chain").await else {
        return;
    };
    let (segment, order): (String, String) = sqlx::query_as(
        "SELECT \
           (SELECT attname::text FROM timescaledb_information.compression_settings \
            WHERE hypertable_name = 'audit_records' AND segmentby_column_index = 1), \
           (SELECT attname::text FROM timescaledb_information.compression_settings \
            WHERE hypertable_name = 'audit_records' AND orderby_column_index = 1)",
    )
    .fetch_one(ts.store.pool())
    .await
    .expect("compression settings");
    assert_eq!((segment.as_str(), order.as_str()), ("tenant_id", "seq"));
    let (jobs,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM timescaledb_information.jobs \
         WHERE hypertable_name = 'audit_records' AND proc_name = 'policy_compression'",
    )
    .fetch_one(ts.store.pool())
    .await
    .unwrap();
    assert_eq!(jobs, 1, "a compression policy");

    audit_chain::every_record_is_linked_per_tenant(&ts.repos).await;
    let (chunks,): (i64,) = sqlx::query_as(
        "SELECT count(compress_chunk(c, if_not_compressed => true)) FROM show_chunks('audit_records') c",
    )
    .fetch_one(ts.store.pool())
    .await
    .expect("the chunks compress");
    assert!(chunks >= 1);
    let tenant = gotemp_core::values::TenantId::parse("tenant", "ducks").unwrap();
    // New records in the compressed chunks' time range extend the chain.
    let more = audit_chain::events(&tenant, 3);
    assert_eq!(
        ts.repos
            .audit
            .record_batch(&more, chrono::Utc::now())
            .await
            .unwrap(),
        3
    );
    let verify = gotemp_core::audit_chain::verify::verify_chain;
    let report = verify(&*ts.repos.audit, &tenant, 1, 100, &[], None)
        .await
        .unwrap();
    assert!(report.ok && report.verified_to_seq == 9, "{report:?}");
    ts.store.close().await;
}
