//! The conformance suite on the embedded SQLite store (a fresh file per test).

gotemp_testing::conformance_tests!(|_test: &'static str| async {
    Some(gotemp_testing::sqlite_store().await)
});

/// A database written by gotemp before tenants (tests/fixtures, `sqlite3 .dump` of the demo
/// data) migrates into the tenant `default` and keeps working.
#[tokio::test]
async fn a_database_from_before_tenants_migrates_into_the_default_tenant() {
    let dump = include_str!("fixtures/before-tenants.sqlite.sql");
    let store = gotemp_testing::sqlite_store_from(dump).await;
    gotemp_testing::conformance::tenants::a_database_from_before_tenants_is_the_default_tenant(
        &store.repos,
    )
    .await;
    store.finish().await;
}
