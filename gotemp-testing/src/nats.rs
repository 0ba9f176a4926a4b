//! Support for tests and benchmarks that need a NATS server they can stop and start: each gets
//! its own `nats-server` process on a free loopback port with its own JetStream directory.

use crate::{Backend, ServerProcess};
use std::path::PathBuf;

/// A nats-server process of the caller's own; killed when dropped.
pub struct NatsServer {
    process: ServerProcess,
    dir: PathBuf,
}

impl NatsServer {
    /// Starts a server, or reports a loud skip (`None`) when no `nats-server` is installed.
    pub async fn start(test: &str) -> Option<Self> {
        Self::start_with(test, None).await
    }

    /// Starts a server that takes messages of at most `max_payload` bytes (NATS's own default
    /// is 1 MiB), for tests of what happens to an event the broker refuses.
    pub async fn start_with_max_payload(test: &str, max_payload: usize) -> Option<Self> {
        Self::start_with(test, Some(max_payload)).await
    }

    async fn start_with(test: &str, max_payload: Option<usize>) -> Option<Self> {
        let dir =
            std::env::temp_dir().join(format!("gotemp-nats-{}", uuid::Uuid::now_v7().simple()));
        let store = dir.display().to_string();
        let config = dir.join("nats.conf");
        if let Some(max) = max_payload {
            // max_payload has no command-line flag: it is set in a configuration file.
            std::fs::create_dir_all(&dir).ok()?;
            std::fs::write(&config, format!("max_payload: {max}\n")).ok()?;
        }
        let config = config.display().to_string();
        let process = ServerProcess::start(Backend::Nats, test, "nats-server", |port| {
            let mut args = [
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-js",
                "-sd",
                &store,
            ]
            .map(String::from)
            .to_vec();
            if max_payload.is_some() {
                args.extend(["-c".to_owned(), config]);
            }
            args
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
