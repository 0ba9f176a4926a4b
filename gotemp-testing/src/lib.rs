//! gotemp-testing: what gotemp's own tests stand on, public for the tests of applications
//! built on gotemp and of new storage adapters.
//!
//! - [`TestApp`]: an embedded gotemp on free ports with an administrator's token, an HTTP and
//!   a gRPC client — an application's integration test in a few lines.
//! - [`conformance`]: the contract of every port, as tests an adapter runs against itself
//!   ([`conformance_tests!`]): write an adapter for another database, run the suite, and it
//!   keeps every promise the built-in ones keep.
//! - Fresh databases per test ([`postgres_store`], [`sqlite_store`]), server processes of a
//!   test's own ([`redis_server`], [`nats::NatsServer`]), a certificate authority ([`pki`]), an
//!   OTLP receiver ([`otlp`]) and a TimescaleDB (`timescale`, feature `timescale`).
//!
//! Finding a backend goes the same way in every test of every crate, for each backend in order:
//! the `GOTEMP_TEST_<BACKEND>_URL` variable when set; else the local service on loopback when it
//! answers; else (feature `testcontainers`) a container when a Docker engine is present; else a
//! loud skip that says why.
//!
//! A skip never passes silently: it is printed on stderr, appended to `GOTEMP_SKIP_LOG` (the test
//! script prints that file at the end), and a failure when `GOTEMP_TEST_REQUIRE` names the
//! backend (the test script requires the services it started itself).

use gotemp_core::ports::Repositories;
use std::io::Write as _;
use std::time::Duration;

mod app;
#[cfg(all(feature = "arango", feature = "sqlite"))]
mod arango;
#[cfg(feature = "postgres")]
mod container;
#[cfg(feature = "postgres")]
use container::postgres_container;
pub mod conformance;
mod measure;
pub mod nats;
pub mod otlp;
pub mod pki;
mod process;
#[cfg(feature = "postgres")]
mod roles;
#[cfg(feature = "postgres")]
use roles::{PREPARE_TEST_ROLES, TEST_OWNER, as_test_owner};
#[cfg(feature = "postgres")]
pub use roles::{TEST_APP_ROLE, as_administrator};
mod commands;
pub use commands::{AUDIT_SIGNING_KEY, run_gotemp};
pub mod tenants;
#[cfg(feature = "postgres")]
pub mod timescale;
pub use app::{ADMIN_EMAIL, TestApp, TestAppBuilder, wired};
#[cfg(all(feature = "arango", feature = "sqlite"))]
pub use arango::arango_store;
pub use measure::{Measured, measure};
pub use process::{ServerProcess, redis_server};

/// A backend a test may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// Redis.
    Redis,
    /// NATS with JetStream.
    Nats,
    /// ArangoDB.
    Arango,
}

impl Backend {
    /// Lower-case name, as used in `GOTEMP_TEST_REQUIRE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Redis => "redis",
            Self::Nats => "nats",
            Self::Arango => "arango",
        }
    }

    /// The variable that points tests at a server.
    pub fn url_variable(self) -> &'static str {
        match self {
            Self::Postgres => "GOTEMP_TEST_POSTGRES_URL",
            Self::Redis => "GOTEMP_TEST_REDIS_URL",
            Self::Nats => "GOTEMP_TEST_NATS_URL",
            Self::Arango => "GOTEMP_TEST_ARANGO_URL",
        }
    }

    /// The local service this machine runs, if any.
    fn loopback(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Postgres => Some(("127.0.0.1:5432", "postgres://postgres@127.0.0.1:5432/test")),
            Self::Redis => Some(("127.0.0.1:6379", "redis://127.0.0.1:6379")),
            Self::Nats => Some(("127.0.0.1:4222", "nats://127.0.0.1:4222")),
            Self::Arango => None,
        }
    }

    /// Whether the test run demands this backend (a skip is then a failure).
    pub fn required(self) -> bool {
        std::env::var("GOTEMP_TEST_REQUIRE")
            .map(|v| {
                v.split(',')
                    .any(|b| b.trim() == self.name() || b.trim() == "all")
            })
            .unwrap_or(false)
    }
}

/// Reports that `test` cannot run for want of `backend`, loudly; panics when the backend is
/// required. Returns `None` so callers can `return skip(..)`.
pub fn skip<T>(backend: Backend, test: &str, reason: &str) -> Option<T> {
    skip_for_want_of(backend.name(), test, reason)
}

