//! A PostgreSQL of a test's own in a container, when no server is configured and a Docker
//! engine is there (feature `testcontainers`).

use crate::docker_available;

#[cfg(feature = "testcontainers")]
pub(crate) async fn postgres_container() -> Result<(String, Box<dyn std::any::Any + Send>), String>
{
    use testcontainers_modules::postgres::Postgres;
    use testcontainers_modules::testcontainers::runners::AsyncRunner as _;
    if !docker_available() {
        return Err("no Docker engine for a container".into());
    }
    let container = Postgres::default()
        .start()
        .await
        .map_err(|e| format!("container did not start: {e}"))?;
    let host = container.get_host().await.map_err(|e| e.to_string())?;
    let port = container
        .get_host_port_ipv4(5432)
        .await
        .map_err(|e| e.to_string())?;
    let url = format!("postgres://postgres:postgres@{host}:{port}/postgres");
    Ok((url, Box::new(container)))
}

#[cfg(not(feature = "testcontainers"))]
pub(crate) async fn postgres_container() -> Result<(String, Box<dyn std::any::Any + Send>), String>
{
    if docker_available() {
        Err("a Docker engine is present but the `testcontainers` feature is off".into())
    } else {
        Err("no Docker engine for a container".into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_names_another_database() {
        let f = crate::with_database;
        assert_eq!(f("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(f("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            f("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
