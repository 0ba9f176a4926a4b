use super::*;

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn file_then_environment() {
    let dir = std::env::temp_dir().join(format!("gotemp-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gotemp.toml");
    std::fs::write(
        &file,
        "storage = \"postgres://db/gotemp\"\ncache = \"none\"\njwt_secret = \"Xt9ob76qmMLXzomSYe8kieZb/dv23+CbSzvVhr+Px7I=\"\n",
    )
    .unwrap();
    figment::Jail::expect_with(|jail| {
        jail.set_env("GOTEMP_CACHE", "redis://cache:6379");
        jail.set_env("GOTEMP_TEST_REQUIRE", "postgres");
        let c = Config::load(Some(&file)).unwrap();
        assert_eq!(c.storage.url, "postgres://db/gotemp", "from the file");
        assert_eq!(c.cache.url, "redis://cache:6379", "the environment wins");
        assert_eq!(c.events.url, "memory", "the default");
        Ok(())
    });
    std::fs::write(&file, "storage = \"sqlite://x.db\"\n").unwrap();
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
    c.storage.url = "postgres://app:hunter2@db:5432/gotemp"
        .parse()
        .expect("a valid backend URL");
    c.cache.url = "redis://default:hunter2@cache:6379"
        .parse()
        .expect("a valid backend URL");
    let text = format!("{c:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("hunter2") && !text.contains("change-me"),
        "{text}"
    );
    assert!(text.contains("postgres://app:***@db:5432/gotemp"), "{text}");
    assert!(text.contains("redis://default:***@cache:6379"), "{text}");
}

#[test]
fn the_embedded_default_is_each_section_s_default() {
    let c = Config::embedded(SecretString::from("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"));
    assert_eq!(c.storage.url, "sqlite://data/gotemp.db");
    assert_eq!(c.events.url, "memory");
    assert_eq!(c.cache.url, "memory");
    assert_eq!(c.cache.ttl, std::time::Duration::from_secs(7200));
    assert_eq!(c.auth.token_ttl, std::time::Duration::from_secs(86_400));
    assert_eq!(c.http.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.grpc.addr.to_string(), "127.0.0.1:50051");
    assert_eq!(c.http.body_limit_bytes, 1024 * 1024);
}

/// Outside the embedded default, a secret anyone could guess is refused at start, naming the
/// setting: too short, a placeholder from the old manifests, or too little entropy.
#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn weak_secrets_are_refused_outside_the_embedded_default() {
    for (secret, why) in [
        ("0123456789", "shorter than 32 bytes"),
        ("replace-me-with-32-random-bytes-or-more", "placeholder"),
        (
            "abababababababababababababababababababab",
            "too little entropy",
        ),
        (
            "hello-hello-hello-hello-hello-hello-hello",
            "too little entropy",
        ),
    ] {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GOTEMP_STORAGE", "postgres://db/gotemp");
            jail.set_env("GOTEMP_JWT_SECRET", secret);
            let err = Config::load(None).map(|_| ()).unwrap_err().to_string();
            assert!(
                err.contains("GOTEMP_JWT_SECRET") && err.contains(why),
                "{secret}: {err}"
            );
            // The embedded default keeps its ease: the same secret is the token service's to judge.
            jail.set_env("GOTEMP_STORAGE", "sqlite://data/gotemp.db");
            assert!(Config::load(None).is_ok(), "{secret}");
            Ok(())
        });
    }
    for strong in [
        "2LxNMaKSjh6JiSB0L6KzSLfHlGpvbYSKuC5EM4eY2uU=",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "a-secret-of-more-than-thirty-two-bytes!!",
    ] {
        assert_eq!(super::secrets::weak(strong, 32), None, "{strong}");
    }
}

/// Seeding an administrator with the documented default password is refused outside the
/// embedded default, naming the setting; allowed on it, as the quick start does.
#[test]
fn the_default_admin_password_is_not_seeded_outside_the_embedded_default() {
    let mut c = Config::embedded(SecretString::from(
        "2LxNMaKSjh6JiSB0L6KzSLfHlGpvbYSKuC5EM4eY2uU=",
    ));
    assert!(c.check_seed_password().is_ok(), "the embedded default may");
    c.storage.url = "postgres://db/gotemp".parse().expect("a valid backend URL");
    let err = c.check_seed_password().unwrap_err().to_string();
    assert!(err.contains("GOTEMP_ADMIN_PASSWORD"), "{err}");
    c.auth.admin_password = SecretString::from("replace-me");
    assert!(
        c.check_seed_password().is_err(),
        "the manifests' placeholder neither"
    );
    c.auth.admin_password = SecretString::from("a password somebody chose");
    assert!(c.check_seed_password().is_ok());
}

