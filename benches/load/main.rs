//! What gotemp costs, side by side in one run on one machine: each operation — get-by-id with
//! the cache cold and warm, a list page, create and update (each with its outbox event) — at
//! concurrency 1, 8 and 32, through gotemp over HTTP and gRPC on PostgreSQL, a hand-written
//! axum + sqlx handler running the same SQL, pgbench running that SQL alone, redis-benchmark
//! GET for the warm reads, and the embedded default (SQLite). Writes `benches/RESULTS.md`.
//!
//! ```sh
//! scripts/bench          # services, release build, this, the audit pipeline; < 15 min
//! ```
//!
//! Servers and load generator share this process and the machine's two cores (pgbench and
//! redis-benchmark are processes of their own); a ratio compares runs made minutes apart on the
//! same machine, so shared-machine noise mostly cancels out.

mod baseline;
mod external;
mod grpc_client;
mod report;
mod server_process;
mod servers;

use external::HttpOp;
use gotemp::{Gotemp, SecretString};
use gotemp_testing::{self as testing, Measured};
use report::{Row, System};
use servers::{Usage, grpc, http, memory_cache, rss_kib, seed, tokens};
use std::time::Instant;

const SECRET: &str = "2LxNMaKSjh6JiSB0L6KzSLfHlGpvbYSKuC5EM4eY2uU=";
/// Customers every run reads and updates (`bench-1` …).
const SEEDED: usize = 5000;
const CONCURRENCY: [usize; 3] = [1, 8, 32];

/// The operations, in the order of the report.
pub const OPS: [&str; 5] = [
    "get-by-id, cache cold",
    "get-by-id, cache warm",
    "list page (50)",
    "create (+ outbox)",
    "update (+ outbox)",
];

/// The console label of a row.
fn label(op: usize, system: System) -> String {
    format!("{} [{}]", OPS[op], system.tag())
}

