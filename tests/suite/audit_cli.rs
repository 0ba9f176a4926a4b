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

/// An embedded gotemp in a fresh directory named after `name`, seeded, its demo data's audit
/// records stored: the directory, its database's URL, the application and its pipeline.
async fn seeded(name: &str) -> (std::path::PathBuf, String, Gotemp, gotemp::EventPipeline) {
    let dir = std::env::temp_dir().join(format!("{name}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/gotemp.db", dir.display());
    let mut config = Config::embedded(SecretString::from("audit-cli-test-secret-audit-cli!!!"));
    config.storage.url = url.parse().unwrap();
    config.auth.admin_password = SecretString::from("the administrator's own long passphrase");
    let app = Gotemp::builder().config(&config).build().await.unwrap();
    let pipeline = app.start_events(&config, true).await.unwrap();
    app.seed(&config).await.unwrap();
    app.wait_for_audit(Duration::from_secs(20)).await.unwrap();
    (dir, url, app, pipeline)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_kept_outside_finds_a_tail_cut_behind_gotemps_back() {
    let (dir, url, app, pipeline) = seeded("gotemp-audit-cli").await;
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

/// `gotemp audit archive` on the embedded default: records a checkpoint signed two days ago
/// covers are archived with a retention of a day and deleted; `verify` then starts after the
/// archive and says so, `verify --archive` checks from the first record, and an archive file
/// changed afterwards makes it exit non-zero naming the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_records_verify_from_their_archive() {
    let (dir, url, app, pipeline) = seeded("gotemp-archive-cli").await;
    pipeline.shutdown().await;
    // Three more records, and a checkpoint of them dated two days back.
    let (audit, tenant) = (app.repositories().audit.clone(), TenantId::default_tenant());
    let signed = audit
        .chain_head(&tenant)
        .await
        .unwrap()
        .expect("a chain")
        .size;
    let more = gotemp_testing::conformance::audit_chain::events(&tenant, 3);
    assert_eq!(
        audit
            .record_batch(&more, gotemp::domain::values::now())
            .await
            .unwrap(),
        3
    );
    let head = audit.chain_head(&tenant).await.unwrap().unwrap();
    let seed = std::fs::read_to_string(dir.join("audit_signing_key")).unwrap();
    let key = gotemp::domain::audit_chain::CheckpointKey::from_seed_text(seed.trim()).unwrap();
    let then = gotemp::domain::values::now() - chrono::Duration::days(2);
    let old = key.checkpoint(&tenant, head.size, &head.hash, then, None);
    assert!(audit.add_checkpoint(&old, signed).await.unwrap());

    let root = dir.join("archive");
    let args = [
        "audit",
        "archive",
        "--retention",
        "1d",
        "--dir",
        root.to_str().unwrap(),
    ];
    let archived = gotemp(&url, &args);
    assert!(archived.status.success(), "{archived:?}");
    let said = String::from_utf8_lossy(&archived.stdout);
    assert!(
        said.contains(&format!("seqs 1 to {} archived", head.size)),
        "{said}"
    );
    assert_eq!(
        audit.chain(&tenant, 1, 10).await.unwrap().len(),
        1,
        "only the archive's record is left"
    );

    let alone = gotemp(&url, &["audit", "verify", "--json"]);
    assert!(alone.status.success(), "{alone:?}");
    let alone = report(&alone);
    assert_eq!(alone["archived_to_seq"], head.size, "{alone}");
    assert_eq!(alone["verified_from_seq"], head.size + 1, "{alone}");
    let with = [
        "audit",
        "verify",
        "--json",
        "--archive",
        root.to_str().unwrap(),
    ];
    let whole = gotemp(&url, &with);
    assert!(whole.status.success(), "{whole:?}");
    assert_eq!(report(&whole)["verified_from_seq"], 1);

    // One byte of one record changed in the archive (recompressed as a tamperer would).
    let manifests = gotemp::domain::audit_chain::archive::read_manifests(&root, &tenant).unwrap();
    let (path, manifest) = &manifests[0];
    let file = path.join(&manifest.files[0].name);
    let mut text = String::new();
    use std::io::{Read as _, Write as _};
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let text = text.replacen("\"performed_by\":", "\"performed_by\":1", 1);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    let caught = gotemp(&url, &with);
    assert!(!caught.status.success(), "{caught:?}");
    let caught = report(&caught);
    assert_eq!(
        (
            caught["broken"]["seq"].clone(),
            caught["broken"]["reason"].clone()
        ),
        (1.into(), "changed".into()),
        "{caught}"
    );
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