/// Like [`skip`] for a need that is not a backend server (`netns`: network namespaces, which
/// need root and iproute2): named in `GOTEMP_TEST_REQUIRE`, its skip is a failure.
pub fn skip_for_want_of<T>(what: &str, test: &str, reason: &str) -> Option<T> {
    let line = format!("skipped: {test}: {what} unavailable: {reason}");
    let required = std::env::var("GOTEMP_TEST_REQUIRE")
        .map(|v| v.split(',').any(|b| b.trim() == what || b.trim() == "all"))
        .unwrap_or(false);
    if required {
        panic!("{line} (GOTEMP_TEST_REQUIRE demands it)");
    }
    eprintln!("\n*** {line} ***\n");
    if let Ok(path) = std::env::var("GOTEMP_SKIP_LOG")
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
    None
}

/// A URL for `backend`: the configured one, else the loopback service if it answers.
/// `Err` says why neither is available.
pub async fn configured_url(backend: Backend) -> Result<String, String> {
    if let Ok(url) = std::env::var(backend.url_variable())
        && !url.trim().is_empty()
    {
        return Ok(url);
    }
    let Some((addr, url)) = backend.loopback() else {
        return Err(format!("{} is not set", backend.url_variable()));
    };
    match tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(url.to_owned()),
        Ok(Err(e)) => Err(format!(
            "{} is not set and nothing answers on {addr} ({e})",
            backend.url_variable()
        )),
        Err(_) => Err(format!(
            "{} is not set and {addr} did not answer in 2 s",
            backend.url_variable()
        )),
    }
}

/// Whether a Docker engine looks reachable (a socket, or `DOCKER_HOST`).
pub fn docker_available() -> bool {
    std::env::var_os("DOCKER_HOST").is_some()
        || std::path::Path::new("/var/run/docker.sock").exists()
}

/// A store made for one test; call [`TestStore::finish`] at the end to drop what it created.
pub struct TestStore {
    /// The repositories under test.
    pub repos: Repositories,
    /// A URL of the same database, for a process of the test's own to open.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    #[cfg(feature = "sqlite")]
    SqliteFile(gotemp_store::SqliteStore, std::path::PathBuf),
    #[cfg(feature = "postgres")]
    PgDatabase {
        store: gotemp_store::PgStore,
        admin: Box<sqlx::postgres::PgConnectOptions>,
        name: String,
        _container: Option<Box<dyn std::any::Any + Send>>,
    },
    #[cfg(all(feature = "arango", feature = "sqlite"))]
    Arango {
        store: gotemp_store::ArangoStore,
        sql: Box<TestStore>,
        _container: Option<Box<dyn std::any::Any + Send>>,
    },
}

impl TestStore {
    /// The same store with some of its repositories replaced by `adapt` (an adapter of one
    /// port over the others, a decorator), so the conformance suite checks them in their place.
    pub fn adapted(mut self, adapt: impl FnOnce(Repositories) -> Repositories) -> Self {
        self.repos = adapt(self.repos);
        self
    }
}

impl TestStore {
    /// Opens the same database once more, as a second instance of a service would (its own
    /// connections, nothing shared in memory).
    pub async fn open_again(&self) -> Repositories {
        match self.cleanup {
            #[cfg(all(feature = "arango", feature = "sqlite"))]
            Cleanup::Arango { ref sql, .. } => {
                let mut repos = Box::pin(sql.open_again()).await;
                let master = gotemp_store::ArangoStore::connect(&self.url)
                    .await
                    .expect("the test database opens again")
                    .master_data();
                repos.customers = master.customers;
                repos.products = master.products;
                repos.outbox = master.outbox;
                repos.purge.push(master.purge);
                repos
            }
            #[cfg(feature = "sqlite")]
            Cleanup::SqliteFile(_, ref path) => {
                gotemp_store::SqliteStore::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("the test database opens again")
                    .repositories()
            }
            #[cfg(feature = "postgres")]
            Cleanup::PgDatabase {
                ref admin,
                ref name,
                ..
            } => {
                let settings = gotemp_store::postgres::PgSettings {
                    max_connections: 4,
                    ..Default::default()
                };
                gotemp_store::PgStore::connect_with((**admin).clone().database(name), &settings)
                    .await
                    .expect("the test database opens again")
                    .repositories()
            }
        }
    }

