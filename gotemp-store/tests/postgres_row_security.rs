//! Row-level security on PostgreSQL, the second line of defence behind the tenant every
//! statement names (migration 0009): a connection as the application's role that set no tenant
//! (nor as the tables' owner) reads no row of any tenant's table; one that set tenant A sees only
//! A's rows and cannot write a row of B; every table with a `tenant_id` has its policies, forced
//! on the tables' owner too. The other tests on PostgreSQL connect as the owner, so the whole
//! conformance suite runs under these policies.

use gotemp_testing::{TEST_APP_ROLE, TestStore, postgres_store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection as _, PgConnection};
use std::str::FromStr as _;

/// A customer row of `tenant`, as the store writes one.
fn insert_customer(tenant: &str, id: &str) -> String {
    format!(
        "INSERT INTO customers (tenant_id, id, name, valid_from, valid_thru, extra_fields, \
         created_at, updated_at, modified_by, version) VALUES ('{tenant}', '{id}', 'Ducks R Us', \
         now(), now() + interval '1 year', '{{}}', now(), now(), 1, 1)"
    )
}

/// A connection to the test's database as `user` (whose password is its name).
async fn connect_as(store: &TestStore, user: &str) -> PgConnection {
    let options = (PgConnectOptions::from_str(&store.url).expect("the test database's URL"))
        .username(user)
        .password(user);
    (PgConnection::connect_with(&options).await).expect("a connection as the role")
}

/// The test's database holding customer `c1` in tenants `ducks` and `geese`, written by the
/// owner under the cross-tenant role (as tenant administration would).
async fn two_tenants(test: &str) -> Option<TestStore> {
    let store = postgres_store(test).await?;
    let mut owner = PgConnection::connect(&store.url)
        .await
        .expect("a connection as the owner");
    let mut tx = owner.begin().await.expect("BEGIN");
    sqlx::query("SET LOCAL ROLE gotemp_cross_tenant")
        .execute(&mut *tx)
        .await
        .expect("the owner may take on the cross-tenant role");
    for tenant in ["ducks", "geese"] {
        sqlx::query(sqlx::AssertSqlSafe(insert_customer(tenant, "c1")))
            .execute(&mut *tx)
            .await
            .expect("a customer of each tenant");
    }
    tx.commit().await.expect("COMMIT");
    Some(store)
}

/// The tables of the test's database that have a `tenant_id` column.
async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT c.table_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.column_name = 'tenant_id' AND c.table_schema = current_schema() \
         AND t.table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .expect("the tables with a tenant");
    tables.into_iter().map(|(t,)| t).collect()
}

