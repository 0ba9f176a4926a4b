//! The audit trail's signing key: configured, kept by the embedded default, refused when weak or
//! missing where the trail is stored outside it.

use super::*;

fn postgres() -> Config {
    let mut c = Config::embedded(SecretString::from("x".repeat(40)));
    c.storage.url = "postgres://db/gotemp".parse().unwrap();
    c
}

#[test]
fn a_process_storing_the_trail_off_the_embedded_default_needs_a_key() {
    let c = postgres();
    let e = c.checkpoint_key(true).unwrap_err().to_string();
    assert!(
        e.contains("GOTEMP_AUDIT_SIGNING_KEY") && e.contains("required"),
        "{e}"
    );
    // A process that does not store the trail signs nothing, and needs none.
    assert!(c.checkpoint_key(false).unwrap().is_none());
    let mut off = postgres();
    off.storage.audit = Some(AuditStore::Off);
    assert!(off.checkpoint_key(true).unwrap().is_none());
}

#[test]
fn a_weak_or_malformed_key_is_refused_by_name() {
    for (key, why) in [
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "entropy"),
        ("replace-me-with-32-random-bytes-or-more", "placeholder"),
        ("c2hvcnQ=", "shorter"),
        ("bm90IGEgc2VlZCBvZiAzMiBieXRlcyBidXQgbW9yZSBvZiB0aGVt", "32"),
    ] {
        let mut c = postgres();
        c.audit.signing_key = Some(SecretString::from(key));
        let e = c.checkpoint_key(true).unwrap_err().to_string();
        assert!(
            e.contains("audit_signing_key") && e.contains(why),
            "{key}: {e}"
        );
    }
    let mut c = postgres();
    c.audit.signing_key = Some(SecretString::from(gotemp_testing::AUDIT_SIGNING_KEY));
    assert!(c.checkpoint_key(true).unwrap().is_some());
}

#[test]
fn the_embedded_default_keeps_a_key_of_its_own() {
    let dir = std::env::temp_dir().join(format!("gotemp-audit-key-{}", uuid::Uuid::now_v7()));
    let mut c = Config::embedded(SecretString::from("x".repeat(40)));
    c.storage.url = format!("sqlite://{}/gotemp.db", dir.display())
        .parse()
        .unwrap();
    let made = c.checkpoint_key(true).unwrap().expect("a key");
    let kept = c.checkpoint_key(true).unwrap().expect("the same key");
    assert_eq!(made.verifier(), kept.verifier());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn retention_needs_a_place_for_its_archives_and_at_least_an_hour() {
    let mut c = postgres();
    assert!(
        c.archive_settings().unwrap().is_none(),
        "kept forever by default"
    );
    c.audit.retention = Some(std::time::Duration::from_secs(400 * 86_400));
    let e = c.archive_settings().unwrap_err().to_string();
    assert!(
        e.contains("GOTEMP_AUDIT_ARCHIVE_DIR") && e.contains("required"),
        "{e}"
    );
    c.audit.archive_dir = Some("/archive".into());
    let settings = c.archive_settings().unwrap().expect("archived");
    assert_eq!(settings.retention, chrono::Duration::days(400));
    assert_eq!(settings.dir, std::path::PathBuf::from("/archive"));
    c.audit.retention = Some(std::time::Duration::from_secs(60));
    let e = c.archive_settings().unwrap_err().to_string();
    assert!(
        e.contains("GOTEMP_AUDIT_RETENTION") && e.contains("an hour"),
        "{e}"
    );
    // The embedded default keeps them beside its database.
    let mut embedded = Config::embedded(SecretString::from("x".repeat(40)));
    embedded.audit.retention = Some(std::time::Duration::from_secs(86_400));
    let dir = embedded.archive_settings().unwrap().expect("archived").dir;
    assert!(dir.ends_with("audit-archive"), "{}", dir.display());
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn retention_reads_as_a_duration_in_words() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a-secret-of-more-than-thirty-two-bytes!!",
        );
        jail.set_env("GOTEMP_AUDIT_RETENTION", "400d");
        let c = Config::load(None).unwrap();
        assert_eq!(
            c.audit.retention,
            Some(std::time::Duration::from_secs(400 * 86_400))
        );
        jail.set_env("GOTEMP_AUDIT_RETENTION", "");
        assert_eq!(
            Config::load(None).unwrap().audit.retention,
            None,
            "blank: forever"
        );
        jail.set_env("GOTEMP_AUDIT_RETENTION", "forever");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.to_lowercase().contains("audit_retention"), "{e}");
        Ok(())
    });
}
