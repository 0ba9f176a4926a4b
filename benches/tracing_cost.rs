//! What tracing costs: the HTTP API on PostgreSQL (warm cache for reads) served by a process of
//! its own, driven by wrk, with tracing off and on (OTLP over gRPC to a receiver in this process,
//! one trace in ten sampled), alternating three times each; the medians and their ratio go to
//! benches/RESULTS.md. Run by `scripts/bench`.
//!
//! The same binary is the server: with `GOTEMP_BENCH_ROLE=server` it serves and prints
//! `ready <url> <token>`, tracing as the `OTEL_*` variables its parent gave it say.

use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing as testing;
use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};

const SECRET: &str = "tracing-cost-benchmark-secret-0123456789abcdef";

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match std::env::var("GOTEMP_BENCH_ROLE").as_deref() {
        Ok("server") => runtime.block_on(server()),
        _ => runtime.block_on(measure()),
    }
}

/// Serves the HTTP API over the database `GOTEMP_BENCH_PG` names until killed.
async fn server() {
    let telemetry = gotemp::logging::init("error", "tracing-cost").unwrap();
    let mut config = Config::embedded(SecretString::from(SECRET));
    config.storage.url = std::env::var("GOTEMP_BENCH_PG")
        .unwrap()
        .parse()
        .expect("a valid backend URL");
    config.auth.admin_password = SecretString::from("bench password");
    let app = Gotemp::open(&config).await.unwrap();
    app.seed(&config).await.unwrap();
    let _pipeline = app.start_audit_pipeline();
    let token = app
        .users()
        .login("admin@gotemp.local", &SecretString::from("bench password"))
        .await
        .unwrap()
        .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = gotemp_http::router(app, None, &gotemp::HttpConfig::default());
    println!("ready {url} {token} tracing={}", telemetry.tracing());
    axum::serve(listener, router).await.unwrap();
}

/// Starts a server process; its URL and token.
async fn start(pg: &str, tracing: Option<&str>) -> (tokio::process::Child, String, String) {
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .env("GOTEMP_BENCH_ROLE", "server")
        .env("GOTEMP_BENCH_PG", pg)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if let Some(endpoint) = tracing {
        command
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
            .env("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
            .env("OTEL_TRACES_SAMPLER_ARG", "0.1");
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the server is ready within a minute")
        .unwrap()
        .expect("a line");
    let mut words = line.split_whitespace().skip(1);
    let (url, token) = (words.next().unwrap(), words.next().unwrap());
    (child, url.to_owned(), token.to_owned())
}

/// Requests per second wrk reaches with `script` against `url` (8 connections, 2 threads).
fn wrk(url: &str, script: &str, seconds: u64) -> f64 {
    let mut file = tempfile_path();
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(script.as_bytes()))
        .unwrap();
    let out = std::process::Command::new("wrk")
        .args(["-t2", "-c8", &format!("-d{seconds}s"), "-s"])
        .arg(&file)
        .arg(url)
        .output()
        .expect("wrk runs (scripts/bench installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_file(&mut file);
    assert!(!text.contains("Non-2xx"), "every answer a success:\n{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk's output:\n{text}"))
}

fn tempfile_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("gotemp-wrk-{}.lua", uuid::Uuid::now_v7()))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn measure() {
    let seconds: u64 = std::env::var("GOTEMP_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let Some(pg) = testing::postgres_store("tracing cost benchmark").await else {
        eprintln!("the tracing benchmark needs PostgreSQL: start it with scripts/services");
        std::process::exit(1);
    };
    let receiver = testing::otlp::Receiver::start().await;
    let get = |token: &str| {
        format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
             request = function() return wrk.format(\"GET\", \"/v1/customers/ducksrus\") end\n"
        )
    };
    // Ids differ between wrk's threads (each has its own Lua state and the same random seed).
    let create = |token: &str, tag: &str| {
        format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
             wrk.headers[\"Content-Type\"] = \"application/json\"\n\
             local threads = 0\n\
             function setup(thread)\n  threads = threads + 1\n  thread:set(\"tid\", threads)\nend\n\
             n = 0\n\
             request = function()\n  n = n + 1\n  return wrk.format(\"POST\", \"/v1/customers\", nil, \
             '{{\"id\": \"{tag}-' .. tid .. '-' .. n .. '\", \"name\": \"Traced\"}}')\nend\n"
        )
    };
    let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("read (GET, cached)", vec![], vec![]),
        ("create (POST)", vec![], vec![]),
    ];
    for round in 0..3 {
        for traced in [false, true] {
            let endpoint = traced.then_some(receiver.endpoint.as_str());
            let (child, url, token) = start(&pg.url, endpoint).await;
            let tag = format!("r{round}{}", if traced { "on" } else { "off" });
            let results = [
                wrk(&url, &get(&token), seconds),
                wrk(&url, &create(&token, &tag), seconds),
            ];
            for (row, value) in rows.iter_mut().zip(results) {
                match traced {
                    false => row.1.push(value),
                    true => row.2.push(value),
                }
            }
            drop(child);
        }
    }
    let mut report = String::from(
        "\n## Tracing cost (HTTP API on PostgreSQL, wrk -c8, median of 3 alternating runs)\n\n\
         | operation | tracing off (req/s) | on, 10 % sampled to an OTLP receiver (req/s) | on / off |\n\
         |---|---:|---:|---:|\n",
    );
    for (name, off, on) in rows {
        let (off, on) = (median(off), median(on));
        report.push_str(&format!(
            "| {name} | {off:.0} | {on:.0} | {:.3} |\n",
            on / off
        ));
    }
    report.push_str(&format!(
        "\nSpans received by the receiver during the runs: {}.\n",
        receiver.spans().len()
    ));
    print!("{report}");
    let out = std::env::var("GOTEMP_BENCH_OUT").unwrap_or_else(|_| "benches/RESULTS.md".into());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(out)
        .unwrap();
    file.write_all(report.as_bytes()).unwrap();
    pg.finish().await;
}
