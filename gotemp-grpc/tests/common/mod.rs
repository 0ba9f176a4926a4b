//! What the tests that start servers share.

#![allow(dead_code)]

use std::time::Duration;
use tokio::process::Child;

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
