//! What the tests that start servers share.

#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub mod netns;

/// The first line a server process writes to its standard output (where it listens), within
/// 30 s; later lines stay readable through [`lines`].
pub async fn first_line(child: &mut Child) -> String {
    next_line(&mut lines(child)).await
}

/// A server's standard output, line by line.
pub type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// The lines of a process's standard output (taken from it: call once).
pub fn lines(child: &mut Child) -> Lines {
    BufReader::new(child.stdout.take().expect("stdout is piped")).lines()
}

/// The next line of `lines`, within 30 s.
pub async fn next_line(lines: &mut Lines) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server says where it listens within 30 s")
        .unwrap()
        .expect("a line on stdout")
}

/// Starts the `gotemp-grpc` binary with `env` only, on a free port; returns it and the URL of
/// the address it printed (`https://localhost:…` when it says it serves TLS). Its later output
/// is read and dropped, so it never writes to a closed pipe.
pub async fn spawn(env: &[(&str, &str)]) -> (Child, String) {
    let (child, url, mut rest) = spawn_lines(env).await;
    tokio::spawn(async move { while let Ok(Some(_)) = rest.next_line().await {} });
    (child, url)
}

/// [`spawn`], with the lines after the first for the caller to read (and keep reading).
pub async fn spawn_lines(env: &[(&str, &str)]) -> (Child, String, Lines) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gotemp-grpc"))
        .env_clear()
        .envs(env.iter().copied())
        .env("GOTEMP_GRPC_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the gotemp-grpc binary starts");
    let mut output = lines(&mut child);
    let line = next_line(&mut output).await;
    let addr = line
        .strip_prefix("gotemp-grpc listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    match line.ends_with("over plaintext") {
        true => (child, format!("http://{addr}"), output),
        // Certificates name localhost, not the address.
        false => (
            child,
            format!("https://{}", addr.replace("127.0.0.1", "localhost")),
            output,
        ),
    }
}

/// The token secret of the test deployments.
pub const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";

/// A user service of its own on `storage` that seeds the administrator (`admin@gotemp.local`,
/// password `ops password of the tests`) and signs tokens with [`SECRET`]: what a split deployment's other
/// processes ask to authenticate calls.
pub fn user_service(storage: &str) -> Vec<(&str, &str)> {
    vec![
        ("GOTEMP_STORAGE", storage),
        ("GOTEMP_SERVICES", "user"),
        ("GOTEMP_JWT_SECRET", SECRET),
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
        ("GOTEMP_ADMIN_PASSWORD", "ops password of the tests"),
        ("GOTEMP_SEED", "true"),
    ]
}

/// Stops a server process with SIGTERM and asserts it exits cleanly within 15 s.
pub async fn stop(mut child: Child) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "graceful exit: {exit:?}");
}

/// `days` from now, as a protobuf timestamp.
pub fn future(days: i64) -> Option<prost_types::Timestamp> {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}