    /// Closes the store and removes its database.
    pub async fn finish(self) {
        match self.cleanup {
            #[cfg(all(feature = "arango", feature = "sqlite"))]
            Cleanup::Arango { store, sql, .. } => {
                let _ = store.drop_database().await;
                Box::pin(sql.finish()).await;
            }
            #[cfg(feature = "sqlite")]
            Cleanup::SqliteFile(store, path) => {
                store.close().await;
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            #[cfg(feature = "postgres")]
            Cleanup::PgDatabase {
                store, admin, name, ..
            } => {
                store.close().await;
                use sqlx::Connection as _;
                if let Ok(mut conn) = sqlx::PgConnection::connect_with(&*admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            }
        }
    }
}

/// A fresh SQLite store in a temporary file.
#[cfg(feature = "sqlite")]
pub async fn sqlite_store() -> TestStore {
    sqlite_store_from("").await
}

/// A SQLite store in a temporary file that held `dump` (SQL, as `sqlite3 .dump` writes it)
/// before the store opened it: a database of an earlier version, migrated on opening.
#[cfg(feature = "sqlite")]
pub async fn sqlite_store_from(dump: &str) -> TestStore {
    let path =
        std::env::temp_dir().join(format!("gotemp-test-{}.db", uuid::Uuid::now_v7().simple()));
    if !dump.is_empty() {
        use sqlx::Connection as _;
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = (sqlx::SqliteConnection::connect(&url).await).expect("a SQLite file");
        (sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
            .execute(&mut conn)
            .await)
            .expect("the dump restores");
        let _ = conn.close().await;
    }
    let store = gotemp_store::SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("a SQLite store in the temp directory");
    TestStore {
        repos: store.repositories(),
        url: format!("sqlite://{}", path.display()),
        cleanup: Cleanup::SqliteFile(store, path),
    }
}

/// A fresh, migrated PostgreSQL database for one test (`gotemp_test_<uuid>`), or a loud skip.
#[cfg(feature = "postgres")]
pub async fn postgres_store(test: &str) -> Option<TestStore> {
    postgres_store_from(test, "").await
}

/// A fresh PostgreSQL database for one test that held `dump` (SQL, as `pg_dump --inserts`
/// writes it, without psql's meta-commands) before the store opened it: a database of an
/// earlier version, migrated on opening. Or a loud skip.
#[cfg(feature = "postgres")]
pub async fn postgres_store_from(test: &str, dump: &str) -> Option<TestStore> {
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let (url, container) = match configured_url(Backend::Postgres).await {
        Ok(url) => (url, None),
        Err(reason) => match postgres_container().await {
            Ok((url, c)) => (url, Some(c)),
            Err(why) => return skip(Backend::Postgres, test, &format!("{reason}; {why}")),
        },
    };
    let admin = match sqlx::postgres::PgConnectOptions::from_str(&url) {
        Ok(o) => o,
        Err(e) => return skip(Backend::Postgres, test, &format!("bad URL: {e}")),
    };
    let name = format!("gotemp_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = match sqlx::PgConnection::connect_with(&admin).await {
        Ok(c) => c,
        Err(e) => return skip(Backend::Postgres, test, &format!("cannot connect: {e}")),
    };
    (sqlx::raw_sql(PREPARE_TEST_ROLES).execute(&mut conn).await).expect(
        "the test roles (the PostgreSQL URL of the tests must name a role that may make roles)",
    );
    let create = format!("CREATE DATABASE \"{name}\" OWNER {TEST_OWNER}");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE for a test");
    let _ = conn.close().await;
    // The store connects as the database's owner, not as the superuser of the tests' URL:
    // superusers pass by row-level security, owners do not (FORCE), so every test on
    // PostgreSQL runs under the tenant policies, as a deployment does.
    let options = (admin.clone().database(&name))
        .username(TEST_OWNER)
        .password(TEST_OWNER);
    if !dump.is_empty() {
        // On a connection of its own: a dump changes its session's settings (search_path).
        let mut conn = (sqlx::PgConnection::connect_with(&options).await)
            .expect("connect to the test database");
        (sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
            .execute(&mut conn)
            .await)
            .expect("the dump restores");
        let _ = conn.close().await;
    }
    let settings = gotemp_store::postgres::PgSettings {
        max_connections: 4,
        ..Default::default()
    };
    let store = gotemp_store::PgStore::connect_with(options, &settings)
        .await
        .expect("connect and migrate the test database");
    Some(TestStore {
        repos: store.repositories(),
        url: as_test_owner(&with_database(&url, &name)),
        cleanup: Cleanup::PgDatabase {
            store,
            admin: Box::new(admin),
            name,
            _container: container,
        },
    })
}

/// `url` naming database `name` instead of its own (query parameters kept).
#[cfg(any(feature = "postgres", all(feature = "arango", feature = "sqlite")))]
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = main.find("://").map_or(0, |i| i + 3);
    let base = match main[scheme_end..].find('/') {
        Some(slash) => &main[..scheme_end + slash],
        None => main,
    };
    format!("{base}/{name}{query}")
}