fn main() {
    grpc_client::serve_as_load_generator(SEEDED);
    run();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn run() {
    let calls: usize = std::env::var("GOTEMP_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let out = std::env::var("GOTEMP_BENCH_OUT").unwrap_or_else(|_| "benches/RESULTS.md".into());
    let Some(pg) = testing::postgres_store("load benchmark").await else {
        eprintln!("the load benchmark needs PostgreSQL: start it with scripts/services");
        std::process::exit(1);
    };
    let sqlite = testing::sqlite_store().await;

    // Time to ready: open (migrations already applied) and serve, as a restarted server does.
    let started = Instant::now();
    let mut config = gotemp::Config::embedded(SecretString::from(SECRET));
    config.storage.url = pg.url.clone().parse().expect("a valid backend URL");
    config.auth.admin_password = SecretString::from("bench password");
    let reopened = Gotemp::open(&config).await.unwrap();
    let _ = http(reopened).await;
    let ready_ms = started.elapsed().as_secs_f64() * 1e3;

    // The servers' pool as a deployment's (16 connections; a test store keeps 4), and the
    // hand-written handler's as large.
    let deployed = gotemp_store::PgStore::connect(&pg.url)
        .await
        .unwrap()
        .repositories();
    let warm = Gotemp::builder()
        .repositories(deployed.clone())
        .tokens(tokens())
        .cache(memory_cache())
        .build()
        .await
        .expect("the services are wired");
    let deployed_multi = deployed.clone();
    let cold = gotemp_testing::wired(deployed, tokens()).await;
    let embedded = Gotemp::builder()
        .repositories(sqlite.repos.clone())
        .tokens(tokens())
        .cache(memory_cache())
        .build()
        .await
        .expect("the services are wired");
    for app in [&warm, &embedded] {
        app.seed(&config).await.unwrap();
        seed(app).await;
    }
    // Many tenants on the same database (servers::many_tenants), drained by `warm`'s relay.
    let (multi, multi_token) = servers::many_tenants(deployed_multi, &config).await;
    let pipelines = [warm.start_audit_pipeline(), embedded.start_audit_pipeline()];
    let token = warm
        .users()
        .login("admin@gotemp.local", &config.auth.admin_password)
        .await
        .unwrap()
        .token;
    let warm_http = http(warm.clone()).await;
    let cold_http = http(cold.clone()).await;
    let embedded_http = http(embedded.clone()).await;
    let multi_http = http(multi.clone()).await;
    let warm_grpc = grpc(warm.clone()).await;
    let cold_grpc = grpc(cold.clone()).await;
    let (baseline_url, hand) = baseline::serve(&pg.url).await;
    let client = reqwest::Client::new();
    // Warm the caches: every seeded customer read once through the warm servers.
    servers::warm_cache(&client, &warm_http, &token).await;
    servers::warm_cache(&client, &embedded_http, &token).await;
    servers::warm_cache(&client, &multi_http, &multi_token).await;
    let rss_idle = rss_kib("VmRSS:");
    // The HTTP floor: nginx answering the very bytes of a cached customer read.
    let cached = client
        .get(format!("{warm_http}/v1/customers/bench-1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let nginx = external::Nginx::start(&cached);
    if let Err(e) = &nginx {
        eprintln!("the HTTP floor is not measured: {e}");
    }
    let floor = nginx.as_ref().map(|n| n.base.clone()).ok();
    // The server example, a process of its own on the same database, its cache warmed as ours.
    let server = match server_process::ServerProcess::start(&pg.url, SECRET, "bench password").await
    {
        Ok(server) => {
            servers::warm_cache(&client, &server.base, &token).await;
            Some(server)
        }
        Err(e) => {
            eprintln!("the server example is not measured: {e}");
            None
        }
    };
    let server_idle = server.as_ref().map(|s| s.memory_kib("VmRSS:"));
    let server_rows = server.as_ref().map(|s| {
        [1, 4].map(|op| {
            let request = if op == 1 { HttpOp::Get } else { HttpOp::Update };
            (op, System::Server, s.base.clone(), "/v1", true, request)
        })
    });

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut spreads = Vec::new();
    let mut cpu = Vec::new();
    let seconds: u64 = std::env::var("GOTEMP_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let scripts = external::pgbench_scripts(SEEDED);
    // Each row starts on a quiet system: the audit relay has drained what earlier rows wrote.
    let quiet = || async {
        let limit = std::time::Duration::from_secs(120);
        warm.wait_for_audit(limit).await.expect("the relay drains");
        embedded
            .wait_for_audit(limit)
            .await
            .expect("the relay drains");
    };
    for c in CONCURRENCY {
        let mut record =
            |op: usize, system: System, outcome: Result<Measured, String>| match outcome {
                Ok(m) => {
                    println!(
                        "{:<40} c={c:<3} {:>8.0} calls/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
                        label(op, system),
                        m.per_second,
                        m.p50_ms,
                        m.p99_ms
                    );
                    rows.push(Row { op, c, system, m });
                }
                Err(e) => {
                    eprintln!("{}: {e}", label(op, system));
                    failures.push(format!("{} at c={c}: {e}", label(op, system)));
                }
            };
        // HTTP, driven by wrk: gotemp (cold and warm cache), the hand-written handler, SQLite.
        let http_rows = [
            (0, System::Http, cold_http.clone(), "/v1", true, HttpOp::Get),
            (1, System::Http, warm_http.clone(), "/v1", true, HttpOp::Get),
            (
                2,
                System::Http,
                warm_http.clone(),
                "/v1",
                true,
                HttpOp::List,
            ),
            (
                3,
                System::Http,
                warm_http.clone(),
                "/v1",
                true,
                HttpOp::Create,
            ),
            (
                4,
                System::Http,
                warm_http.clone(),
                "/v1",
                true,
                HttpOp::Update,
            ),
            (0, System::Hand, hand.clone(), "", false, HttpOp::Get),
            (2, System::Hand, hand.clone(), "", false, HttpOp::List),
            (3, System::Hand, hand.clone(), "", false, HttpOp::Create),
            (4, System::Hand, hand.clone(), "", false, HttpOp::Update),
            (
                1,
                System::Embedded,
                embedded_http.clone(),
                "/v1",
                true,
                HttpOp::Get,
            ),
            (
                2,
                System::Embedded,
                embedded_http.clone(),
                "/v1",
                true,
                HttpOp::List,
            ),
            (
                3,
                System::Embedded,
                embedded_http.clone(),
                "/v1",
                true,
                HttpOp::Create,
            ),
            (
                4,
                System::Embedded,
                embedded_http.clone(),
                "/v1",
                true,
                HttpOp::Update,
            ),
        ];
        let floor_row = floor
            .clone()
            .map(|base| (1, System::Nginx, base, "/v1", true, HttpOp::Get));
        let multi_rows = [
            (
                1,
                System::Multi,
                multi_http.clone(),
                "/v1",
                true,
                HttpOp::Get,
            ),
            (
                3,
                System::Multi,
                multi_http.clone(),
                "/v1",
                true,
                HttpOp::Create,
            ),
        ];
        let server_rows = server_rows.clone().into_iter().flatten();
        let all_rows = (http_rows.into_iter().chain(multi_rows))
            .chain(floor_row)
            .chain(server_rows);
        for (op, system, base, prefix, auth, request) in all_rows {
            let token = match system {
                System::Multi => auth.then(|| multi_token.clone()),
                _ => auth.then(|| token.clone()),
            };
            let tag = format!("{}-{c}", system.tag());
            quiet().await;
            let watched = (op == 1 && system == System::Http).then(Usage::start);
            let outcome = tokio::task::spawn_blocking(move || {
                external::wrk(
                    &base,
                    prefix,
                    token.as_deref(),
                    &request,
                    c,
                    seconds,
                    SEEDED,
                    &tag,
                )
            })
            .await
            .unwrap();
            if let Some(usage) = watched {
                cpu.push(usage.stop("HTTP, wrk", c));
            }
            record(op, system, outcome);
        }
        // gRPC, from load generators of their own (h2load, or this binary started again), three
        // runs a row; every read h2load repeats is checked once through a real client first.
        for url in [&cold_grpc, &warm_grpc] {
            grpc_client::check_reads(url, &token)
                .await
                .expect("the gRPC reads the load generator repeats succeed");
        }
        for (op, url) in [
            (0, &cold_grpc),
            (1, &warm_grpc),
            (2, &warm_grpc),
            (3, &warm_grpc),
            (4, &warm_grpc),
        ] {
            quiet().await;
            let row = grpc_client::Row {
                url,
                token: &token,
                op,
                clients: c,
                seconds,
                tag: format!("grpc-{c}"),
            };
            let usage = Usage::start();
            let outcome = tokio::task::block_in_place(|| grpc_client::three_runs(&row));
            if op == 1 {
                cpu.push(usage.stop("gRPC, its load generator", c));
            }
            match outcome {
                Ok((m, spread)) => {
                    spreads.push((op, c, spread));
                    record(op, System::Grpc, Ok(m));
                }
                Err(e) => record(op, System::Grpc, Err(e)),
            }
        }
        // The physical limits: pgbench with the same SQL, redis-benchmark GET.
        for (op, (_, script)) in [0usize, 2, 3, 4].into_iter().zip(scripts.iter().cloned()) {
            quiet().await;
            let url = baseline_url.clone();
            let outcome =
                tokio::task::spawn_blocking(move || external::pgbench(&url, &script, c, calls))
                    .await
                    .unwrap();
            record(op, System::Pgbench, outcome);
        }
        let outcome = tokio::task::spawn_blocking(move || external::redis_get(c, calls * 5, 300))
            .await
            .unwrap();
        record(1, System::Redis, outcome);
    }
    let rss_peak = rss_kib("VmHWM:");
    drop(nginx);
    let server_memory = server
        .as_ref()
        .zip(server_idle)
        .map(|(s, idle)| (idle, s.memory_kib("VmHWM:")));
    drop(server);
    // Every event written during the run — gotemp's, the hand-written handler's, pgbench's — is
    // drained by gotemp's relay into the audit trail; a stuck relay would flatter the figures.
    let draining = Instant::now();
    warm.wait_for_audit(std::time::Duration::from_secs(120))
        .await
        .expect("the relay drains every event of the run");
    let drain_ms = draining.elapsed().as_secs_f64() * 1e3;
    let report = report::render(
        &rows,
        &report::Facts {
            calls,
            ready_ms,
            drain_ms,
            rss_idle_kib: rss_idle,
            rss_peak_kib: rss_peak,
            grpc_spreads: spreads,
            server_memory_kib: server_memory,
            warm_get_cpu: cpu,
            failures,
        },
    );
    std::fs::write(&out, report).unwrap();
    println!("wrote {out}");
    for p in pipelines {
        p.shutdown().await;
    }
    pg.finish().await;
    sqlite.finish().await;
}
