//! The conformance suite on PostgreSQL (a fresh database per test), found through
//! `GOTEMP_TEST_POSTGRES_URL`, the local server on 127.0.0.1:5432, or a container.

gotemp_testing::conformance_tests!(gotemp_testing::postgres_store);

/// A database written by gotemp before tenants (tests/fixtures, `pg_dump --inserts` of the demo
/// data) migrates into the tenant `default` and keeps working.
#[tokio::test]
async fn a_database_from_before_tenants_migrates_into_the_default_tenant() {
    let test = "a_database_from_before_tenants_migrates_into_the_default_tenant";
    let dump = include_str!("fixtures/before-tenants.postgres.sql");
    let Some(store) = gotemp_testing::postgres_store_from(test, dump).await else {
        return;
    };
    gotemp_testing::conformance::tenants::a_database_from_before_tenants_is_the_default_tenant(
        &store.repos,
    )
    .await;
    store.finish().await;
}