#[tokio::test]
async fn every_table_with_a_tenant_has_forced_tenant_policies() {
    let Some(store) = postgres_store("every_table_with_a_tenant_has_forced_tenant_policies").await
    else {
        return;
    };
    let mut conn = PgConnection::connect(&store.url).await.expect("connect");
    let tables = tenant_tables(&mut conn).await;
    assert!(tables.len() >= 9, "the tenant tables: {tables:?}");
    let mut missing = Vec::new();
    for table in &tables {
        let (enabled, forced, scoped): (bool, bool, bool) = sqlx::query_as(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, EXISTS (SELECT 1 FROM pg_policies p \
             WHERE p.schemaname = current_schema() AND p.tablename = c.relname \
             AND p.qual LIKE '%current_setting(''gotemp.tenant''%' \
             AND p.with_check LIKE '%current_setting(''gotemp.tenant''%') \
             FROM pg_class c WHERE c.oid = to_regclass($1)",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .expect("the table's row security");
        if !(enabled && forced && scoped) {
            missing.push(format!(
                "{table} (enabled {enabled}, forced {forced}, tenant policy {scoped})"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "tables with a tenant_id but no forced tenant policy: {missing:?}"
    );
}

#[tokio::test]
async fn the_application_role_that_set_no_tenant_reads_no_row() {
    let Some(store) = two_tenants("the_application_role_that_set_no_tenant_reads_no_row").await
    else {
        return;
    };
    // The application's role, and the tables' owner, which is granted the cross-tenant role but
    // has not taken it on: membership alone crosses no tenant.
    let app = connect_as(&store, TEST_APP_ROLE).await;
    let owner = PgConnection::connect(&store.url).await.expect("connect");
    for (who, mut conn) in [("application role", app), ("owner", owner)] {
        let tables = tenant_tables(&mut conn).await;
        for table in &tables {
            let (n,): (i64,) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&mut conn)
                    .await
                    .expect("the role may read the table");
            assert_eq!(n, 0, "{who}, {table}: rows seen without a tenant");
        }
        let err = sqlx::query(sqlx::AssertSqlSafe(insert_customer("ducks", "c2")))
            .execute(&mut conn)
            .await
            .expect_err("no tenant, no write");
        assert!(
            err.to_string().contains("row-level security"),
            "{who}: {err}"
        );
    }
}

#[tokio::test]
async fn a_transaction_of_tenant_a_sees_and_writes_only_rows_of_a() {
    let Some(store) = two_tenants("a_transaction_of_tenant_a_sees_and_writes_only_rows_of_a").await
    else {
        return;
    };
    let mut app = connect_as(&store, TEST_APP_ROLE).await;
    let mut tx = app.begin().await.expect("BEGIN");
    sqlx::query("SELECT set_config('gotemp.tenant', 'ducks', true)")
        .execute(&mut *tx)
        .await
        .expect("the tenant for the transaction");
    let seen: Vec<(String,)> = sqlx::query_as("SELECT tenant_id FROM customers")
        .fetch_all(&mut *tx)
        .await
        .expect("read");
    assert_eq!(seen, [("ducks".to_owned(),)]);
    let renamed = sqlx::query("UPDATE customers SET name = 'Geese Inc' WHERE tenant_id = 'geese'")
        .execute(&mut *tx)
        .await
        .expect("an update that matches nothing it may see");
    assert_eq!(renamed.rows_affected(), 0, "B's row changed from A");
    sqlx::query(sqlx::AssertSqlSafe(insert_customer("ducks", "c2")))
        .execute(&mut *tx)
        .await
        .expect("a row of A");
    let err = sqlx::query(sqlx::AssertSqlSafe(insert_customer("geese", "c2")))
        .execute(&mut *tx)
        .await
        .expect_err("a row of B from A");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);
    // The setting was the transaction's: the connection, back in a pool, carries no tenant.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers")
        .fetch_one(&mut app)
        .await
        .expect("read");
    assert_eq!(n, 0, "the tenant outlived its transaction");
}

#[tokio::test]
async fn the_application_role_cannot_take_on_the_cross_tenant_role() {
    let Some(store) =
        postgres_store("the_application_role_cannot_take_on_the_cross_tenant_role").await
    else {
        return;
    };
    let mut app = connect_as(&store, TEST_APP_ROLE).await;
    let mut tx = app.begin().await.expect("BEGIN");
    let err = sqlx::query("SET LOCAL ROLE gotemp_cross_tenant")
        .execute(&mut *tx)
        .await
        .expect_err("only roles granted it may cross tenants");
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn a_role_that_does_not_own_the_tables_serves_a_migrated_database() {
    let test = "a_role_that_does_not_own_the_tables_serves_a_migrated_database";
    let Some(store) = two_tenants(test).await else {
        return;
    };
    let options = (PgConnectOptions::from_str(&store.url).expect("the test database's URL"))
        .username(TEST_APP_ROLE)
        .password(TEST_APP_ROLE);
    // It may not change the schema: starting asks only which migrations ran.
    let settings = gotemp_store::postgres::PgSettings::default();
    let app = (gotemp_store::PgStore::connect_with(options, &settings).await)
        .expect("a store as the application's role on a migrated database");
    let repos = app.repositories();
    let ducks = gotemp_core::values::TenantId::parse("tenant", "ducks").expect("a key");
    let found = (repos.customers.get(&ducks, "c1").await).expect("a read in the tenant");
    assert_eq!(found.map(|c| c.id), Some("c1".to_owned()));
    app.close().await;
}
