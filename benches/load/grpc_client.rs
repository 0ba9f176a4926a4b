//! gRPC driven from outside, as wrk drives HTTP. Reads (the same request every time) are driven
//! by h2load, nghttp2's load generator (C++, about as light as wrk: on two cores a heavier client
//! takes the server's CPU). Writes, which need a new id or name each time, by this benchmark's
//! binary started again as a load generator of its own (`GOTEMP_BENCH_GRPC_CLIENT` names the row;
//! tonic's client). Either way the servers keep the benchmark process to themselves. Each row runs
//! three times; the report shows the median run and the spread.

use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::customer as pb;
use gotemp_testing::Measured;
use prost::Message as _;
use std::time::{Duration, Instant};

/// The variable that turns this binary into the load generator.
const ROLE: &str = "GOTEMP_BENCH_GRPC_CLIENT";

/// What one run drives: `op` (an index into [`crate::OPS`]) at `clients` for `seconds`.
pub struct Row<'a> {
    pub url: &'a str,
    pub token: &'a str,
    pub op: usize,
    pub clients: usize,
    pub seconds: u64,
    /// Prefix of the ids creates make, unique per run.
    pub tag: String,
}

/// The median of three runs of `row`, and their spread ((max − min) / median).
pub fn three_runs(row: &Row<'_>) -> Result<(Measured, f64), String> {
    let mut runs = Vec::new();
    for run in 1..=3 {
        runs.push(once(row, run)?);
    }
    runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    let median = runs[1];
    let spread = (runs[2].per_second - runs[0].per_second) / median.per_second.max(f64::EPSILON);
    Ok((median, spread))
}

fn once(row: &Row<'_>, run: usize) -> Result<Measured, String> {
    match row.op {
        0 | 1 => {
            let id = pb::GetCustomerRequest {
                id: "bench-1".into(),
            };
            return h2load(row, "GetCustomer", &id.encode_to_vec());
        }
        2 => {
            let page = pb::ListCustomersRequest {
                page_size: 50,
                ..Default::default()
            };
            return h2load(row, "ListCustomers", &page.encode_to_vec());
        }
        _ => {}
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let spec = format!(
        "{} {} {} {} {} {}-{run}",
        row.url, row.token, row.op, row.clients, row.seconds, row.tag
    );
    let out = std::process::Command::new(exe)
        .env(ROLE, spec)
        .output()
        .map_err(|e| format!("gRPC load generator: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    match (out.status.success(), numbers.as_slice()) {
        (true, [per_second, p50_ms, p99_ms]) => Ok(Measured {
            per_second: *per_second,
            p50_ms: *p50_ms,
            p99_ms: *p99_ms,
        }),
        _ => Err(format!(
            "gRPC load generator failed: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// One run of h2load: `clients` connections with one call in flight each (as wrk), two threads,
/// `method` of the customer service with `message` every time. gRPC answers failures with HTTP
/// 200 and a `grpc-status` trailer h2load does not read: the caller checks each request once
/// with a real client first.
fn h2load(row: &Row<'_>, method: &str, message: &[u8]) -> Result<Measured, String> {
    let dir = std::env::temp_dir().join(format!("gotemp-h2load-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The gRPC frame: not compressed, the length (big-endian), the message.
    let mut frame = vec![0u8];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    let (body, log) = (dir.join("body"), dir.join("log"));
    std::fs::write(&body, frame).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("h2load")
        .args(["-c", &row.clients.to_string(), "-m", "1"])
        .args(["-t", &row.clients.min(2).to_string()])
        .args(["-D", &row.seconds.to_string()])
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .args(["-H", &format!("authorization: Bearer {}", row.token)])
        .arg("-d")
        .arg(&body)
        .arg("--log-file")
        .arg(&log)
        .arg(format!(
            "{}/gotemp.customer.v1.CustomerService/{method}",
            row.url
        ))
        .output()
        .map_err(|e| format!("h2load: {e} (apt-get install nghttp2-client)"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let requests = text
        .lines()
        .find(|l| l.starts_with("requests:"))
        .ok_or_else(|| format!("h2load printed no requests line: {text}"))?;
    if !requests.contains(" 0 failed") || !requests.contains(" 0 errored") {
        return Err(format!("h2load saw failures: {requests}"));
    }
    // Log lines: start time (µs since the epoch), HTTP status, µs until the response ended.
    let mut latencies: Vec<f64> = log
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok())
        .collect();
    if latencies.is_empty() {
        return Err(format!("h2load logged no request: {text}"));
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize] / 1e3;
    Ok(Measured {
        per_second: latencies.len() as f64 / row.seconds as f64,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}

/// One call of each read `h2load` repeats, through tonic's client: it fails loudly where h2load
/// would count a refused call (HTTP 200, a `grpc-status` trailer) as served.
pub async fn check_reads(url: &str, token: &str) -> Result<(), String> {
    let mut client = GotempClient::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    client.set_token(token).map_err(|e| e.to_string())?;
    let id = pb::GetCustomerRequest {
        id: "bench-1".into(),
    };
    let page = pb::ListCustomersRequest {
        page_size: 50,
        ..Default::default()
    };
    let mut customers = client.customers();
    customers
        .get_customer(id)
        .await
        .map_err(|e| e.to_string())?;
    customers
        .list_customers(page)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// When this process was started as the load generator: runs the row, prints
/// `calls/s p50_ms p99_ms` and exits. Otherwise returns at once.
pub fn serve_as_load_generator(seeded: usize) {
    let Ok(spec) = std::env::var(ROLE) else {
        return;
    };
    let parts: Vec<&str> = spec.split(' ').collect();
    let [url, token, op, clients, seconds, tag] = parts.as_slice() else {
        eprintln!("{ROLE}: expected `url token op clients seconds tag`, got {spec}");
        std::process::exit(2);
    };
    let (op, clients, seconds) = (
        op.parse().unwrap(),
        clients.parse().unwrap(),
        seconds.parse().unwrap(),
    );
    // Two threads, as wrk runs.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let m = runtime.block_on(drive(url, token, op, clients, seconds, tag, seeded));
    match m {
        Ok(m) => {
            println!("{} {} {}", m.per_second, m.p50_ms, m.p99_ms);
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// `clients` callers, each with a connection of its own (as wrk's), calling for `seconds`.
async fn drive(
    url: &str,
    token: &str,
    op: usize,
    clients: usize,
    seconds: u64,
    tag: &str,
    seeded: usize,
) -> Result<Measured, String> {
    let mut connected = Vec::new();
    for _ in 0..clients {
        let mut client = GotempClient::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        client.set_token(token).map_err(|e| e.to_string())?;
        connected.push(client);
    }
    let mut tasks = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for (caller, client) in connected.into_iter().enumerate() {
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = caller;
            while Instant::now() < deadline {
                let id = format!("bench-{}", 1 + n % seeded);
                let mut customers = client.customers();
                let t = Instant::now();
                let outcome = match op {
                    0 | 1 => customers
                        .get_customer(pb::GetCustomerRequest { id })
                        .await
                        .map(drop),
                    2 => customers
                        .list_customers(pb::ListCustomersRequest {
                            page_size: 50,
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                    3 => customers
                        .create_customer(pb::CreateCustomerRequest {
                            id: Some(format!("{tag}-{caller}-{n}")),
                            name: "Load".into(),
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                    _ => customers
                        .update_customer(pb::UpdateCustomerRequest {
                            id,
                            name: Some(format!("Load {n}")),
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                };
                outcome.map_err(|e| e.to_string())?;
                latencies.push(t.elapsed());
                n += clients;
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    Ok(Measured {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}
