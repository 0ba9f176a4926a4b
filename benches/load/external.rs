//! The physical limits: pgbench running exactly the SQL of each operation, redis-benchmark GET.
//! Both are separate processes on loopback, as the servers' clients are.

use gotemp_testing::Measured;
use std::process::Command;

/// The SQL gotemp runs for each operation, as pgbench scripts (`-M prepared`). Customer ids
/// `bench-1` … `bench-<n>` exist; creates make ids of their own.
pub fn pgbench_scripts(seeded: usize) -> Vec<(&'static str, String)> {
    let columns = "id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version";
    // A payload in the outbox's format (gotemp's relay drains the same table during the run);
    // its event id repeats, so the audit trail keeps one copy — the relay still does the work.
    let event = serde_json::json!({
        "event_id": uuid::Uuid::now_v7(), "schema_version": 1, "occurred_at": chrono::Utc::now(),
        "service": "customer", "action_func": "update_customer", "action_type": "update",
        "object_name": "customer", "object_id": "bench-1", "performed_by": 1,
        "object_detail": {"id": "bench-1", "name": "Pgbench"},
    });
    let outbox = format!(
        "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES (gen_random_uuid(), 'gotemp.audit.customer.update', '{}', now());\nSELECT pg_notify('gotemp_outbox', '');",
        event.to_string().replace('\'', "''")
    );
    vec![
        (
            "get-by-id",
            format!(
                "\\set n random(1, {seeded})\nSELECT {columns} FROM customers WHERE id = 'bench-' || :n;\n"
            ),
        ),
        (
            "list page",
            format!("SELECT {columns} FROM customers WHERE 1 = 1 ORDER BY id LIMIT 51;\n"),
        ),
        (
            "create (+ outbox)",
            format!(
                "\\set n random(1, 1000000000000)\nBEGIN;\nINSERT INTO customers (id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version) \
                 VALUES ('pgb-' || :client_id || '-' || :n, 'Pgbench', now(), now() + interval '1 year', '{{}}', now(), now(), 1, 1) RETURNING {columns};\n{outbox}\nCOMMIT;\n"
            ),
        ),
        (
            "update (+ outbox)",
            format!(
                "\\set n random(1, {seeded})\nBEGIN;\nUPDATE customers SET name = 'Pgbench', updated_at = now(), modified_by = 1, version = version + 1 \
                 WHERE id = 'bench-' || :n RETURNING {columns};\n{outbox}\nCOMMIT;\n"
            ),
        ),
    ]
}

