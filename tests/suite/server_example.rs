//! The server example's configuration end to end: all five services over HTTP and gRPC from one
//! `Config` on port 0, then the demo clients' flow over gRPC — every step must succeed and the
//! audit history must show each change. Once on the embedded default (SQLite files, one apart
//! for customers and products and one for the audit trail, to prove the split), once on
//! PostgreSQL; and once over mutual TLS (gRPC) and HTTPS.

use gotemp::runner::{Seed, Server as _};
use gotemp::{Application, Config, SecretString};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::demo::{self, Collect};
use gotemp_grpc::runner::GrpcServer;
use gotemp_grpc::server::ServiceName;
use gotemp_http::HttpServer;
use gotemp_testing::pki::Pki;
use std::time::Duration;

fn config(storage: String) -> Config {
    let mut c = Config::embedded(SecretString::from(
        "vQ3n8Rk2Zt6Wm0Yp4Lc9Hs1Dx7Gb5Jf3Ue8Nq2Ta6Vo=",
    ));
    c.storage.url = storage.parse().expect("a valid backend URL");
    c.http.addr = ([127, 0, 0, 1], 0).into();
    c.grpc.addr = ([127, 0, 0, 1], 0).into();
    c.grpc.metrics_addr = Some(([127, 0, 0, 1], 0).into());
    // Only the embedded default seeds an administrator with the documented default password.
    c.auth.admin_password = SecretString::from("the server example's admin password");
    c.audit.signing_key = Some(SecretString::from(gotemp_testing::AUDIT_SIGNING_KEY));
    c
}

/// Serves HTTPS and gRPC over mutual TLS with `pki`'s certificates.
fn with_tls(mut config: Config, pki: &Pki) -> Config {
    config.http.tls_cert = Some(pki.path("server.pem"));
    config.http.tls_key = Some(pki.path("server.key"));
    config.grpc.tls_cert = Some(pki.path("server.pem"));
    config.grpc.tls_key = Some(pki.path("server.key"));
    config.grpc.tls_client_ca = Some(pki.path("ca.pem"));
    config
}

/// What a client of `pki`'s deployment trusts and shows.
fn client_tls(pki: &Pki) -> gotemp::TlsConfig {
    gotemp::TlsConfig {
        ca: Some(pki.path("ca.pem")),
        client_cert: Some(pki.path("client.pem")),
        client_key: Some(pki.path("client.key")),
    }
}

