//! The server example as a deployment runs it — a process of its own, all five services — so
//! its memory is its own and not the benchmark's: resident memory idle and at its peak, and its
//! rows driven by wrk like every HTTP row. `GOTEMP_BENCH_SERVER` names its release binary
//! (`scripts/bench` builds it); without it these rows are not measured, and the report says so.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server example; killed when dropped.
pub struct ServerProcess {
    child: Child,
    dir: std::path::PathBuf,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl ServerProcess {
    /// Starts the binary `GOTEMP_BENCH_SERVER` names on `pg_url` (migrated and seeded already:
    /// the administrator's password is `admin_password`), its cache in memory, events in
    /// process; waits until `/readyz` answers.
    pub async fn start(pg_url: &str, secret: &str, admin_password: &str) -> Result<Self, String> {
        let exe = std::env::var("GOTEMP_BENCH_SERVER")
            .map_err(|_| "GOTEMP_BENCH_SERVER is not set (scripts/bench sets it)".to_owned())?;
        let dir = std::env::temp_dir().join(format!(
            "gotemp-bench-server-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (http, grpc) = (free_port()?, free_port()?);
        let child = Command::new(&exe)
            .current_dir(&dir)
            .env("GOTEMP_HTTP_ADDR", format!("127.0.0.1:{http}"))
            .env("GOTEMP_GRPC_ADDR", format!("127.0.0.1:{grpc}"))
            .env("GOTEMP_STORAGE", pg_url)
            .env("GOTEMP_EVENTS", "memory")
            .env("GOTEMP_CACHE", "memory")
            .env("GOTEMP_JWT_SECRET", secret)
            .env(
                "GOTEMP_AUDIT_SIGNING_KEY",
                gotemp_testing::AUDIT_SIGNING_KEY,
            )
            .env("GOTEMP_ADMIN_PASSWORD", admin_password)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{exe}: {e}"))?;
        let server = Self {
            child,
            dir,
            base: format!("http://127.0.0.1:{http}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{exe} was not ready within a minute"))
    }

    /// A field of the process's `/proc/<pid>/status` in KiB (`VmRSS:` now, `VmHWM:` the peak).
    pub fn memory_kib(&self, field: &str) -> u64 {
        status_kib(&self.child.id().to_string(), field)
    }
}

/// A field in KiB of `/proc/<process>/status` (`self`, or a pid); 0 when unreadable.
pub fn status_kib(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
