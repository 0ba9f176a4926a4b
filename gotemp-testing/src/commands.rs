//! What tests give the processes and commands they run.

/// Runs the `gotemp` command `exe` (a test's `env!("CARGO_BIN_EXE_gotemp")`) with `args` on the
/// database of `storage_url`, and nothing else of the test's environment.
pub fn run_gotemp(exe: &str, storage_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(exe)
        .env_clear()
        .env("GOTEMP_STORAGE", storage_url)
        .args(args)
        .output()
        .expect("the gotemp command runs")
}

/// The key test servers sign the audit trail's checkpoints with (`GOTEMP_AUDIT_SIGNING_KEY`):
/// a process storing the trail outside the embedded default refuses to start without one.
pub const AUDIT_SIGNING_KEY: &str = "YgYHtZWc09T+bMXt7LPd4qedS3k2Gb6udofm0nglITo=";