async fn demo_against(config: &Config, pki: Option<&Pki>) {
    // As the server example runs it: one application served over HTTP and gRPC.
    let app = Application::builder(config.clone())
        .seed(Seed::FirstStart)
        .build()
        .await
        .expect("the application starts");
    let http = HttpServer::bind(app.config()).await.unwrap();
    let grpc = GrpcServer::bind(app.config(), &ServiceName::ALL)
        .await
        .unwrap();
    let (http_addr, grpc_addr) = (http.local_addr(), grpc.local_addr());
    let seeded = app.seeded().cloned().expect("the first start seeds");
    let metrics = app.metrics_addr();
    let running = app.start(vec![Box::new(http), Box::new(grpc)]);
    assert_eq!((seeded.customers, seeded.promotions), (5, 3));
    let client = match pki {
        None => GotempClient::connect(&format!("http://{}", grpc_addr)).await,
        Some(pki) => {
            let tls = gotemp_grpc::tls::client_tls(&client_tls(pki)).unwrap();
            let url = format!("https://localhost:{}", grpc_addr.port());
            GotempClient::connect_with(&url, &tls).await
        }
    };
    let mut client = client.unwrap();
    use secrecy::ExposeSecret as _;
    client
        .login(
            &config.auth.admin_email,
            config.auth.admin_password.expose_secret(),
        )
        .await
        .unwrap();
    let mut log = Collect::default();
    let shown = demo::run_all(&client, &mut log, Duration::from_secs(15))
        .await
        .unwrap_or_else(|e| panic!("a demo step failed: {e:?}\n{}", log.0.join("\n")));
    assert_eq!(
        shown,
        12,
        "create, update, delete of four objects:\n{}",
        log.0.join("\n")
    );
    let text = log.0.join("\n");
    for step in [
        "[user] delete",
        "[customer] get: \"Quack Supplies International\", 2 extra fields",
        "[product] update: renamed \"Rubber Duck XXL\"",
        "for customer ducksrus (Ducks R Us)",
        "[audit] history of promotion",
        "delete_promotion",
    ] {
        assert!(text.contains(step), "{step} in:\n{text}");
    }
    // The HTTP side of the same process answers too.
    match pki {
        None => {
            let ready = reqwest_get(&format!("http://{}/readyz", http_addr)).await;
            assert!(
                ready.ends_with(r#"{"status":"ready"}"#),
                "a stranger sees the status only: {ready}"
            );
            let public = reqwest_get(&format!("http://{}/metrics", http_addr)).await;
            assert!(
                !public.contains("gotemp_"),
                "no metrics on the public API: {public}"
            );
        }
        Some(pki) => https_checks(http_addr.port(), pki).await,
    }
    // Metrics on their own listener, the sampled figures among them.
    let metrics = metrics.expect("GOTEMP_METRICS_ADDR was set");
    let started = std::time::Instant::now();
    loop {
        let text = reqwest_get(&format!("http://{metrics}/metrics")).await;
        if text.contains("gotemp_outbox_pending_events") {
            assert!(text.contains("gotemp_grpc_requests_total"), "{text}");
            break;
        }
        let ready = reqwest_get(&format!("http://{metrics}/readyz")).await;
        assert!(
            ready.contains("\"audit_storage\""),
            "the whole report here: {ready}"
        );
        assert!(started.elapsed() < Duration::from_secs(15), "{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    running.stop().await.expect("a graceful stop");
}

/// HTTPS answers over HTTP/2 (ALPN) and HTTP/1.1 to a client trusting the CA, and a client
/// trusting another CA gets no answer.
async fn https_checks(port: u16, pki: &Pki) {
    let url = format!("https://localhost:{port}/readyz");
    let trusting = |ca: &str| {
        let pem = std::fs::read(pki.path(ca)).unwrap();
        // rustls: the native-TLS backend (another crate enables it) offers no ALPN.
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
    };
    let h2 = trusting("ca.pem")
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        h2.version(),
        reqwest::Version::HTTP_2,
        "HTTP/2 negotiated by ALPN"
    );
    assert_eq!(
        h2.headers()["strict-transport-security"],
        "max-age=31536000",
        "served over TLS, browsers are told to stay on it"
    );
    assert!(h2.text().await.unwrap().contains("\"ready\""));
    let h1 = trusting("ca.pem").http1_only().build().unwrap();
    let answer = h1.get(&url).send().await.unwrap();
    assert_eq!(answer.version(), reqwest::Version::HTTP_11);
    assert!(answer.status().is_success());
    let stranger = trusting("rogue-ca.pem")
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await;
    assert!(
        stranger.is_err(),
        "a client trusting another CA refuses the server"
    );
}

/// A bare HTTP/1.1 GET (no client library needed for one request).
async fn reqwest_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_against_the_embedded_server_with_split_storage() {
    let dir = std::env::temp_dir().join(format!("gotemp-server-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = config(format!("sqlite://{}/gotemp.db", dir.display()));
    c.storage.master_data = Some(gotemp::MasterDataStore::Store(gotemp::Store::sqlite_file(
        dir.join("master.db"),
    )));
    c.storage.audit = Some(gotemp::AuditStore::Store(gotemp::Store::sqlite_file(
        dir.join("audit.db"),
    )));
    demo_against(&c, None).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database that allows one connection at a time (the TimescaleDB build of the tests) keeps
/// the audit trail with `audit_storage_pool_size = 1`; with the default pool of 16 the start
/// timed out waiting for connections it would never get.
#[cfg(feature = "timescale")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_fits_a_database_of_one_connection() {
    let test = "the_audit_trail_fits_a_database_of_one_connection";
    let Some(timescale) = gotemp_testing::timescale::timescale_server(test).await else {
        return;
    };
    let url = timescale.url.clone();
    let dir = std::env::temp_dir().join(format!("gotemp-server-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = config(format!("sqlite://{}/gotemp.db", dir.display()));
    c.storage.audit = Some(url.parse().unwrap());
    c.storage.audit_pool_size = 1;
    demo_against(&c, None).await;
    drop(timescale);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_against_the_server_on_postgres() {
    let Some(store) =
        gotemp_testing::postgres_store("the_demo_runs_against_the_server_on_postgres").await
    else {
        return;
    };
    demo_against(&config(store.url.clone()), None).await;
    store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_over_mutual_tls_and_https() {
    let pki = Pki::new(&[]);
    let db = format!("sqlite://{}/gotemp.db", pki.dir().display());
    demo_against(&with_tls(config(db), &pki), Some(&pki)).await;
}
