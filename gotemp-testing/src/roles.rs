//! The roles of the tests' PostgreSQL databases: an owner that is not a superuser (so the
//! tenants' row-level security holds every test), and a login with only the application's rights.

/// The role that owns each test's database on PostgreSQL (its password is its name: a role of
/// tests, owning nothing else).
pub(crate) const TEST_OWNER: &str = "gotemp_test_owner";

/// A login role with only the application's rights (`gotemp_data`): neither the tables' owner
/// nor a member of the cross-tenant role. Its password is its name.
pub const TEST_APP_ROLE: &str = "gotemp_test_app";

/// Makes, once per server, the owner of the tests' databases and the roles migration 0009 would
/// make (so the owner needs no right to make roles), under a lock: tests start at once.
pub(crate) const PREPARE_TEST_ROLES: &str = "
SELECT pg_advisory_lock(8123300009);
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_test_owner') THEN
        CREATE ROLE gotemp_test_owner LOGIN PASSWORD 'gotemp_test_owner'
            NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_data') THEN
        CREATE ROLE gotemp_data NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_cross_tenant') THEN
        CREATE ROLE gotemp_cross_tenant NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_test_app') THEN
        CREATE ROLE gotemp_test_app LOGIN PASSWORD 'gotemp_test_app';
    END IF;
    IF NOT pg_has_role('gotemp_test_app', 'gotemp_data', 'MEMBER') THEN
        GRANT gotemp_data TO gotemp_test_app;
    END IF;
    IF NOT pg_has_role('gotemp_test_owner', 'gotemp_cross_tenant', 'MEMBER') THEN
        GRANT gotemp_cross_tenant TO gotemp_test_owner;
    END IF;
END $$;
SELECT pg_advisory_unlock(8123300009);
";

/// `url` with the test owner's user name and password instead of its own.
pub(crate) fn as_test_owner(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    format!("{}{TEST_OWNER}:{TEST_OWNER}@{host}", &url[..scheme_end])
}

/// The database of `url` (a test store's, reached as its owner) reached as the tests'
/// administrator instead: outside the tenants' row-level security, for a benchmark's own SQL (its
/// baselines, its counts) that must see every row as the database has it.
pub async fn as_administrator(url: &str) -> String {
    let admin = crate::configured_url(crate::Backend::Postgres).await;
    let admin = admin.unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (admin, _) = admin.split_once('?').unwrap_or((&admin, ""));
    let server = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
    let database = url.rsplit_once('/').map_or("", |(_, db)| db);
    let database = database.split_once('?').map_or(database, |(db, _)| db);
    format!("{server}/{database}")
}
