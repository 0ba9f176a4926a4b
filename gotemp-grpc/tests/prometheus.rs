//! A gotemp-grpc process watched by the real Prometheus (Debian's package, started by the test
//! on a free port, scraping every second): after calls, the request, login, relay, outbox,
//! consumer and dead-letter figures are there and moved; while NATS is stopped the age of the
//! oldest unsent event rises, and after it is back it falls to zero. The same process logs JSON
//! lines carrying each call's request id, which it also returns.

mod common;

use common::stop;
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::customer::CreateCustomerRequest;
use gotemp_testing as testing;
use gotemp_testing::nats::NatsServer;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

const TEST: &str = "prometheus_sees_every_figure_move";
const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";

/// gotemp-grpc serving everything on SQLite with events over `nats`; its gRPC URL and the
/// address of its metrics.
async fn gotemp(dir: &std::path::Path, nats: &str) -> (Child, String, String, Logs) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gotemp-grpc"))
        .env_clear()
        .env(
            "GOTEMP_STORAGE",
            format!("sqlite://{}/gotemp.db", dir.display()),
        )
        .env("GOTEMP_EVENTS", nats)
        .env("GOTEMP_JWT_SECRET", SECRET)
        .env(
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        )
        .env("GOTEMP_ADMIN_PASSWORD", "ops password of the tests")
        .env("GOTEMP_GRPC_ADDR", "127.0.0.1:0")
        .env("GOTEMP_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "error,gotemp_grpc=info,tower_http=debug")
        .env("GOTEMP_LOG_FORMAT", "json")
        .arg("--seed")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("gotemp-grpc starts");
    let logs = Logs::default();
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let kept = logs.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    let mut lines = common::lines(&mut child);
    let serving = common::next_line(&mut lines).await;
    let grpc = serving
        .strip_prefix("gotemp-grpc listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {serving}"))
        .to_owned();
    let metrics = common::next_line(&mut lines).await;
    let metrics = metrics
        .strip_prefix("metrics on http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected second line: {metrics}"))
        .to_owned();
    (child, format!("http://{grpc}"), metrics, logs)
}

/// The lines a process wrote to its standard error so far.
type Logs = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Prometheus scraping `target` every second, on a free port; `None` (a loud skip) when it is
/// not installed.
async fn prometheus(dir: &std::path::Path, target: &str) -> Option<(Child, String)> {
    let Some(binary) = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
    else {
        return testing::skip_for_want_of("prometheus", TEST, "not installed (scripts/services)");
    };
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{ scrape_interval: 1s }}\nscrape_configs:\n  - job_name: gotemp\n    \
             static_configs: [{{ targets: ['{target}'] }}]\n"
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus starts");
    Some((child, format!("http://127.0.0.1:{port}")))
}

/// The values Prometheus has now for `query` (an instant vector), by series.
async fn query(prometheus: &str, query: &str) -> Vec<(serde_json::Value, f64)> {
    let url = format!("{prometheus}/api/v1/query");
    let Ok(answer) = reqwest::Client::new()
        .get(url)
        .query(&[("query", query)])
        .send()
        .await
    else {
        return Vec::new();
    };
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    body["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|series| {
            let value = series["value"][1].as_str().unwrap_or("NaN");
            (series["metric"].clone(), value.parse().unwrap_or(f64::NAN))
        })
        .collect()
}

