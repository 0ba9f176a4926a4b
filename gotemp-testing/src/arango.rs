//! An ArangoDB store for one test: the master data (customers, products, their links and the
//! outbox) in a fresh ArangoDB database, everything else in a fresh SQLite file, so the
//! conformance suite's master-data cases run against ArangoDB exactly as they run elsewhere.

use super::{Backend, Cleanup, TestStore, configured_url, skip};

/// A fresh ArangoDB database (`gotemp_test_<uuid>`) for `test`, or a loud skip: ArangoDB runs
/// only where `GOTEMP_TEST_ARANGO_URL` points at a server (or, with the `testcontainers`
/// feature, where a Docker engine can start one).
pub async fn arango_store(test: &str) -> Option<TestStore> {
    let (url, container) = match configured_url(Backend::Arango).await {
        Ok(url) => (url, None),
        Err(reason) => match arango_container().await {
            Ok((url, c)) => (url, Some(c)),
            Err(why) => return skip(Backend::Arango, test, &format!("{reason}; {why}")),
        },
    };
    let name = format!("gotemp_test_{}", uuid::Uuid::now_v7().simple());
    let url = super::with_database(&url, &name);
    let store = match gotemp_store::ArangoStore::connect(&url).await {
        Ok(s) => s,
        Err(e) => return skip(Backend::Arango, test, &format!("cannot connect: {e}")),
    };
    let sql = super::sqlite_store().await;
    let master = store.master_data();
    let mut repos = sql.repos.clone();
    repos.customers = master.customers;
    repos.products = master.products;
    repos.outbox = master.outbox;
    repos.purge.push(master.purge);
    Some(TestStore {
        repos,
        url,
        cleanup: Cleanup::Arango {
            store,
            sql: Box::new(sql),
            _container: container,
        },
    })
}

#[cfg(feature = "testcontainers")]
async fn arango_container() -> Result<(String, Box<dyn std::any::Any + Send>), String> {
    use testcontainers::core::{IntoContainerPort as _, WaitFor};
    use testcontainers::runners::AsyncRunner as _;
    use testcontainers::{GenericImage, ImageExt as _};
    if !super::docker_available() {
        return Err("no Docker engine for a container".into());
    }
    let container = GenericImage::new("arangodb", "3.11")
        .with_exposed_port(8529.tcp())
        .with_wait_for(WaitFor::message_on_stdout("is ready for business"))
        .with_env_var("ARANGO_NO_AUTH", "1")
        .start()
        .await
        .map_err(|e| format!("container did not start: {e}"))?;
    let host = container.get_host().await.map_err(|e| e.to_string())?;
    let port = container
        .get_host_port_ipv4(8529)
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        format!("http://root@{host}:{port}/_system"),
        Box::new(container),
    ))
}

#[cfg(not(feature = "testcontainers"))]
async fn arango_container() -> Result<(String, Box<dyn std::any::Any + Send>), String> {
    if super::docker_available() {
        Err("a Docker engine is present but the `testcontainers` feature is off".into())
    } else {
        Err("no Docker engine for a container".into())
    }
}
