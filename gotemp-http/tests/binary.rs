//! The `gotemp-http` binary as deployed: PostgreSQL storage and NATS events from `GOTEMP_*`
//! variables, the audit trail filled through JetStream — traced from the request to the audit
//! record when the caller sends a `traceparent` — readiness naming its backends, a clear
//! refusal to start without a token secret, and a graceful stop on SIGTERM that lets a request
//! in flight finish.

use gotemp_testing::{self as testing, Backend};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

const SECRET: &str = "zu/Ckpz7g6KToek2AB4NuZ+hw9OWTC3mnCE5ETn7rV8=";

async fn spawn(env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gotemp-http"))
        .env_clear()
        .envs(env.iter().copied())
        .env("GOTEMP_HTTP_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the gotemp-http binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server says where it listens within 30 s")
        .unwrap()
        .expect("a line on stdout");
    let base = line
        .strip_prefix("gotemp-http listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    // The pipe closes here, after the first line, as when a supervisor reads the address and
    // stops listening: the server must carry on (it once died printing the rest of its banner).
    drop(lines);
    (child, base)
}

#[tokio::test]
async fn the_binary_serves_audits_through_nats_and_stops_gracefully() {
    let test = "the_binary_serves_audits_through_nats_and_stops_gracefully";
    let nats = match testing::configured_url(Backend::Nats).await {
        Ok(url) => url,
        Err(why) => return testing::skip(Backend::Nats, test, &why).unwrap_or(()),
    };
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let receiver = testing::otlp::Receiver::start().await;
    let (mut child, base) = spawn(&[
        ("GOTEMP_STORAGE", store.url.as_str()),
        ("GOTEMP_EVENTS", nats.as_str()),
        ("GOTEMP_JWT_SECRET", SECRET),
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
        ("GOTEMP_ADMIN_PASSWORD", "binary admin password"),
        ("GOTEMP_SEED", "true"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        // The test's own address stands for the reverse proxy, whose `traceparent` is believed.
        ("GOTEMP_HTTP_TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    let http = reqwest::Client::new();
    let ready: Value = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");

    let login: Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "admin@gotemp.local", "password": "binary admin password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("logged in").to_owned();
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let created = http
        .post(format!("{base}/v1/customers"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace}-b7ad6b7169203331-01"))
        .json(&json!({"id": "via-nats", "name": "Via NATS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // The change reaches the audit trail through the outbox, JetStream and the audit consumer.
    let mut found = false;
    for _ in 0..100 {
        let page: Value = http
            .get(format!(
                "{base}/v1/audit?object_name=customer&object_id=via-nats"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty())
        {
            assert_eq!(page["items"][0]["action_type"], "insert");
            assert_eq!(
                page["items"][0]["trace_id"], trace,
                "the record keeps the trace"
            );
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the create was audited within 10 s");
    // One trace: the request, its database write, the publish to NATS and the audit store.
    let wait = Duration::from_secs(20);
    let request = receiver
        .wait_for(wait, |s| {
            s.trace_id == trace && s.name == "POST /v1/customers"
        })
        .await;
    assert_eq!(request.parent_span_id, "b7ad6b7169203331");
    // A caller that is not a trusted proxy (another loopback address) does not choose the
    // trace: the request starts one of its own, linked to the caller's.
    let stranger = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let foreign = "4bf92f3577b34da6a3ce929d0e0e4736";
    let read = stranger
        .get(format!("{base}/v1/customers/via-nats"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{foreign}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let linked = receiver
        .wait_for(wait, |s| {
            s.name == "GET /v1/customers/{id}" && s.links.iter().any(|l| l == foreign)
        })
        .await;
    assert_ne!(linked.trace_id, foreign);
    assert_eq!(linked.parent_span_id, "");
    assert_eq!(request.attribute("http.route"), Some("/v1/customers"));
    assert_eq!(request.attribute("http.response.status_code"), Some("201"));
    for (name, kind) in [
        ("INSERT customer", 3),
        ("publish gotemp.audit.customer.insert", 4),
        ("store gotemp.audit.customer.insert", 5),
    ] {
        receiver
            .wait_for(wait, |s| {
                s.trace_id == trace && s.name == name && s.kind == kind
            })
            .await;
    }

    // SIGTERM while a login (deliberately slow hashing) is in flight: it still gets its answer.
    let in_flight = tokio::spawn({
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/v1/auth/login"))
                .json(&json!({"email": "admin@gotemp.local", "password": "binary admin password"}))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let pid = child.id().expect("running").to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(in_flight.await.unwrap().expect("answered").as_u16(), 200);
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "graceful exit: {exit:?}");
    store.finish().await;
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_a_token_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_gotemp-http"))
        .env_clear()
        .env("GOTEMP_STORAGE", "sqlite://never-created.db")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("GOTEMP_JWT_SECRET"), "{stderr}");
    assert!(!std::path::Path::new("never-created.db").exists());
}

/// What `gotemp-http --addr 0.0.0.0:0 --seed` says on stderr when it refuses to start with `env`.
async fn refused(env: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_gotemp-http"))
        .env_clear()
        .envs(env.iter().copied())
        .args(["--addr", "0.0.0.0:0", "--seed"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success(), "it must not start: {env:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `--addr` decides where the server listens, so it decides what is refused there too: the demo
/// users' documented password, and a guessable token secret, on an address others reach.
#[tokio::test]
async fn an_address_given_by_flag_is_held_to_the_rules_of_where_it_listens() {
    let dir = std::env::temp_dir().join(format!("gotemp-addr-{}", uuid::Uuid::now_v7().simple()));
    let storage = format!("sqlite://{}/gotemp.db", dir.display());
    let stderr = refused(&[
        ("GOTEMP_STORAGE", storage.as_str()),
        ("GOTEMP_JWT_SECRET", SECRET),
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
        ("GOTEMP_ADMIN_PASSWORD", "binary admin password"),
        ("GOTEMP_DEMO_PASSWORD", "the demo users' own password"),
    ])
    .await;
    assert!(stderr.contains("GOTEMP_DEMO_PASSWORD"), "{stderr}");
    let stderr = refused(&[
        ("GOTEMP_STORAGE", storage.as_str()),
        ("GOTEMP_JWT_SECRET", "secret-secret-secret-secret-secret"),
    ])
    .await;
    assert!(stderr.contains("GOTEMP_JWT_SECRET"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
