//! Backups of the embedded default: `gotemp backup` takes a consistent copy while the store is
//! in use (the outbox included), `gotemp restore` refuses while it is in use and puts the copy
//! back once it is not; a change made after the backup is gone, and the events that were
//! committed but not yet relayed when the copy was taken reach the audit trail after the restore.

use gotemp::domain::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::entities::{AuditFilter, NewCustomer};
use gotemp::domain::page::PageRequest;
use gotemp::store::SqliteStore;
use gotemp::{Gotemp, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn app(store: &SqliteStore) -> Gotemp {
    let secret = SecretString::from("backup-test-secret-backup-test-secret!!");
    let tokens = TokenService::new(TokenSettings::new(secret)).unwrap();
    gotemp_testing::wired(store.repositories(), Arc::new(tokens)).await
}

fn gotemp(url: &str, args: &[&str]) -> std::process::Output {
    gotemp_testing::run_gotemp(env!("CARGO_BIN_EXE_gotemp"), url, args)
}

async fn customer(app: &Gotemp, id: &str) {
    let new = NewCustomer {
        id: Some(id.into()),
        name: format!("Customer {id}"),
        ..Default::default()
    };
    app.customers()
        .create(
            &Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1),
            new,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_is_restored_with_its_unrelayed_events() {
    let dir = std::env::temp_dir().join(format!("gotemp-backup-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/gotemp.db", dir.display());
    let copy = dir.join("backups/first.db");
    let copy = copy.to_str().unwrap();

    // A store in use, whose changes have not been relayed to the audit trail yet.
    let store = SqliteStore::connect(&url).await.unwrap();
    let serving = app(&store).await;
    customer(&serving, "before-backup").await;
    // A signed-in user, whose token the restore must end along with any revoked since.
    let password = SecretString::from("a password for the backup test");
    let user = gotemp::domain::entities::NewUser {
        first_name: "Back".into(),
        last_name: "Up".into(),
        email: "back.up@example.com".into(),
        company: None,
        valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        active: true,
        roles: None,
        password: password.clone(),
    };
    serving
        .users()
        .create(
            &Actor::system(gotemp::domain::values::TenantId::default_tenant()),
            user,
        )
        .await
        .unwrap();
    let before = serving
        .users()
        .login("back.up@example.com", &password)
        .await
        .unwrap();
    let unrelayed = store.repositories().outbox.backlog().await.unwrap();
    assert!(unrelayed >= 1);
    let done = gotemp(&url, &["backup", copy]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(copy).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the copy holds password hashes: owner-only"
        );
    }
    let again = gotemp(&url, &["backup", copy]);
    assert!(
        !again.status.success(),
        "an existing backup is never overwritten"
    );
    customer(&serving, "after-backup").await;

    // Not while it is in use.
    let refused = gotemp(&url, &["restore", copy]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop the server first"));
    store.close().await;
    let restored = gotemp(&url, &["restore", copy]);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );

    let store = SqliteStore::connect(&url).await.unwrap();
    let back = app(&store).await;
    assert!(
        back.users().authenticate(&before.token).await.is_err(),
        "a token issued before the restore (maybe revoked since) is refused"
    );
    let actor = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    assert!(back.customers().get(&actor, "before-backup").await.is_ok());
    assert!(back.customers().get(&actor, "after-backup").await.is_err());
    assert_eq!(
        store.repositories().outbox.backlog().await.unwrap(),
        unrelayed
    );
    let after = back
        .users()
        .login("back.up@example.com", &password)
        .await
        .unwrap();
    assert!(
        back.users().authenticate(&after.token).await.is_ok(),
        "a new login works"
    );
    // The next start relays what was waiting when the copy was taken.
    let relay = back.start_audit_pipeline();
    let filter = AuditFilter {
        object_id: Some("before-backup".into()),
        ..Default::default()
    };
    let started = Instant::now();
    loop {
        let page = back
            .audit()
            .list(&actor, &filter, &PageRequest::default())
            .await
            .unwrap();
        if page.items.len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "relayed after the restore"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relay.shutdown().await;
    store.close().await;

    // Onto a machine that has no data yet.
    let elsewhere = format!("sqlite://{}/fresh/data/gotemp.db", dir.display());
    let fresh = gotemp(&elsewhere, &["restore", copy]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let store = SqliteStore::connect(&elsewhere).await.unwrap();
    assert!(
        app(&store)
            .await
            .customers()
            .get(&actor, "before-backup")
            .await
            .is_ok()
    );
    store.close().await;

    // A backup opens nothing it would change: a missing database is an error, not a new one.
    let missing = format!("sqlite://{}/nothing-here.db", dir.display());
    assert!(
        !gotemp(&missing, &["backup", &format!("{copy}.2")])
            .status
            .success()
    );
    assert!(!dir.join("nothing-here.db").exists());

    // Other stores are backed up with their own tools.
    let postgres = gotemp("postgres://db/gotemp", &["backup", "x.db"]);
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
    let _ = std::fs::remove_dir_all(&dir);
}
