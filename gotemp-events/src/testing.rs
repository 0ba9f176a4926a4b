//! Support for tests and benchmarks that need a NATS server they can stop and start: each gets
//! its own `nats-server` process on a free loopback port with its own JetStream directory.

use gotemp_store::testing::{Backend, ServerProcess};
use std::path::PathBuf;

/// A nats-server process of the caller's own; killed when dropped.
pub struct NatsServer {
    process: ServerProcess,
    dir: PathBuf,
}

impl NatsServer {
    /// Starts a server, or reports a loud skip (`None`) when no `nats-server` is installed.
    pub async fn start(test: &str) -> Option<Self> {
        let dir =
            std::env::temp_dir().join(format!("gotemp-nats-{}", uuid::Uuid::now_v7().simple()));
        let store = dir.display().to_string();
        let process = ServerProcess::start(Backend::Nats, test, "nats-server", |port| {
            [
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-js",
                "-sd",
                &store,
            ]
            .map(String::from)
            .to_vec()
        })
        .await?;
        Some(Self { process, dir })
    }

    /// Where clients connect.
    pub fn url(&self) -> String {
        self.process.url("nats")
    }

    /// Starts the server (again), on the same port and JetStream directory.
    pub async fn resume(&mut self) {
        self.process.resume().await;
    }

    /// Kills the server, as an outage would.
    pub async fn kill(&mut self) {
        self.process.kill().await;
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