/// Who can reach the server decides, not where it keeps its data: the embedded default on a
/// public address is held to the same rules as a deployment, and the demo password is for
/// loopback only.
#[test]
fn exposure_decides_how_careful_secrets_must_be() {
    let mut c = Config::embedded(SecretString::from("a".repeat(32)));
    c.auth.demo_password = Some(SecretString::from("demo password"));
    assert!(c.is_private());
    assert!(
        c.check_seed_password().is_ok(),
        "on loopback the quick start may"
    );
    assert!(c.check_jwt_secret().is_ok());
    for public in ["0.0.0.0:8080", "192.0.2.7:8080", "[::]:8080"] {
        c.http.addr = public.parse().unwrap();
        assert!(!c.is_private(), "{public}");
        let err = c.check_seed_password().unwrap_err().to_string();
        assert!(err.contains("GOTEMP_DEMO_PASSWORD"), "{err}");
        let err = c.check_jwt_secret().unwrap_err().to_string();
        assert!(err.contains("GOTEMP_JWT_SECRET"), "{err}");
    }
    c.auth.demo_password = None;
    let err = c.check_seed_password().unwrap_err().to_string();
    assert!(
        err.contains("GOTEMP_ADMIN_PASSWORD"),
        "the default admin password: {err}"
    );
    for private in ["127.0.0.1:8080", "[::1]:8080"] {
        c.http.addr = private.parse().unwrap();
        assert!(c.is_private(), "{private}");
    }
    c.grpc.addr = "0.0.0.0:50051".parse().unwrap();
    assert!(!c.is_private(), "every listener counts");
}

/// Secrets from files, the Docker and Kubernetes secrets convention: `GOTEMP_<NAME>_FILE` names
/// the file; one trailing newline is dropped; setting the variable too, or an unreadable file,
/// is said, naming the variable.
#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn every_secret_setting_can_come_from_a_file() {
    figment::Jail::expect_with(|jail| {
        let dir = jail.directory().to_path_buf();
        let secret = "2LxNMaKSjh6JiSB0L6KzSLfHlGpvbYSKuC5EM4eY2uU=";
        std::fs::write(dir.join("jwt"), format!("{secret}\n")).unwrap();
        std::fs::write(dir.join("admin"), "from a file\n").unwrap();
        std::fs::write(dir.join("db"), "postgres://app:pw@db:5432/gotemp").unwrap();
        jail.set_env("GOTEMP_JWT_SECRET_FILE", dir.join("jwt").display());
        jail.set_env("GOTEMP_ADMIN_PASSWORD_FILE", dir.join("admin").display());
        jail.set_env("GOTEMP_STORAGE_FILE", dir.join("db").display());
        let c = Config::load(None).unwrap();
        use secrecy::ExposeSecret as _;
        assert_eq!(c.auth.jwt_secret.expose_secret(), secret);
        assert_eq!(c.auth.admin_password.expose_secret(), "from a file");
        assert_eq!(c.storage.url.as_str(), "postgres://app:pw@db:5432/gotemp");

        jail.set_env("GOTEMP_ADMIN_PASSWORD", "and from the environment");
        let err = Config::load(None).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("GOTEMP_ADMIN_PASSWORD_FILE") && err.contains("both"),
            "{err}"
        );
        jail.set_env("GOTEMP_ADMIN_PASSWORD", "");
        jail.set_env("GOTEMP_ADMIN_PASSWORD_FILE", dir.join("missing").display());
        let err = Config::load(None).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("GOTEMP_ADMIN_PASSWORD_FILE: cannot read"),
            "{err}"
        );
        Ok(())
    });
}

