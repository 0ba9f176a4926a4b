//! Every setting the flat configuration had before it was sectioned is still read, from the
//! file and from its `GOTEMP_*` variable alike.

use super::super::*;

/// Every setting of the flat configuration before it had sections, with a value unlike its
/// default: each must still be read, from the file and from its `GOTEMP_*` variable alike.
const EVERY_SETTING: [(&str, &str); 52] = [
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
    ("tenancy", "multi"),
    (
        "audit_signing_key",
        "q83vEjRWeJ8hIyQlJicoKSorLC0uLzAxMjM0NTY3ODk=",
    ),
    ("audit_checkpoint_records", "250"),
    ("audit_checkpoint_interval_secs", "30"),
    ("audit_retention", "34560000"),
    ("audit_archive_dir", "/archive"),
    ("audit_archive_interval_secs", "600"),
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
        ("tenancy", c.auth.tenancy.to_string()),
        (
            "audit_signing_key",
            c.audit.signing_key.as_ref().map(text).unwrap_or_default(),
        ),
        (
            "audit_checkpoint_records",
            c.audit.checkpoint_records.to_string(),
        ),
        (
            "audit_checkpoint_interval_secs",
            c.audit.checkpoint_interval.as_secs().to_string(),
        ),
        (
            "audit_retention",
            (c.audit.retention.map(|r| r.as_secs().to_string())).unwrap_or_default(),
        ),
        (
            "audit_archive_dir",
            (c.audit
                .archive_dir
                .as_ref()
                .map(|d| d.display().to_string()))
            .unwrap_or_default(),
        ),
        (
            "audit_archive_interval_secs",
            c.audit.archive_interval.as_secs().to_string(),
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
    // The Ed25519 token keys exclude jwt_secret: `tests/suite/flows.rs` reads them on their own.
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
