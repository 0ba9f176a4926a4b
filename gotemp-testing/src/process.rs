//! Server processes a test owns: killed, hung and restarted without disturbing the shared
//! services other tests use.

use super::{Backend, skip};
use std::time::Duration;

/// A server process of a test's own, on a free loopback port, that the test may kill, hang and
/// start again: outage tests must not disturb the shared services other tests are using.
pub struct ServerProcess {
    binary: std::path::PathBuf,
    args: Vec<String>,
    port: u16,
    child: Option<tokio::process::Child>,
}

impl ServerProcess {
    /// Starts `binary` with the arguments `args` gives for the chosen port, or reports a loud
    /// skip (`None`) when the binary is not installed.
    pub async fn start(
        backend: Backend,
        test: &str,
        binary: &str,
        args: impl FnOnce(u16) -> Vec<String>,
    ) -> Option<Self> {
        let Some(path) = find_binary(binary) else {
            return skip(
                backend,
                test,
                &format!("no {binary} binary (scripts/services installs it)"),
            );
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = Self {
            binary: path,
            args: args(port),
            port,
            child: None,
        };
        server.resume().await;
        Some(server)
    }

    /// `<scheme>://127.0.0.1:<port>`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) with the same port and arguments; returns once it listens.
    pub async fn resume(&mut self) {
        let child = tokio::process::Command::new(&self.binary)
            .args(&self.args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.binary.display()));
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{} did not listen on {}", self.binary.display(), self.port);
    }

    /// Kills the server, as a crash or an outage would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a
    /// hung or overloaded server.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .and_then(|c| c.id())
            .expect("the server is running");
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }
}

/// Starts a Redis server of the test's own (nothing kept on disk), or skips loudly.
pub async fn redis_server(test: &str) -> Option<ServerProcess> {
    ServerProcess::start(Backend::Redis, test, "redis-server", |port| {
        [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .map(String::from)
        .to_vec()
    })
    .await
}

/// Looks for a server binary where Debian installs it, then on `PATH`.
fn find_binary(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    ["/usr/sbin", "/usr/bin", "/usr/local/bin"]
        .into_iter()
        .chain(path.split(':'))
        .map(|dir| std::path::Path::new(dir).join(name))
        .find(|p| p.is_file())
}
