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

/// Every setting of the flat configuration before it had sections, with a value unlike its
/// default: each must still be read, from the file and from its `GOTEMP_*` variable alike.
const EVERY_SETTING: [(&str, &str); 45] = [
    ("storage", "postgres://db/one"),
    ("audit_storage", "postgres://db/audit"),
    ("master_data_storage", "http://arango:8529/master"),
    ("events", "nats://broker:4222"),
    ("cache", "redis://cache:6379"),
    ("cache_ttl_secs", "60"),
    ("cache_near_ttl_secs", "5"),
    ("jwt_secret", "a-secret-of-more-than-thirty-two-bytes!!"),
    ("token_ttl_secs", "600"),
    ("admin_email", "root@example.com"),
    ("admin_password", "01234567"),
    ("demo_password", "demo-password"),
    ("registration", "open"),
    ("grpc_addr", "0.0.0.0:6000"),
    ("http_addr", "0.0.0.0:7000"),
    ("http_cors_origins", "https://app.example"),
    ("http_body_limit_bytes", "2048"),
    ("http_request_timeout_secs", "9"),
    ("http_max_in_flight", "7"),
    ("http_web_dir", "web/dist"),
    ("http_tls_cert", "/tls/http.pem"),
    ("http_tls_key", "/tls/http.key"),
    ("http_trusted_proxies", "10.0.0.0/8, 192.0.2.1"),
    ("trace_url", "https://jaeger.example/trace/{trace_id}"),
    ("grpc_tls_cert", "/tls/grpc.pem"),
    ("grpc_tls_key", "/tls/grpc.key"),
    ("grpc_tls_client_ca", "/tls/clients.pem"),
    ("metrics_addr", "0.0.0.0:9464"),
    ("nats_creds", "/secrets/gotemp.creds"),
    ("nats_nkey", "SUAEXAMPLESEED"),
    (
        "event_signing_key",
        "Vb3rT9x2Lq8Zp4Kd7Wm1Nc6Hy0Fs5Ej2Ga9Ru3Ot",
    ),
    ("max_event_bytes", "262144"),
    ("http_docs", "false"),
    ("registration_roles", "viewer,approver"),
    (
        "jwt_previous_secrets",
        "Pq7Lm2Xc9Vb4Nz8Kd1Wf6Hj3Rt5Gy0Se,Aa9Zz8Yy7Xx6Ww5Vv4Uu3Tt2Ss1Rr0Qq",
    ),
    ("tls_ca", "/tls/ca.pem"),
    ("tls_client_cert", "/tls/client.pem"),
    ("tls_client_key", "/tls/client.key"),
    ("services", "promotion,audit"),
    (
        "user_service_url",
        "https://users-1:50051,https://users-2:50051",
    ),
    ("customer_service_url", "https://customers:50051"),
    ("discovery", "mdns"),
    ("storage_pool_size", "32"),
    ("audit_storage_pool_size", "1"),
    ("master_data_storage_pool_size", "4"),
];

