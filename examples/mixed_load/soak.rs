//! The soak: the highest rate the cluster sustains is measured first, then the same mix runs at
//! half of it for a long time while every process's memory (RSS) and open descriptors and the
//! outbox backlog are sampled every 10 s. Writes the samples as CSV (plotted by scripts/soak)
//! and a report with the latency per minute and whether memory grew after the warm-up.

use crate::Error;
use crate::cluster::Cluster;
use crate::load::{self, Fleet, Kind, Sample, Shared, Via};
use crate::verify;
use sqlx::postgres::PgPoolOptions;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const WORKERS: usize = 16;

/// Seconds since the soak began, and each process's (RSS in KiB, open descriptors) while it runs.
type Usage = (f64, Vec<Option<(u64, usize)>>);
const EVERY: Duration = Duration::from_secs(10);

/// RSS in KiB and open descriptors of a process (None once it is gone).
fn usage(pid: u32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

fn percentile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i])
}

/// Runs the load with `pace` (None: back to back) for `secs`; returns its samples.
async fn load_for(
    fleet: &Arc<Fleet>,
    shared: &Arc<Shared>,
    pace: Option<Duration>,
    secs: f64,
    mut each: impl FnMut(f64),
) -> Result<(), Error> {
    let (_, workers) = load::start(fleet, shared, WORKERS, 2, pace).await?;
    let start = shared.now();
    let mut next = 0.0;
    while shared.now() - start < secs {
        if shared.now() - start >= next {
            each(shared.now() - start);
            next += EVERY.as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    each(shared.now() - start);
    shared.stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
    Ok(())
}

pub async fn run(minutes: f64, probe_secs: u64, out: &Path) -> Result<bool, Error> {
    std::fs::create_dir_all(out)?;
    let cluster = Cluster::open()?;
    let pool =
        |url: String| async move { PgPoolOptions::new().max_connections(2).connect(&url).await };
    let db = pool(cluster.get("postgres")?.to_owned()).await?;
    let audit = pool(cluster.get("audit_postgres")?.to_owned()).await?;
    let fleet = Arc::new(Fleet::connect(&cluster).await?);

    // Every password-hashing thread of every process that logs in used once, so that each holds
    // the argon2 working memory it keeps for good before memory is measured: bursts of
    // concurrent logins, as many at a time as a process hashes (2 × cores), twice. Each names an
    // account of its own that does not exist (hashed against the decoy all the same): one
    // account may have at most two checks in flight, and the address limit is 60 a minute.
    let hashing = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
    for round in 0..2 {
        let mut burst = tokio::task::JoinSet::new();
        for (n, via) in Via::all(fleet.replicas()).into_iter().enumerate() {
            for i in 0..hashing {
                let fleet = fleet.clone();
                let email = format!("warm-up-{round}-{n}-{i}@soak.invalid");
                burst.spawn(async move { fleet.unknown_login(via, &email).await });
            }
        }
        for outcome in burst.join_all().await {
            outcome.map_err(|o| format!("warm-up login: {}", o.detail))?;
        }
    }

    // The highest sustained rate: back to back, the first few seconds left out.
    let probe = Shared::new();
    load_for(&fleet, &probe, None, probe_secs as f64, |_| {}).await?;
    let warm = 3.0_f64.min(probe_secs as f64 / 2.0);
    let answered = {
        let samples = probe.samples.lock().unwrap();
        let first = samples.first().map(|s| s.at).unwrap_or(0.0) + warm;
        let last = samples.last().map(|s| s.at).unwrap_or(first);
        let n = samples
            .iter()
            .filter(|s| s.at >= first && s.kind == Kind::Ok)
            .count();
        n as f64 / (last - first).max(1.0)
    };
    let rate = (answered / 2.0).max(1.0);
    println!(
        "highest sustained rate {answered:.0} requests/s ({WORKERS} workers back to back); soaking at {rate:.0}/s for {minutes} min"
    );

    // The soak, sampled.
    let soak = Shared::new();
    let mut processes = cluster.processes();
    if let Some(pg) = cluster.postgres_pid() {
        // The postmaster; its backends are processes apart.
        processes.push(("postgres".into(), pg));
    }
    let mut memory = Vec::new();
    let mut backlog = Vec::new();
    let pace = Duration::from_secs_f64(WORKERS as f64 / rate);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
    let sampler = {
        let db = db.clone();
        let processes = processes.clone();
        tokio::spawn(async move {
            let mut memory = Vec::new();
            let mut backlog = Vec::new();
            while let Some(t) = rx.recv().await {
                let row: Vec<Option<(u64, usize)>> =
                    processes.iter().map(|(_, pid)| usage(*pid)).collect();
                memory.push((t, row));
                backlog.push((t, verify::backlog(&db).await.unwrap_or(-1)));
            }
            (memory, backlog)
        })
    };
    load_for(&fleet, &soak, Some(pace), minutes * 60.0, |t| {
        let _ = tx.send(t);
    })
    .await?;
    drop(tx);
    if let Ok((m, b)) = sampler.await {
        memory = m;
        backlog = b;
    }

    // Nothing lost, in the probe or the soak.
    let mut losses = 0;
    for shared in [&probe, &soak] {
        let ledger = shared.ledger.lock().unwrap().clone();
        verify::drain(&db, &audit, &shared.run, &ledger, Duration::from_secs(90)).await?;
        losses += verify::losses(&db, &audit, &shared.run, &ledger)
            .await?
            .total();
    }
    let samples = soak.samples.lock().unwrap().clone();
    let refusals = soak.refusals.lock().unwrap().clone();
    let run = Run {
        answered,
        rate,
        minutes,
        losses,
        refusals,
    };
    report(out, &processes, &memory, &backlog, &samples, &run)
}

/// The soak's settings and what the driver counted.
struct Run {
    answered: f64,
    rate: f64,
    minutes: f64,
    losses: usize,
    refusals: BTreeMap<String, usize>,
}

/// Writes memory.csv, backlog.csv, latency.csv and SOAK.md; true when memory did not grow by
/// 10 % after the warm-up, nothing failed otherwise than retriably and nothing was lost.
fn report(
    out: &Path,
    processes: &[(String, u32)],
    memory: &[Usage],
    backlog: &[(f64, i64)],
    samples: &[Sample],
    run: &Run,
) -> Result<bool, Error> {
    let Run {
        answered,
        rate,
        minutes,
        losses,
        ..
    } = *run;
    let mut csv = String::from("seconds");
    for (name, _) in processes {
        let _ = write!(csv, ",{name}");
    }
    csv.push('\n');
    for (t, row) in memory {
        let _ = write!(csv, "{t:.0}");
        for cell in row {
            let mib = cell.map(|(kib, _)| kib as f64 / 1024.0);
            let _ = write!(
                csv,
                ",{}",
                mib.map(|m| format!("{m:.1}")).unwrap_or_default()
            );
        }
        csv.push('\n');
    }
    std::fs::write(out.join("memory.csv"), csv)?;
    let mut csv = String::from("seconds,backlog\n");
    for (t, n) in backlog {
        let _ = writeln!(csv, "{t:.0},{n}");
    }
    std::fs::write(out.join("backlog.csv"), csv)?;

    // Latency per minute.
    let start = samples.first().map(|s| s.at).unwrap_or(0.0);
    let mut minutes_of: BTreeMap<usize, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        minutes_of
            .entry(((s.at - start) / 60.0) as usize)
            .or_default()
            .push(s);
    }
    let mut csv = String::from("minute,requests,p50_ms,p99_ms,retriable,failed\n");
    let mut table = String::from(
        "| minute | requests | p50 | p99 | retriable | failed |\n|---:|---:|---:|---:|---:|---:|\n",
    );
    // A last minute cut short by the end of the run says little: it is left out.
    let full = minutes_of.values().map(Vec::len).max().unwrap_or(0);
    minutes_of.retain(|_, list| list.len() * 2 >= full);
    for (minute, list) in &minutes_of {
        let mut ms: Vec<f32> = list.iter().map(|s| s.latency * 1000.0).collect();
        ms.sort_by(f32::total_cmp);
        let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
        let retriable = list.iter().filter(|s| s.kind == Kind::Retriable).count();
        let failed = list.iter().filter(|s| s.kind == Kind::Failed).count();
        let _ = writeln!(
            csv,
            "{},{},{p50:.2},{p99:.2},{retriable},{failed}",
            minute + 1,
            list.len()
        );
        let _ = writeln!(
            table,
            "| {} | {} | {p50:.1} ms | {p99:.1} ms | {retriable} | {failed} |",
            minute + 1,
            list.len()
        );
    }
    std::fs::write(out.join("latency.csv"), csv)?;

    // Memory after the warm-up — the first half of the run, in which what is bounded by design
    // fills up once (each password-hashing thread keeps argon2's 19 MiB working memory from its
    // first login on, connection pools grow to the load, NATS caches its stream) — the first
    // sample after it against the mean of the last minute's: a leak grows in the second half
    // too.
    let total = minutes * 60.0;
    let warm = total / 2.0;
    let mut growth_table = String::from(
        "| process | RSS after warm-up | RSS at the end | growth | descriptors (min–max) |\n|---|---:|---:|---:|---:|\n",
    );
    let mut worst: f64 = 0.0;
    for (i, (name, _)) in processes.iter().enumerate() {
        let at = |from: f64, to: f64| -> Vec<(u64, usize)> {
            memory
                .iter()
                .filter(|(t, _)| *t >= from && *t <= to)
                .filter_map(|(_, row)| row[i])
                .collect()
        };
        let after = at(warm, warm + EVERY.as_secs_f64());
        let end = at(total - 60.0, total + 60.0);
        let all = at(0.0, f64::MAX);
        let (Some(first), false) = (after.first(), end.is_empty()) else {
            let _ = writeln!(
                growth_table,
                "| {name} | – | – | (not running throughout) | |"
            );
            continue;
        };
        let last = end.iter().map(|(r, _)| *r as f64).sum::<f64>() / end.len() as f64;
        let growth = (last - first.0 as f64) / first.0 as f64 * 100.0;
        // The limit is gotemp's; the servers it uses are reported beside it.
        if !matches!(name.as_str(), "postgres" | "redis" | "nats") {
            worst = worst.max(growth);
        }
        let fd_min = all.iter().map(|(_, f)| *f).min().unwrap_or(0);
        let fd_max = all.iter().map(|(_, f)| *f).max().unwrap_or(0);
        let _ = writeln!(
            growth_table,
            "| {name} | {:.1} MiB | {:.1} MiB | {growth:+.1} % | {fd_min}–{fd_max} |",
            first.0 as f64 / 1024.0,
            last / 1024.0
        );
    }
    let requests = samples.len();
    let failed = samples.iter().filter(|s| s.kind == Kind::Failed).count();
    let retriable = samples.iter().filter(|s| s.kind == Kind::Retriable).count();
    let backlog_max = backlog.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let backlog_end = backlog.last().map(|(_, n)| *n).unwrap_or(0);
    let pass = worst < 10.0 && failed == 0 && losses == 0;
    let mut md =
        String::from("# Soak (scripts/soak): the local cluster at half its highest rate\n\n");
    let _ = writeln!(
        md,
        "Highest sustained rate {answered:.0} requests/s ({WORKERS} workers back to back); soak at \
         {rate:.0} requests/s for {minutes} min: {requests} requests, {retriable} retriable, \
         {failed} failed otherwise; writes lost or audit records lost/duplicated: {losses}. \
         Outbox backlog at most {backlog_max} (at the end {backlog_end}). Largest RSS growth of \
         a gotemp process after the warm-up ({:.0} s): {worst:+.1} % (limit +10 %): {}.\n",
        warm,
        if pass { "pass" } else { "FAIL" }
    );
    // Latency per kind of request over the whole soak.
    let mut per_op: BTreeMap<crate::load::Op, Vec<f32>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.kind == Kind::Ok) {
        per_op.entry(s.op).or_default().push(s.latency * 1000.0);
    }
    let mut ops = String::from("| request | answered | p50 | p99 |\n|---|---:|---:|---:|\n");
    for (op, ms) in &mut per_op {
        ms.sort_by(f32::total_cmp);
        let _ = writeln!(
            ops,
            "| {op:?} | {} | {:.1} ms | {:.1} ms |",
            ms.len(),
            percentile(ms, 0.5),
            percentile(ms, 0.99)
        );
    }
    let mut refused = String::new();
    if !run.refusals.is_empty() {
        refused.push_str("Refused retriably (request: answer):\n\n");
        for (reason, n) in &run.refusals {
            let _ = writeln!(refused, "- {reason} × {n}");
        }
    }
    let _ = writeln!(md, "{growth_table}\n{ops}\n{table}\n{refused}");
    std::fs::write(out.join("SOAK.md"), &md)?;
    println!("{md}");
    Ok(pass)
}
