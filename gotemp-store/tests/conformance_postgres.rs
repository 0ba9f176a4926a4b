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

/// The test database written to directly by its owner (a login that owns the tables but is no
/// superuser), as anyone with that login could.
struct Owner(String);

#[async_trait::async_trait]
impl gotemp_testing::conformance::audit_chain::Behind for Owner {
    async fn run(&self, sql: &str, unguarded: bool) -> Result<(), String> {
        use sqlx::Connection as _;
        let mut db = sqlx::PgConnection::connect(&self.0)
            .await
            .map_err(|e| e.to_string())?;
        // As the owner, with row-level security not forced on it (it owns the tables: it may
        // say so), so one statement reaches every tenant's rows.
        let tables = ["audit_records", "audit_chains", "audit_checkpoints"];
        let mut script = String::new();
        for table in tables {
            script.push_str(&format!(
                "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
            ));
        }
        if unguarded {
            script.push_str("ALTER TABLE audit_records DISABLE TRIGGER USER; ");
        }
        script.push_str(&format!("{sql}; "));
        if unguarded {
            script.push_str("ALTER TABLE audit_records ENABLE TRIGGER USER; ");
        }
        for table in tables {
            script.push_str(&format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY; "));
        }
        let done = sqlx::raw_sql(sqlx::AssertSqlSafe(script))
            .execute(&mut db)
            .await;
        db.close().await.ok();
        done.map(drop).map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn audit_chain_tampering_is_found() {
    let Some(store) = gotemp_testing::postgres_store("audit_chain_tampering_is_found").await else {
        return;
    };
    let owner = Owner(store.url.clone());
    gotemp_testing::conformance::audit_chain::tampering_is_found(&store.repos, &owner).await;
    store.finish().await;
}
