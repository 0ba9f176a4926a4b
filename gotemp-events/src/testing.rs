//! Support for tests and benchmarks that need a NATS server they can stop and start: each gets
//! its own `nats-server` process on a free loopback port with its own JetStream directory.

use gotemp_store::testing::{self, Backend};
use std::path::PathBuf;
use std::time::Duration;

/// A nats-server process of the caller's own; killed when dropped.
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    dir: PathBuf,
    child: Option<tokio::process::Child>,
}

impl NatsServer {
    /// Starts a server, or reports a loud skip (`None`) when no `nats-server` is installed.
    pub async fn start(test: &str) -> Option<Self> {
        let binary = [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| which("nats-server"));
        let Some(binary) = binary else {
            return testing::skip(
                Backend::Nats,
                test,
                "no nats-server binary (scripts/services installs it)",
            );
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("gotemp-nats-{}", uuid::Uuid::now_v7().simple()));
        let mut server = Self {
            binary,
            port,
            dir,
            child: None,
        };
        server.resume().await;
        Some(server)
    }

    /// Where clients connect.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again), on the same port and JetStream directory.
    pub async fn resume(&mut self) {
        let child = tokio::process::Command::new(&self.binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not listen on {}", self.port);
    }

    /// Kills the server, as an outage would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.exists())
}
