//! The PostgreSQL side of the audit pipeline benchmark: events committed straight to the outbox
//! (at once, or at a rate), the lag of those events once stored, and pgbench's ceiling.

use std::time::Duration;

/// Commits `n` events to the outbox in statements of up to 1,000 (and wakes the relays), each
/// stamped with the time it is written: what `n` customer updates would put there.
pub async fn commit_events(db: &sqlx::PgPool, prefix: &str, n: i64) {
    let mut from = 0;
    while from < n {
        let count = (n - from).min(1000);
        sqlx::query(
            "WITH e AS (SELECT gen_random_uuid() AS id, clock_timestamp() AS at, $1 || g AS object \
             FROM generate_series($2::bigint, $3::bigint) g) \
             INSERT INTO outbox (event_id, topic, payload, created_at) \
             SELECT id, 'gotemp.audit.customer.update', jsonb_build_object('event_id', id, \
             'schema_version', 1, 'occurred_at', at, 'service', 'customer', 'action_func', \
             'update_customer', 'action_type', 'update', 'object_name', 'customer', 'object_id', \
             object, 'performed_by', 1, 'object_detail', jsonb_build_object('id', object, 'name', \
             'Bench customer', 'version', 2, 'extra_fields', '{}'::jsonb)), at FROM e",
        )
        .bind(prefix)
        .bind(from)
        .bind(from + count - 1)
        .execute(db)
        .await
        .unwrap();
        from += count;
    }
    sqlx::query("SELECT pg_notify('gotemp_outbox', '')")
        .execute(db)
        .await
        .unwrap();
}

/// Commits events at `rate` per second, a batch every 10 ms, for `seconds`; how many.
pub async fn commit_at_rate(db: &sqlx::PgPool, rate: f64, seconds: u64) -> i64 {
    let per_tick = (rate / 100.0).round().max(1.0) as i64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut written = 0;
    for round in 0..seconds * 100 {
        tick.tick().await;
        commit_events(db, &format!("lag-{round}-"), per_tick).await;
        written += per_tick;
    }
    written
}

/// recorded_time − action_time of the events `commit_at_rate` wrote, in ms: p50, p99, max.
pub async fn lag_of_committed(db: &sqlx::PgPool) -> (usize, f64, f64, f64) {
    let (n, p50, p99, max): (i64, f64, f64, f64) = sqlx::query_as(
        "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), \
         percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag) FROM \
         (SELECT extract(epoch FROM recorded_time - action_time)::float8 * 1000 AS lag \
          FROM audit_records WHERE object_id LIKE 'lag-%') l",
    )
    .fetch_one(db)
    .await
    .unwrap();
    (n as usize, p50, p99, max)
}

/// The most audit rows PostgreSQL takes on this machine: pgbench (a process of its own) inserting
/// 100 rows a statement — `INSERT … ON CONFLICT DO NOTHING` into the same table and indexes, rows
/// like the pipeline's — from `clients` connections for 5 s. Rows per second, or why not.
pub fn pgbench_ceiling(url: &str, clients: usize) -> Result<f64, String> {
    let detail = r#"{"id": "bench", "name": "Bench customer", "version": 1, "extra_fields": {}}"#;
    let rows: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "(gen_random_uuid(), now(), now(), 'gotemp.audit.customer.insert', 'customer', \
                 'create_customer', 'insert', 'customer', 'pgb-{i}', 1, '{detail}', NULL)"
            )
        })
        .collect();
    let script = format!(
        "INSERT INTO audit_records (event_id, action_time, recorded_time, topic, service, action_func, \
         action_type, object_name, object_id, performed_by, object_detail, trace_id) VALUES {} \
         ON CONFLICT DO NOTHING;\n",
        rows.join(", ")
    );
    let file =
        std::env::temp_dir().join(format!("gotemp-audit-ceiling-{}.sql", std::process::id()));
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-T", "5"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .arg("-f")
        .arg(&file)
        .arg(url)
        .output()
        .map_err(|e| format!("pgbench: {e}"))?;
    let _ = std::fs::remove_file(&file);
    if !out.status.success() {
        return Err(format!("pgbench: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("pgbench printed no tps: {text}"))?;
    Ok(tps * 100.0)
}
