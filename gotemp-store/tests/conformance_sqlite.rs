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

/// The SQLite file written to directly, as whoever can write it could.
struct File(String);

#[async_trait::async_trait]
impl gotemp_testing::conformance::audit_chain::Behind for File {
    async fn run(&self, sql: &str, unguarded: bool) -> Result<(), String> {
        use sqlx::Connection as _;
        let mut db = sqlx::SqliteConnection::connect(&self.0)
            .await
            .map_err(|e| e.to_string())?;
        if unguarded {
            for trigger in ["audit_records_no_update", "audit_records_no_delete"] {
                let drop = format!("DROP TRIGGER IF EXISTS {trigger}");
                sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                    .execute(&mut db)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut db)
            .await;
        db.close().await.ok();
        done.map(drop).map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn audit_chain_tampering_is_found() {
    let store = gotemp_testing::sqlite_store().await;
    let file = File(store.url.clone());
    gotemp_testing::conformance::audit_chain::tampering_is_found(&store.repos, &file).await;
    store.finish().await;
}
