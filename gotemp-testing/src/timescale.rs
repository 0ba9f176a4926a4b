//! A TimescaleDB of a test's own: PGlite (PostgreSQL 17 in WebAssembly) with TimescaleDB, served
//! over the PostgreSQL wire protocol by Node (`gotemp-testing/timescale`). No TimescaleDB
//! package exists in Debian; this build runs wherever Node.js does. It serves one connection at
//! a time, so the store gets a pool of one.

use super::skip_for_want_of;
use gotemp_core::ports::Repositories;
use gotemp_store::PgStore;
use gotemp_store::postgres::PgSettings;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A migrated store on a fresh TimescaleDB, and the server process (stopped on drop).
pub struct TimescaleStore {
    /// The store, its audit trail a hypertable.
    pub store: PgStore,
    /// Its repositories.
    pub repos: Repositories,
    _server: TimescaleServer,
}

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("timescale")
}

/// Installs the npm packages when they are not there yet (`npm ci`, from the lock file). Tests
/// run as processes of their own and at once: the first installs under a file lock, the others
/// wait for it, and a marker written last tells a finished install from one under way.
async fn install(dir: &Path) -> Result<(), String> {
    let marker = dir.join("node_modules/.gotemp-installed");
    if marker.is_file() {
        return Ok(());
    }
    let lock_path = dir.join(".install.lock");
    let lock = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::create(&lock_path)?;
        file.lock().map(|()| file)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot lock {}: {e}", dir.display()))?;
    if marker.is_file() {
        return Ok(());
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .output()
        .await
        .map_err(|e| format!("npm does not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm ci in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::write(&marker, b"").map_err(|e| e.to_string())?;
    drop(lock);
    Ok(())
}

async fn serve(dir: &Path) -> Result<(Child, u16), String> {
    let mut child = Command::new("node")
        .args(["server.mjs", "0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("node does not run: {e}"))?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
    let line = match first {
        Ok(Ok(Some(line))) => line,
        Ok(_) => return Err("the PGlite server exited before listening".into()),
        Err(_) => return Err("the PGlite server did not listen within 60 s".into()),
    };
    let port = (line.strip_prefix("listening "))
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("unexpected first line from the PGlite server: {line}"))?;
    // Keep reading, so the server never writes to a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, port))
}

/// A fresh TimescaleDB server nobody has connected to yet, stopped on drop.
pub struct TimescaleServer {
    /// Where it listens (`postgres://…`), for a configuration naming it. It serves one
    /// connection at a time, and every connection shares one session (what one prepared, the
    /// next one finds), so one client at a time: a pool of one.
    pub url: String,
    port: u16,
    _server: Child,
}

/// A fresh TimescaleDB server, or a loud skip (`timescale` in `GOTEMP_TEST_REQUIRE` makes it a
/// failure) when Node.js or the npm packages are missing.
pub async fn timescale_server(test: &str) -> Option<TimescaleServer> {
    let dir = project();
    if let Err(why) = install(&dir).await {
        return skip_for_want_of("timescale", test, &why);
    }
    match serve(&dir).await {
        Ok((server, port)) => Some(TimescaleServer {
            url: format!("postgres://postgres:unused@127.0.0.1:{port}/postgres?sslmode=disable"),
            port,
            _server: server,
        }),
        Err(why) => skip_for_want_of("timescale", test, &why),
    }
}

/// A fresh TimescaleDB with gotemp's migrations applied and the audit trail made a hypertable,
/// or a loud skip (`timescale` in `GOTEMP_TEST_REQUIRE` makes it a failure) when Node.js or
/// the npm packages are missing.
pub async fn timescale_store(test: &str) -> Option<TimescaleStore> {
    let server = timescale_server(test).await?;
    let options = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(server.port)
        .username("postgres")
        .password("unused")
        .database("postgres")
        .ssl_mode(PgSslMode::Disable);
    let settings = PgSettings {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(30),
    };
    let store = PgStore::connect_with(options, &settings)
        .await
        .expect("gotemp's migrations apply on TimescaleDB");
    Some(TimescaleStore {
        repos: store.repositories(),
        store,
        _server: server,
    })
}