/// Waits (at most `limit`) until `query` has a series whose value passes `test`.
async fn until(prometheus: &str, q: &str, limit: Duration, test: impl Fn(f64) -> bool) {
    let started = std::time::Instant::now();
    loop {
        if query(prometheus, q).await.iter().any(|(_, v)| test(*v)) {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "Prometheus never saw {q} pass within {limit:?}: {:?}",
            query(prometheus, q).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_sees_every_figure_move() {
    let dir = std::env::temp_dir().join(format!("gotemp-prom-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(mut nats) = NatsServer::start(TEST).await else {
        return;
    };
    let (server, grpc, metrics, logs) = gotemp(&dir, &nats.url()).await;
    let Some((mut prom, prom_url)) = prometheus(&dir, &metrics).await else {
        return;
    };

    let mut client = GotempClient::connect(&grpc).await.unwrap();
    client
        .login("admin@gotemp.local", "ops password of the tests")
        .await
        .unwrap();
    let create = |client: &GotempClient, id: String| {
        let mut customers = client.customers();
        async move {
            customers
                .create_customer(CreateCustomerRequest {
                    id: Some(id.clone()),
                    name: format!("Customer {id}"),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
    };
    for n in 0..3 {
        create(&client, format!("metered-{n}")).await;
    }
    let wait = Duration::from_secs(30);
    let grpc_calls = r#"gotemp_grpc_requests_total{service="gotemp.customer.v1.CustomerService",method="CreateCustomer",code="OK"}"#;
    until(&prom_url, grpc_calls, wait, |v| v >= 3.0).await;
    until(
        &prom_url,
        r#"gotemp_logins_total{outcome="success"}"#,
        wait,
        |v| v >= 1.0,
    )
    .await;
    until(
        &prom_url,
        "gotemp_relay_published_events_total",
        wait,
        |v| v >= 3.0,
    )
    .await;
    let latency =
        "gotemp_grpc_request_duration_seconds_bucket{method=\"CreateCustomer\",le=\"+Inf\"}";
    until(&prom_url, latency, wait, |v| v >= 3.0).await;
    until(&prom_url, "gotemp_outbox_pending_events", wait, |v| {
        v == 0.0
    })
    .await;
    until(&prom_url, "gotemp_audit_consumer_lag_events", wait, |v| {
        v == 0.0
    })
    .await;
    until(&prom_url, "gotemp_audit_dead_letters", wait, |v| v == 0.0).await;
    let pool = r#"gotemp_db_pool_connections{db="sqlite",pool="main",state="idle"}"#;
    until(&prom_url, pool, wait, |v| v >= 1.0).await;
    let cache = "gotemp_cache_misses_total";
    client
        .customers()
        .get_customer(gotemp_grpc::pb::customer::GetCustomerRequest {
            id: "metered-0".into(),
        })
        .await
        .unwrap();
    until(&prom_url, cache, wait, |v| v >= 1.0).await;

    // A caller's request id comes back and is in the call's log lines; without one, one is made.
    let mut request = tonic::Request::new(gotemp_grpc::pb::customer::GetCustomerRequest {
        id: "metered-1".into(),
    });
    request
        .metadata_mut()
        .insert("x-request-id", "trace-me-42".parse().unwrap());
    let answer = client.customers().get_customer(request).await.unwrap();
    assert_eq!(
        answer.metadata().get("x-request-id").unwrap(),
        "trace-me-42"
    );
    let made = client
        .customers()
        .get_customer(gotemp_grpc::pb::customer::GetCustomerRequest {
            id: "metered-2".into(),
        })
        .await
        .unwrap();
    let made = made
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logged = logs.lock().unwrap().clone();
    let tagged = logged
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    let with_id = tagged
        .filter(|line| line["span"]["request_id"] == "trace-me-42")
        .count();
    assert!(
        with_id > 0,
        "a JSON log line with the request id: {logged:?}"
    );

    // NATS away: changes wait in the outbox, and the oldest one ages.
    nats.kill().await;
    create(&client, "while-nats-is-down".into()).await;
    let age = "gotemp_outbox_oldest_pending_age_seconds";
    until(&prom_url, age, wait, |v| v >= 2.0).await;
    until(&prom_url, "gotemp_outbox_pending_events", wait, |v| {
        v >= 1.0
    })
    .await;
    nats.resume().await;
    until(&prom_url, age, Duration::from_secs(60), |v| v == 0.0).await;

    stop(server).await;
    let _ = prom.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