/// A printed backend address never carries a credential: password, token-only user info, or a
/// query parameter naming a password, token, secret or key.
#[test]
fn urls_never_print_credentials() {
    for (url, shown) in [
        (
            "postgres://app:pw@db:5432/gotemp",
            "postgres://app:***@db:5432/gotemp",
        ),
        ("nats://s3cr3t-token@broker:4222", "nats://***@broker:4222"),
        (
            "rediss://default:pw@cache:6380/0",
            "rediss://default:***@cache:6380/0",
        ),
        (
            "postgres://app@db/gotemp?sslmode=verify-full&sslpassword=pw",
            "postgres://***@db/gotemp?sslmode=verify-full&sslpassword=***",
        ),
        (
            "nats://broker:4222?auth_token=t&name=x",
            "nats://broker:4222?auth_token=***&name=x",
        ),
        ("memory", "memory"),
        ("sqlite://data/gotemp.db", "sqlite://data/gotemp.db"),
    ] {
        assert_eq!(redact_url(url), shown);
        assert_eq!(BackendUrl::from(url).to_string(), shown);
    }
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn a_weak_event_signing_key_is_refused_naming_the_setting() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=",
        );
        for weak in [
            "short",
            "replace-me-with-32-random-bytes-or-more",
            &"ab".repeat(20),
        ] {
            jail.set_env("GOTEMP_EVENT_SIGNING_KEY", weak);
            let e = Config::load(None).unwrap_err().to_string();
            assert!(
                e.starts_with("event_signing_key (GOTEMP_EVENT_SIGNING_KEY)"),
                "{e}"
            );
        }
        jail.set_env(
            "GOTEMP_EVENT_SIGNING_KEY",
            "Vb3rT9x2Lq8Zp4Kd7Wm1Nc6Hy0Fs5Ej2Ga9Ru3Ot",
        );
        assert!(Config::load(None).is_ok());
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn list_settings_are_lists_in_toml_and_comma_separated_in_variables() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gotemp.toml",
            "jwt_secret = \"a secret of at least thirty-two bytes!\"\n\
             services = [\"user\", \" audit \"]\n\
             discovery = \"static\"\n",
        )?;
        let c = Config::load(Some(std::path::Path::new("gotemp.toml"))).unwrap();
        assert_eq!(c.grpc.services, ["user", "audit"]);
        assert!(c.grpc.user_service_urls.is_empty());
        jail.set_env("GOTEMP_SERVICES", "customer, ,product,");
        let c = Config::load(Some(std::path::Path::new("gotemp.toml"))).unwrap();
        assert_eq!(
            c.grpc.services,
            ["customer", "product"],
            "the variable wins"
        );
        jail.set_env("GOTEMP_DISCOVERY", "dns");
        let e = Config::load(Some(std::path::Path::new("gotemp.toml"))).unwrap_err();
        assert!(e.to_string().to_lowercase().contains("discovery"), "{e}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn a_pool_of_no_connections_is_refused_naming_the_setting() {
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        assert_eq!(Config::load(None).unwrap().storage.audit_pool_size, 16);
        jail.set_env("GOTEMP_AUDIT_STORAGE_POOL_SIZE", "0");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("audit_storage_pool_size (GOTEMP_AUDIT_STORAGE_POOL_SIZE)"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn an_error_keeps_what_caused_it() {
    use std::error::Error as _;
    figment::Jail::expect_with(|jail| {
        jail.set_env("GOTEMP_JWT_SECRET_FILE", "/nonexistent/gotemp/jwt_secret");
        let e = Config::load(None).unwrap_err();
        let io = (e.source())
            .and_then(|cause| cause.downcast_ref::<std::io::Error>())
            .expect("the file system's error is the source");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        jail.set_env("GOTEMP_HTTP_MAX_IN_FLIGHT", "many");
        let e = Config::load(None).unwrap_err();
        assert!(e.source().is_some_and(|c| c.is::<figment::Error>()), "{e}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn durations_are_seconds_or_words_and_addresses_are_checked_when_read() {
    use std::time::Duration;
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        jail.set_env("GOTEMP_HTTP_REQUEST_TIMEOUT_SECS", "1500ms");
        jail.set_env("GOTEMP_TOKEN_TTL_SECS", "12h");
        jail.set_env("GOTEMP_CACHE_TTL_SECS", "90");
        let c = Config::load(None).unwrap();
        assert_eq!(c.http.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.auth.token_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(c.cache.ttl, Duration::from_secs(90));
        jail.set_env("GOTEMP_CACHE_TTL_SECS", "a while");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("CACHE_TTL_SECS") && e.contains("a while"), "{e}");
        jail.set_env("GOTEMP_CACHE_TTL_SECS", "90");
        jail.set_env("GOTEMP_HTTP_REQUEST_TIMEOUT_SECS", "0");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("http_request_timeout_secs"), "{e}");
        jail.set_env("GOTEMP_HTTP_REQUEST_TIMEOUT_SECS", "30");
        jail.set_env("GOTEMP_METRICS_ADDR", "every interface");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("METRICS_ADDR"), "{e}");
        jail.set_env("GOTEMP_METRICS_ADDR", "");
        jail.set_env("GOTEMP_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("TRUSTED_PROXIES") && e.contains("proxy.local"),
            "{e}"
        );
        Ok(())
    });
}

/// A jail's environment with a token secret good enough anywhere, as most tests need.
fn with_secret(jail: &mut figment::Jail) {
    jail.set_env(
        "GOTEMP_JWT_SECRET",
        "a secret of at least thirty-two bytes!",
    );
}

mod audit_key;
mod every_setting;
mod names;
mod registration;
