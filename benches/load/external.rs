//! The physical limits: pgbench running exactly the SQL of each operation, redis-benchmark GET.
//! Both are separate processes on loopback, as the servers' clients are.

use gotemp_store::testing::Measured;
use std::process::Command;

/// The SQL gotemp runs for each operation, as pgbench scripts (`-M prepared`). Customer ids
/// `bench-1` … `bench-<n>` exist; creates make ids of their own.
pub fn pgbench_scripts(seeded: usize) -> Vec<(&'static str, String)> {
    let columns = "id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version";
    let outbox = "INSERT INTO outbox (event_id, topic, payload, created_at) VALUES (gen_random_uuid(), 'gotemp.audit.customer.insert', '{\"k\": 1}', now());\nSELECT pg_notify('gotemp_outbox', '');";
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