/// Runs one pgbench script at `clients` for `transactions` each... in total; latencies from its
/// per-transaction log.
pub fn pgbench(url: &str, script: &str, clients: usize, total: usize) -> Result<Measured, String> {
    let dir =
        std::env::temp_dir().join(format!("gotemp-pgbench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("script.sql");
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    let per_client = total.div_ceil(clients).max(1);
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
        ])
        .args(["-t", &per_client.to_string(), "-l", "--log-prefix"])
        .arg(dir.join("log"))
        .arg("-f")
        .arg(&file)
        .arg(url)
        .output()
        .map_err(|e| format!("pgbench: {e}"))?;
    if !out.status.success() {
        return Err(format!("pgbench: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("no tps in pgbench output: {text}"))?;
    // Log lines: client_id transaction_no time(µs) script_no epoch epoch_us
    let mut latencies: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with("log") {
            let log = std::fs::read_to_string(entry.path()).map_err(|e| e.to_string())?;
            latencies.extend(
                log.lines()
                    .filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok()),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(0.0)
            / 1e3
    };
    Ok(Measured {
        per_second: tps,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}

/// redis-benchmark GET of a value the size of a cached customer.
pub fn redis_get(clients: usize, total: usize, value_bytes: usize) -> Result<Measured, String> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", "6379", "-t", "get", "--csv"])
        .args([
            "-n",
            &total.to_string(),
            "-c",
            &clients.to_string(),
            "-d",
            &value_bytes.to_string(),
        ])
        .output()
        .map_err(|e| format!("redis-benchmark: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    let row = text
        .lines()
        .find(|l| l.starts_with("\"GET\""))
        .ok_or_else(|| format!("no GET row in redis-benchmark output: {text}"))?;
    let cells: Vec<f64> = row
        .split(',')
        .skip(1)
        .filter_map(|c| c.trim_matches('"').parse().ok())
        .collect();
    match cells.as_slice() {
        [rps, _avg, _min, p50, _p95, p99, ..] => Ok(Measured {
            per_second: *rps,
            p50_ms: *p50,
            p99_ms: *p99,
        }),
        _ => Err(format!("unexpected redis-benchmark row: {row}")),
    }
}

/// What one HTTP row sends, for wrk's request generator.
#[derive(Clone, Copy)]
pub enum HttpOp {
    /// `GET {prefix}/customers/bench-<n>`
    Get,
    /// `GET {prefix}/customers?limit=50`
    List,
    /// `POST {prefix}/customers` with a new id
    Create,
    /// `PUT {prefix}/customers/bench-<n>` with a new name
    Update,
}

/// wrk's Lua for `op`: ids differ between threads and between the requests of a thread, so
/// no two requests in flight update the same customer.
fn wrk_script(op: &HttpOp, prefix: &str, token: Option<&str>, seeded: usize, tag: &str) -> String {
    let auth = token.map_or(String::new(), |t| {
        format!("[\"Authorization\"] = \"Bearer {t}\",")
    });
    let request = match op {
        HttpOp::Get => {
            format!("return wrk.format(\"GET\", \"{prefix}/customers/bench-\" .. pick(), headers)")
        }
        HttpOp::List => {
            format!("return wrk.format(\"GET\", \"{prefix}/customers?limit=50\", headers)")
        }
        HttpOp::Create => format!(
            "n = n + 1\n  return wrk.format(\"POST\", \"{prefix}/customers\", headers, '{{\"id\": \"{tag}-' .. tid .. '-' .. n .. '\", \"name\": \"Load\"}}')"
        ),
        HttpOp::Update => format!(
            "return wrk.format(\"PUT\", \"{prefix}/customers/bench-\" .. pick(), headers, '{{\"name\": \"Load ' .. n .. '\"}}')"
        ),
    };
    format!(
        r#"local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread:set("nthreads", 2)
end
n = 0
headers = {{ {auth} ["Content-Type"] = "application/json" }}
function pick()
  n = n + 1
  return ((n * nthreads + tid) % {seeded}) + 1
end
request = function()
  {request}
end
"#
    )
}

fn wrk_millis(value: &str) -> Option<f64> {
    let (number, factor) = if let Some(v) = value.strip_suffix("us") {
        (v, 1e-3)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1e3)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// Drives `base` with wrk (a process of its own, like pgbench) for `seconds`; fails when any
/// response was not a success.
#[allow(clippy::too_many_arguments)]
pub fn wrk(
    base: &str,
    prefix: &str,
    token: Option<&str>,
    op: &HttpOp,
    clients: usize,
    seconds: u64,
    seeded: usize,
    tag: &str,
) -> Result<Measured, String> {
    let dir = std::env::temp_dir().join(format!("gotemp-wrk-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let script = dir.join("load.lua");
    std::fs::write(&script, wrk_script(op, prefix, token, seeded, tag))
        .map_err(|e| e.to_string())?;
    let threads = clients.min(2);
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &clients.to_string()])
        .args(["-d", &format!("{seconds}s"), "--latency", "-s"])
        .arg(&script)
        .arg(base)
        .output()
        .map_err(|e| format!("wrk: {e} (apt-get install wrk)"))?;
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
    {
        return Err(format!("wrk saw failures: {}", line.trim()));
    }
    let field = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk output: {text}"))?;
    let p50 = field("50%").and_then(|v| wrk_millis(&v)).unwrap_or(0.0);
    let p99 = field("99%").and_then(|v| wrk_millis(&v)).unwrap_or(0.0);
    Ok(Measured {
        per_second: rps,
        p50_ms: p50,
        p99_ms: p99,
    })
}

/// nginx with one worker answering every request with the same bytes: the fastest HTTP/1.1
/// answer this machine gives, the floor a cached read is compared with. Stopped when dropped.
pub struct Nginx {
    child: std::process::Child,
    dir: std::path::PathBuf,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Nginx {
    /// Starts nginx (Debian's package) answering `body` as `application/json`, keep-alive without
    /// a request limit (as gotemp's server has none).
    pub fn start(body: &str) -> Result<Self, String> {
        let dir =
            std::env::temp_dir().join(format!("gotemp-nginx-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let d = dir.display();
        let body = body.replace('\\', "\\\\").replace('\'', "\\'");
        let conf = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 100000000;\n\
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             server {{\n    listen 127.0.0.1:{port};\n    location / {{\n\
             default_type application/json;\n      return 200 '{body}';\n    }}\n  }}\n}}\n"
        );
        let file = dir.join("nginx.conf");
        std::fs::write(&file, conf).map_err(|e| e.to_string())?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("nginx: {e} (apt-get install nginx-light)"))?;
        let nginx = Self {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nginx);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let log = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
        Err(format!("nginx did not listen on {port}: {log}"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// CPU seconds used so far by this process (the servers) and by its children that have ended
/// (wrk, the gRPC load generator): `utime + stime` and `cutime + cstime` of `/proc/self/stat`.
pub fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    // Clock ticks of 1/100 s on Linux; fields 14–17 of the file are 11–14 after the name.
    let ticks = |i: usize| fields.get(i).copied().unwrap_or(0.0) / 100.0;
    (ticks(11) + ticks(12), ticks(13) + ticks(14))
}
