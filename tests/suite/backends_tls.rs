//! The backends as a hardened deployment runs them: NATS over TLS with a user and password,
//! Redis over TLS with a password, events signed, each a server of the test's own with certificates made for
//! the test. A change made through gotemp reaches the audit trail through the TLS broker, and
//! the cache answers through TLS Redis; a wrong password or an untrusted server certificate
//! leaves the backend unreachable instead of silently connecting.

use gotemp::domain::Actor;
use gotemp::domain::entities::NewCustomer;
use gotemp::domain::page::PageRequest;
use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing::pki::Pki;
use gotemp_testing::{Backend, ServerProcess};
use std::time::{Duration, Instant};

const NATS_PASSWORD: &str = "nats pass/with:odd@chars";
const REDIS_PASSWORD: &str = "redis-password-for-the-test";

/// `nats-server` with JetStream, requiring TLS and a user and password.
async fn nats_tls(test: &str, pki: &Pki) -> Option<ServerProcess> {
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let store = pki.path("jetstream");
    ServerProcess::start(Backend::Nats, test, "nats-server", |port| {
        let port = port.to_string();
        let args = [
            "-a",
            "127.0.0.1",
            "-p",
            &port,
            "-js",
            "-sd",
            &store.display().to_string(),
            "--tls",
            "--tlscert",
            &cert.display().to_string(),
            "--tlskey",
            &key.display().to_string(),
            "--user",
            "gotemp",
            "--pass",
            NATS_PASSWORD,
        ];
        args.map(String::from).to_vec()
    })
    .await
}

/// `redis-server` on a TLS port only, requiring a password.
async fn redis_tls(test: &str, pki: &Pki) -> Option<ServerProcess> {
    let file = |f: &str| pki.path(f).display().to_string();
    let (cert, key, ca) = (file("server.pem"), file("server.key"), file("ca.pem"));
    ServerProcess::start(Backend::Redis, test, "redis-server", |port| {
        let port = port.to_string();
        let args = [
            "--port",
            "0",
            "--tls-port",
            &port,
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
            "--requirepass",
            REDIS_PASSWORD,
            "--save",
            "",
            "--appendonly",
            "no",
        ];
        args.map(String::from).to_vec()
    })
    .await
}

/// Certificates, and NATS and Redis servers using them; `None` (a loud skip) without the
/// server binaries.
async fn servers(test: &str) -> Option<(Pki, ServerProcess, ServerProcess)> {
    let pki = Pki::new(&[]);
    let nats = nats_tls(test, &pki).await?;
    let redis = redis_tls(test, &pki).await?;
    Some((pki, nats, redis))
}

fn config(pki: &Pki, nats: &ServerProcess, redis: &ServerProcess, ca: &str) -> Config {
    let mut c = Config::embedded(SecretString::from(
        "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=",
    ));
    c.storage.url = gotemp::Store::sqlite_file(pki.dir().join("gotemp.db"));
    let password = percent_encode(NATS_PASSWORD);
    let nats_url = nats
        .url("tls")
        .replace("tls://", &format!("tls://gotemp:{password}@"));
    c.events.url = nats_url.parse().expect("a valid backend URL");
    let redis_url = redis
        .url("rediss")
        .replace("rediss://", &format!("rediss://:{REDIS_PASSWORD}@"));
    c.cache.url = redis_url.parse().expect("a valid backend URL");
    c.tls.ca = Some(pki.path(ca));
    c.events.signing_key = Some(SecretString::from(
        "9vJ2xQ7mTz4LrB8kWc1NdF6hYs3GpE0aUo5iKe7Z",
    ));
    c
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_cross_nats_over_tls_and_the_cache_answers_over_tls() {
    let test = "audit_events_cross_nats_over_tls_and_the_cache_answers_over_tls";
    let Some((pki, nats, redis)) = servers(test).await else {
        return;
    };
    let config = config(&pki, &nats, &redis, "ca.pem");
    let app = Gotemp::open(&config).await.expect("opens on TLS backends");
    let events = app.start_events(&config, true).await.unwrap();
    // The first answer waits for the TLS connection, which a loaded machine can take longer than
    // the cache's answer bound (100 ms) to make: asked again until it answers, 5 s at most.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut answer = app.check_cache().await;
    while answer.is_err() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = app.check_cache().await;
    }
    answer.expect("Redis answers over TLS with the password");
    let actor = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    let customer = NewCustomer {
        id: Some("tls-co".into()),
        name: "Over TLS".into(),
        ..Default::default()
    };
    app.customers().create(&actor, customer).await.unwrap();
    let stored = async {
        loop {
            let history = app
                .audit()
                .history(&actor, "customer", "tls-co", &PageRequest::default())
                .await
                .unwrap();
            if !history.items.is_empty() {
                return history;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let history = tokio::time::timeout(Duration::from_secs(15), stored)
        .await
        .expect("the change's audit record arrives through NATS over TLS");
    assert_eq!(history.items.len(), 1);
    events.check_broker().expect("connected to NATS");
    // The deployment's NATS takes change events from gotemp's user only.
    let tls_only = gotemp::events::nats::NatsConnect {
        ca: Some(pki.path("ca.pem")),
        ..Default::default()
    };
    let anonymous = gotemp::events::nats::connect_with(&nats.url("tls"), &tls_only)
        .await
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(1), anonymous.flush()).await;
    assert!(
        !matches!(answered, Ok(Ok(()))),
        "a client without the password is not let in"
    );
    // Read twice: the second answer comes from the TLS Redis.
    for _ in 0..2 {
        let got = app.customers().get(&actor, "tls-co").await.unwrap();
        assert_eq!(got.name, "Over TLS");
    }
    events.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_an_untrusted_certificate_is_not_a_connection() {
    let test = "a_wrong_password_or_an_untrusted_certificate_is_not_a_connection";
    let Some((pki, nats, redis)) = servers(test).await else {
        return;
    };
    let trusting_another = config(&pki, &nats, &redis, "rogue-ca.pem");
    let mut wrong_passwords = config(&pki, &nats, &redis, "ca.pem");
    let events_url = wrong_passwords.events.url.as_str().replace("odd", "even");
    wrong_passwords.events.url = events_url.parse().expect("a valid backend URL");
    let cache_url = wrong_passwords
        .cache
        .url
        .as_str()
        .replace(REDIS_PASSWORD, "guess");
    wrong_passwords.cache.url = cache_url.parse().expect("a valid backend URL");
    for (what, config) in [
        ("another CA", trusting_another),
        ("wrong passwords", wrong_passwords),
    ] {
        let app = Gotemp::open(&config).await.unwrap();
        let events = app.start_events(&config, false).await.unwrap();
        assert!(app.check_cache().await.is_err(), "{what}: Redis refuses");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(events.check_broker().is_err(), "{what}: NATS refuses");
        // Not shut down: its tasks wait out NATS request timeouts (10 s) while it is unreachable.
        drop(events);
    }
}