/// What `c` holds for each of [`EVERY_SETTING`], as text.
fn every_setting_of(c: &Config) -> Vec<(&'static str, String)> {
    use secrecy::ExposeSecret as _;
    let text = |s: &SecretString| s.expose_secret().to_owned();
    let url = |u: Option<&str>| u.map(str::to_owned);
    let path = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    vec![
        ("storage", c.storage.url.as_str().to_owned()),
        (
            "audit_storage",
            url(c.storage.audit.as_ref().map(|a| a.as_str())).unwrap_or_default(),
        ),
        (
            "master_data_storage",
            url(c.storage.master_data.as_ref().map(|m| m.as_str())).unwrap_or_default(),
        ),
        ("events", c.events.url.as_str().to_owned()),
        ("cache", c.cache.url.as_str().to_owned()),
        ("cache_ttl_secs", c.cache.ttl.as_secs().to_string()),
        (
            "cache_near_ttl_secs",
            c.cache.near_ttl.as_secs().to_string(),
        ),
        ("jwt_secret", text(&c.auth.jwt_secret)),
        ("token_ttl_secs", c.auth.token_ttl.as_secs().to_string()),
        ("admin_email", c.auth.admin_email.clone()),
        ("admin_password", text(&c.auth.admin_password)),
        (
            "demo_password",
            c.auth.demo_password.as_ref().map(text).unwrap_or_default(),
        ),
        (
            "registration",
            format!("{:?}", c.auth.registration).to_lowercase(),
        ),
        ("grpc_addr", c.grpc.addr.to_string()),
        ("http_addr", c.http.addr.to_string()),
        ("http_cors_origins", c.http.cors_origins.join(", ")),
        ("http_body_limit_bytes", c.http.body_limit_bytes.to_string()),
        (
            "http_request_timeout_secs",
            c.http.request_timeout.as_secs().to_string(),
        ),
        ("http_max_in_flight", c.http.max_in_flight.to_string()),
        ("http_web_dir", path(&c.http.web_dir)),
        ("http_tls_cert", path(&c.http.tls_cert)),
        ("http_tls_key", path(&c.http.tls_key)),
        (
            "http_trusted_proxies",
            (c.http.trusted_proxies.iter())
                .map(|net| match net.prefix_len() == net.max_prefix_len() {
                    true => net.addr().to_string(),
                    false => net.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("trace_url", c.http.trace_url.clone().unwrap_or_default()),
        ("grpc_tls_cert", path(&c.grpc.tls_cert)),
        ("grpc_tls_key", path(&c.grpc.tls_key)),
        ("grpc_tls_client_ca", path(&c.grpc.tls_client_ca)),
        (
            "metrics_addr",
            c.grpc
                .metrics_addr
                .map(|a| a.to_string())
                .unwrap_or_default(),
        ),
        ("nats_creds", path(&c.events.nats_creds)),
        (
            "nats_nkey",
            c.events.nats_nkey.as_ref().map(text).unwrap_or_default(),
        ),
        (
            "event_signing_key",
            c.events.signing_key.as_ref().map(text).unwrap_or_default(),
        ),
        ("max_event_bytes", c.events.max_event_bytes.to_string()),
        ("http_docs", c.http.docs.to_string()),
        (
            "registration_roles",
            c.auth.registration_roles.names().join(","),
        ),
        (
            "jwt_previous_secrets",
            c.auth
                .jwt_previous_secrets
                .as_ref()
                .map(text)
                .unwrap_or_default(),
        ),
        ("tls_ca", path(&c.tls.ca)),
        ("tls_client_cert", path(&c.tls.client_cert)),
        ("tls_client_key", path(&c.tls.client_key)),
        ("services", c.grpc.services.join(",")),
        ("user_service_url", c.grpc.user_service_urls.join(",")),
        (
            "customer_service_url",
            c.grpc.customer_service_urls.join(","),
        ),
        (
            "discovery",
            format!("{:?}", c.grpc.discovery).to_lowercase(),
        ),
        ("storage_pool_size", c.storage.pool_size.to_string()),
        (
            "audit_storage_pool_size",
            c.storage.audit_pool_size.to_string(),
        ),
        (
            "master_data_storage_pool_size",
            c.storage.master_data_pool_size.to_string(),
        ),
    ]
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn every_setting_of_before_the_sections_is_still_read() {
    let expected: Vec<(&str, String)> = EVERY_SETTING
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    let mut names: Vec<&str> = EVERY_SETTING.iter().map(|(k, _)| *k).collect();
    // The Ed25519 token keys exclude jwt_secret: `tests/flows.rs` reads them on their own.
    let keys = ["jwt_private_key", "jwt_public_key"];
    let mut known = known_names();
    known.retain(|name| !keys.contains(name));
    names.sort_unstable();
    known.sort_unstable();
    assert_eq!(known, names, "the sections know exactly these names");
    figment::Jail::expect_with(|jail| {
        for (key, value) in EVERY_SETTING {
            jail.set_env(format!("GOTEMP_{}", key.to_uppercase()), value);
        }
        let c = Config::load(None).unwrap();
        assert_eq!(every_setting_of(&c), expected, "from the environment");
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        let toml: String = EVERY_SETTING
            .iter()
            .map(|(k, v)| match v.parse::<u64>() {
                Ok(n) if !k.contains("password") => format!("{k} = {n}\n"),
                _ => format!("{k} = {v:?}\n"),
            })
            .collect();
        jail.create_file("gotemp.toml", &toml)?;
        let c = Config::load(Some(std::path::Path::new("gotemp.toml"))).unwrap();
        assert_eq!(every_setting_of(&c), expected, "from the file");
        Ok(())
    });
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
fn registration_never_gives_admin() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "Vb3rT9x2Lq8Zp4Kd7Wm1Nc6Hy0Fs5Ej2Ga9Ru3Ot",
        );
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "viewer, admin");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("registration_roles"), "{e}");
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "viewer, root");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("root"), "{e}");
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "");
        let c = Config::load(None).unwrap();
        assert_eq!(c.auth.registration_roles, gotemp_core::policy::Roles::NONE);
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
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a secret of at least thirty-two bytes!",
        );
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
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a secret of at least thirty-two bytes!",
        );
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
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a secret of at least thirty-two bytes!",
        );
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

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn backends_are_chosen_when_read_and_a_wrong_scheme_names_its_setting() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a secret of at least thirty-two bytes!",
        );
        jail.set_env("GOTEMP_STORAGE", "postgres://app:pw@db/gotemp");
        jail.set_env("GOTEMP_AUDIT_STORAGE", "none");
        jail.set_env("GOTEMP_MASTER_DATA_STORAGE", "https://arango:8529/master");
        jail.set_env("GOTEMP_EVENTS", "tls://broker:4222");
        jail.set_env("GOTEMP_CACHE", "rediss://cache:6380");
        let c = Config::load(None).unwrap();
        assert!(matches!(c.storage.url, Store::Postgres(_)));
        assert_eq!(c.storage.audit, Some(AuditStore::Off));
        assert!(matches!(
            c.storage.master_data,
            Some(MasterDataStore::Arango(_))
        ));
        assert!(matches!(c.events.url, EventBus::Nats(_)));
        assert!(matches!(c.cache.url, CacheBackend::Redis(_)));
        assert_eq!(c.storage.url.to_string(), "postgres://app:***@db/gotemp");
        for (name, value, rule) in [
            (
                "GOTEMP_STORAGE",
                "mysql://u:hunter2@db/x",
                "sqlite:// or postgres://",
            ),
            (
                "GOTEMP_STORAGE",
                "http://arango:8529",
                "master_data_storage",
            ),
            (
                "GOTEMP_AUDIT_STORAGE",
                "timescale://u:hunter2@db",
                "sqlite:// or postgres://",
            ),
            (
                "GOTEMP_MASTER_DATA_STORAGE",
                "mongodb://u:hunter2@db",
                "(ArangoDB)",
            ),
            ("GOTEMP_EVENTS", "kafka://u:hunter2@broker", "nats://"),
            ("GOTEMP_CACHE", "memcached://u:hunter2@cache", "redis://"),
            ("GOTEMP_CACHE", "redis:hunter2@cache", "redis://"),
            (
                "GOTEMP_STORAGE",
                "gotemp:hunter2@db/gotemp",
                "sqlite:// or postgres://",
            ),
        ] {
            jail.set_env(name, value);
            let e = Config::load(None).unwrap_err().to_string();
            let setting = name.trim_start_matches("GOTEMP_");
            assert!(e.contains(setting) && e.contains(rule), "{name}: {e}");
            assert!(!e.contains("hunter2"), "no credential repeated: {e}");
            jail.set_env(name, "memory");
            jail.set_env("GOTEMP_STORAGE", "sqlite://data/gotemp.db");
            jail.set_env("GOTEMP_AUDIT_STORAGE", "");
            jail.set_env("GOTEMP_MASTER_DATA_STORAGE", "");
        }
        jail.set_env("GOTEMP_CACHE", "");
        let c = Config::load(None).unwrap();
        assert_eq!(c.storage.audit, None, "blank is absent");
        assert_eq!(c.cache.url, CacheBackend::None, "a blank cache is none");
        assert_eq!(c.events.url, EventBus::Memory);
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn a_mistyped_variable_is_refused_with_the_setting_it_resembles() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "a secret of at least thirty-two bytes!",
        );
        // Read by gotemp's processes and tools, not settings: never refused.
        jail.set_env("GOTEMP_TEST_ANYTHING", "1");
        jail.set_env("GOTEMP_LOG_FORMAT", "json");
        jail.set_env("GOTEMP_SEED", "true");
        Config::load(None).unwrap();
        jail.set_env("GOTEMP_STORGE", "postgres://db/gotemp");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("GOTEMP_STORGE") && e.contains("did you mean GOTEMP_STORAGE?"),
            "{e}"
        );
        jail.set_env("GOTEMP_STORGE", "");
        jail.set_env("GOTEMP_QUITE_UNLIKE_ANY", "1");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("GOTEMP_QUITE_UNLIKE_ANY") && !e.contains("did you mean"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn reference_docs_settings_md_is_made_from_the_sections_and_names_every_setting() {
    let made = super::reference::page();
    let documented: Vec<String> = (super::reference::settings().into_iter())
        .map(|s| s.name)
        .collect();
    for name in known_names() {
        assert!(
            documented.iter().any(|d| d == name),
            "{name} is not in the reference"
        );
    }
    assert!(
        super::reference::settings()
            .iter()
            .all(|s| !s.doc.is_empty()),
        "every setting has a doc comment"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/settings.md");
    if std::env::var_os("GOTEMP_WRITE_DOCS").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == made,
        "docs/settings.md is not what src/config/sections.rs says: run \
         GOTEMP_WRITE_DOCS=1 cargo test -p gotemp --lib reference"
    );
}

/// Every `GOTEMP_*` name gotemp's own scripts, deployment files, web tests and clients set is
/// one that is read: none of them may make a process refuse to start.
#[test]
fn every_variable_gotemp_itself_sets_is_accepted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("scripts"),
        root.join("deploy"),
        root.join("examples"),
    ];
    dirs.extend([root.join("web/tests"), root.join("gotemp-grpc/src/demo")]);
    files.push(root.join("web/playwright.config.js"));
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            match path.is_dir() {
                true => dirs.push(path),
                false => files.push(path),
            }
        }
    }
    let known = known_names();
    let mut checked = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (at, _) in text.match_indices("GOTEMP_") {
            let name: String = (text[at + "GOTEMP_".len()..].chars())
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            // `GOTEMP_<NAME>_FILE`, `GOTEMP_TEST_*`: a pattern in a comment, not a variable.
            if name.is_empty() || name.ends_with('_') || name == "AUDIT" {
                continue;
            }
            checked += 1;
            let lower = name.to_ascii_lowercase();
            assert!(
                is_read(&lower, &known),
                "GOTEMP_{name} (in {}) would be refused at start",
                file.display()
            );
        }
    }
    assert!(
        checked > 100,
        "only {checked} names found: the walk is broken"
    );
    for kubernetes in [
        "http_service_host",
        "service_port_grpc",
        "port_8080_tcp_addr",
        "port",
    ] {
        assert!(is_read(kubernetes, &known), "{kubernetes}");
    }
}
