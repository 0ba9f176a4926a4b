//! The audit trail switched off (`GOTEMP_AUDIT_STORAGE=none`, the original's
//! `DISABLE_AUDIT_RECORDS`): writes succeed, no audit record is kept, change events still flow
//! over NATS so a second instance's cache follows a rename, and the audit API says it is off.

use gotemp::domain::Actor;
use gotemp::domain::entities::{AuditFilter, CustomerChanges, NewCustomer};
use gotemp::domain::page::PageRequest;
use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing::nats::NatsServer;
use std::time::{Duration, Instant};

const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";

fn settings(dir: &std::path::Path, nats: &str, audit: Option<&str>) -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.storage.url = gotemp::Store::sqlite_file(dir.join("gotemp.db"));
    c.storage.audit = audit.map(|url| url.parse().unwrap());
    c.events.url = nats.parse().expect("a valid backend URL");
    c.auth.admin_password = SecretString::from("ops password of the tests");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_audit_trail_off_writes_and_cache_evictions_go_on_and_the_api_says_so() {
    let test = "with_the_audit_trail_off_writes_and_cache_evictions_go_on_and_the_api_says_so";
    let Some(nats) = NatsServer::start(test).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("gotemp-audit-off-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = settings(&dir, &nats.url(), Some("none"));
    assert!(config.storage.audit_off());
    // Two instances over one store, each with a cache of its own: only the change events can
    // tell B that A renamed a customer.
    let a = Gotemp::open(&config).await.unwrap();
    a.seed(&config).await.unwrap();
    let a_events = a.start_events(&config, true).await.unwrap();
    let b = Gotemp::open(&config).await.unwrap();
    let b_events = b.start_events(&config, false).await.unwrap();
    let actor = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    let customer = NewCustomer {
        id: Some("quiet-co".into()),
        name: "Quiet".into(),
        ..Default::default()
    };
    a.customers().create(&actor, customer).await.unwrap();
    assert_eq!(
        b.customers().get(&actor, "quiet-co").await.unwrap().name,
        "Quiet"
    );
    let renamed = CustomerChanges {
        name: Some("Quieter".into()),
        ..Default::default()
    };
    a.customers()
        .update(&actor, "quiet-co", renamed, None)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let seen = b.customers().get(&actor, "quiet-co").await.unwrap().name;
        if seen == "Quieter" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B still shows {seen:?}: the change event did not evict its cache"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The relay sent everything: nothing waits for an audit store that is not there.
    let started = Instant::now();
    while a.check_storage().await.unwrap() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the outbox drains"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The API: 404 with a problem that says why, to an administrator who may read the trail.
    let (all, first) = (AuditFilter::default(), PageRequest::default());
    let off = a.audit().list(&actor, &all, &first).await.unwrap_err();
    assert!(
        matches!(off, gotemp::domain::Error::SwitchedOff(_)),
        "{off:?}"
    );
    let http_settings = config.http.clone();
    let router = gotemp_http::router(a.clone(), None, &http_settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(gotemp_http::serve(
        router,
        listener,
        None,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"email": "admin@gotemp.local", "password": "ops password of the tests"}))
        .send()
        .await
        .unwrap();
    let token = login.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    // The details are for an administrator.
    let ready = http.get(format!("{base}/readyz")).bearer_auth(&token);
    let ready = ready.send().await.unwrap();
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["audit_storage"], "off", "{ready}");
    for path in ["/v1/audit", "/v1/audit/1", "/v1/audit/buckets?width=1h"] {
        let answer = http
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await;
        let answer = answer.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
        let problem: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(
            problem["type"], "urn:gotemp:problem:switched-off",
            "{path}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("audit trail is switched off"), "{detail}");
    }
    server.abort();
    a_events.shutdown().await;
    b_events.shutdown().await;

    // Nothing was kept: the same store with the trail on has no record of these changes.
    let on = Gotemp::open(&settings(&dir, &nats.url(), None))
        .await
        .unwrap();
    let filter = AuditFilter {
        object_id: Some("quiet-co".into()),
        ..Default::default()
    };
    let kept = on
        .audit()
        .list(&actor, &filter, &PageRequest::default())
        .await;
    assert!(kept.unwrap().items.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
