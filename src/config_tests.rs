use super::*;

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn file_then_environment() {
    let dir = std::env::temp_dir().join(format!("gotemp-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gotemp.toml");
    std::fs::write(
        &file,
        "storage = \"postgres://db/gotemp\"\ncache = \"none\"\njwt_secret = \"from-the-file-from-the-file-from-the-file\"\n",
    )
    .unwrap();
    figment::Jail::expect_with(|jail| {
        jail.set_env("GOTEMP_CACHE", "redis://cache:6379");
        jail.set_env("GOTEMP_TEST_REQUIRE", "postgres");
        let c = Config::load(Some(&file)).unwrap();
        assert_eq!(c.storage, "postgres://db/gotemp", "from the file");
        assert_eq!(c.cache, "redis://cache:6379", "the environment wins");
        assert_eq!(c.events, "memory", "the default");
        Ok(())
    });
    std::fs::write(&file, "storage = \"x\"\n").unwrap();
    let err = Config::load_from(
        Some(&file),
        figment::providers::Env::prefixed("GOTEMP_NONE_"),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    assert!(err.to_string().contains("GOTEMP_JWT_SECRET"), "{err}");
    std::fs::write(&file, "jwt_secret = \"s\"\nstorgae = \"typo\"\n").unwrap();
    let err = Config::load_from(
        Some(&file),
        figment::providers::Env::prefixed("GOTEMP_NONE_"),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        err.to_string().contains("storgae"),
        "a typo is named: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_never_shows_secrets() {
    let mut c = Config::embedded(SecretString::from("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"));
    c.storage = "postgres://app:hunter2@db:5432/gotemp".into();
    c.cache = "redis://default:hunter2@cache:6379".into();
    let text = format!("{c:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("hunter2") && !text.contains("change-me"),
        "{text}"
    );
    assert!(text.contains("postgres://app:***@db:5432/gotemp"), "{text}");
    assert!(text.contains("redis://default:***@cache:6379"), "{text}");
}
