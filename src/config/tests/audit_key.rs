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
