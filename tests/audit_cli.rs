//! `gotemp audit checkpoint` and `gotemp audit verify` on the embedded default: the process that
//! stores the trail signs checkpoints with the key it keeps in `data/`; a checkpoint written out
//! verifies the chain, and after the tail is cut behind gotemp's back (trigger dropped, head and
//! stored checkpoints rewritten to match) only the copy kept outside tells — the command exits
//! non-zero naming `truncated`.

use gotemp::domain::values::TenantId;
use gotemp::{Config, Gotemp, SecretString};
use serde_json::Value;
use std::process::Output;
use std::time::Duration;

fn gotemp(url: &str, args: &[&str]) -> Output {
    gotemp_testing::run_gotemp(env!("CARGO_BIN_EXE_gotemp"), url, args)
}

fn report(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_kept_outside_finds_a_tail_cut_behind_gotemps_back() {
    let dir = std::env::temp_dir().join(format!("gotemp-audit-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/gotemp.db", dir.display());
    let mut config = Config::embedded(SecretString::from("audit-cli-test-secret-audit-cli!!!"));
    config.storage.url = url.parse().unwrap();
    config.auth.admin_password = SecretString::from("the administrator's own long passphrase");
    let app = Gotemp::builder().config(&config).build().await.unwrap();
    let pipeline = app.start_events(&config, true).await.unwrap();
    app.seed(&config).await.unwrap();
    app.wait_for_audit(Duration::from_secs(20)).await.unwrap();
    let key_file = dir.join("audit_signing_key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("the key is kept")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is the owner's only");
    }
    // The pipeline signs at a graceful stop what it stored.
    pipeline.shutdown().await;
    let audit = app.repositories().audit.clone();
    let tenant = TenantId::default_tenant();
    let head = audit.chain_head(&tenant).await.unwrap().expect("a chain");
    assert!(head.size >= 20, "the demo data's records: {}", head.size);
    assert_eq!(
        head.checkpoint_size, head.size,
        "signed up to its head at the stop"
    );

    let note = dir.join("default.note");
    let kept = gotemp(
        &url,
        &["audit", "checkpoint", "--out", note.to_str().unwrap()],
    );
    assert!(kept.status.success(), "{kept:?}");
    let text = std::fs::read_to_string(&note).unwrap();
    assert!(text.starts_with("gotemp-audit/default\n"), "{text}");
    let again = gotemp(
        &url,
        &["audit", "checkpoint", "--out", note.to_str().unwrap()],
    );
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );

    let checkpoint = note.to_str().unwrap();
    let fine = gotemp(
        &url,
        &["audit", "verify", "--json", "--checkpoint", checkpoint],
    );
    assert!(fine.status.success(), "{fine:?}");
    let fine = report(&fine);
    assert_eq!(
        (fine["ok"].clone(), fine["verified_to_seq"].clone()),
        (Value::Bool(true), head.size.into())
    );
    assert!(
        fine["checkpoints_verified"].as_u64().unwrap() >= 1,
        "{fine}"
    );
    let human = gotemp(&url, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&human.stdout);
    assert!(
        said.contains(&format!("verified from seq 1 to {}", head.size)),
        "{said}"
    );

    // Another key than the deployment's: every checkpoint is a bad signature.
    let stranger = gotemp::domain::audit_chain::CheckpointKey::generate()
        .verifier()
        .to_string();
    let wrong = gotemp(&url, &["audit", "verify", "--json", "--key", &stranger]);
    assert!(!wrong.status.success());
    assert_eq!(report(&wrong)["broken"]["reason"], "bad_signature");

    // Cut the tail, and make the head and the stored checkpoints agree with the cut.
    let keep = head.size - 3;
    let file = dir.join("gotemp.db");
    let db = behind_its_back(
        &file,
        &[
            "DROP TRIGGER audit_records_no_delete".into(),
            "DROP TRIGGER audit_checkpoints_no_delete".into(),
            format!("DELETE FROM audit_records WHERE seq > {keep}"),
            format!("UPDATE audit_chains SET size = {keep}, checkpoint_size = 0"),
            "DELETE FROM audit_checkpoints".into(),
        ],
    )
    .await;
    assert!(db.is_ok(), "{db:?}");
    let alone = gotemp(&url, &["audit", "verify", "--json"]);
    assert!(
        alone.status.success(),
        "the database alone looks whole: {alone:?}"
    );
    let cut = gotemp(
        &url,
        &["audit", "verify", "--json", "--checkpoint", checkpoint],
    );
    assert!(!cut.status.success());
    let cut = report(&cut);
    assert_eq!(cut["broken"]["reason"], "truncated", "{cut}");
    assert_eq!(cut["broken"]["seq"], keep + 1, "{cut}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `statements` on the SQLite file as anyone who can write it could.
async fn behind_its_back(file: &std::path::Path, statements: &[String]) -> Result<(), String> {
    use sqlx::Connection as _;
    let url = format!("sqlite://{}", file.display());
    let mut db = sqlx::SqliteConnection::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut db)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
    }
    db.close().await.map_err(|e| e.to_string())
}
