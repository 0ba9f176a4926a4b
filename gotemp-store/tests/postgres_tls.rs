//! PostgreSQL over TLS as a deployment configures it: `sslmode=verify-full` with the
//! deployment's CA (`sslrootcert`), against a server of the test's own (initdb, `ssl=on`,
//! certificates made for the test) that accepts TLS connections only. The store migrates and
//! answers; a client trusting another CA, or asking for no TLS, gets no connection.

use gotemp_store::PgStore;
use gotemp_testing::pki::Pki;
use gotemp_testing::skip_for_want_of;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TEST: &str = "verify_full_connects_only_to_the_server_the_ca_vouches_for";

/// The directory of Debian's PostgreSQL server programs (`/usr/lib/postgresql/<major>/bin`).
fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

/// The `postgres` account's ids, when this test runs as root (PostgreSQL refuses to run as root).
fn postgres_ids() -> Option<(u32, u32)> {
    let out = std::process::Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&out.stdout).trim() != "0" {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = std::process::Command::new("id")
            .args([flag, "postgres"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn command(program: &Path, ids: Option<(u32, u32)>) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    if let Some((uid, gid)) = ids {
        command.uid(uid).gid(gid);
    }
    command
}

fn chown(path: &Path, ids: Option<(u32, u32)>) {
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
}

#[tokio::test]
async fn verify_full_connects_only_to_the_server_the_ca_vouches_for() {
    let Some(bin) = server_bin() else {
        return skip_for_want_of("postgres", TEST, "no initdb under /usr/lib/postgresql")
            .unwrap_or(());
    };
    let ids = postgres_ids();
    let pki = Pki::new(&[]);
    std::fs::set_permissions(pki.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = pki.path("data");
    std::fs::create_dir(&data).unwrap();
    chown(&data, ids);
    let initdb = command(&bin.join("initdb"), ids)
        .args([
            "-D",
            &data.display().to_string(),
            "-A",
            "trust",
            "-U",
            "postgres",
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(initdb.success(), "initdb");
    // The server reads its key only when the key is private to it.
    for file in ["server.pem", "server.key"] {
        let to = data.join(file);
        std::fs::copy(pki.path(file), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        chown(&to, ids);
    }
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let _server = command(&bin.join("postgres"), ids)
        .args(["-D", &data.display().to_string(), "-p", &port.to_string()])
        .args([
            "-k",
            &data.display().to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
        ])
        .args([
            "-c",
            "ssl=on",
            "-c",
            "ssl_cert_file=server.pem",
            "-c",
            "ssl_key_file=server.key",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let trusting = |ca: &str| format!("sslmode=verify-full&sslrootcert={}", pki.path(ca).display());

    let store = PgStore::connect(&url("localhost", &trusting("ca.pem")))
        .await
        .expect("verify-full with the deployment's CA connects and migrates");
    let backlog = store.repositories().outbox.backlog().await.unwrap();
    assert_eq!(backlog, 0);

    for (what, address) in [
        ("another CA", url("localhost", &trusting("rogue-ca.pem"))),
        ("no TLS", url("127.0.0.1", "sslmode=disable")),
    ] {
        let refused = tokio::time::timeout(Duration::from_secs(10), PgStore::connect(&address))
            .await
            .expect("an answer within 10 s");
        assert!(refused.is_err(), "{what}: refused");
    }
}
