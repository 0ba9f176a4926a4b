//! One fault at a time under a steady load, and per fault the figures: requests attempted,
//! answered, refused retriably, failed otherwise (must be 0); writes lost, audit records lost or
//! duplicated (0); stale cache reads after recovery (0); seconds from the fault's end to full
//! service.

use crate::Error;
use crate::cluster::Cluster;
use crate::load::{self, Fleet, Kind, Shared};
use crate::{relay_fault, verify};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The faults, in the order they are injected.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// SIGKILL to the first replica of a service, started again after the hold.
    Kill(&'static str),
    /// SIGKILL to a process whose relay has published a batch and waits to mark it sent.
    Relay,
    /// PostgreSQL stopped (fast or immediate shutdown) and started again after the hold.
    Postgres(&'static str),
    /// The NATS server stopped, started again after the hold (its JetStream store kept).
    Nats,
    /// The Redis server stopped, started again (empty) after the hold.
    Redis,
    /// Every audit service replica frozen (SIGSTOP), then resumed.
    FreezeAudit,
}

const FAULTS: [Fault; 12] = [
    Fault::Kill("user"),
    Fault::Kill("customer"),
    Fault::Kill("product"),
    Fault::Kill("promotion"),
    Fault::Kill("audit"),
    Fault::Kill("http"),
    Fault::Relay,
    Fault::Postgres("fast"),
    Fault::Postgres("immediate"),
    Fault::Nats,
    Fault::Redis,
    Fault::FreezeAudit,
];

/// How long a run holds each fault and watches the recovery.
struct Timing {
    rate: f64,
    workers: usize,
    before: Duration,
    hold: Duration,
    nats: Duration,
    observe: Duration,
}

impl Fault {
    fn label(self) -> String {
        match self {
            Fault::Kill(s) => format!("SIGKILL {s} replica"),
            Fault::Relay => "relay killed between publish and mark-sent".into(),
            Fault::Postgres(mode) => format!("PostgreSQL restart ({mode})"),
            Fault::Nats => "NATS stopped".into(),
            Fault::Redis => "Redis stopped".into(),
            Fault::FreezeAudit => "audit consumers frozen (SIGSTOP)".into(),
        }
    }

    /// Injects the fault, holds it, ends it; returns what it hit, when the fault started
    /// and when it ended (seconds since the start).
    async fn run(
        self,
        cluster: &Cluster,
        shared: &Shared,
        t: &Timing,
    ) -> Result<(String, f64, f64), Error> {
        let mut hit = String::new();
        let start;
        match self {
            Fault::Kill(s) => {
                hit = format!("{s}1");
                start = shared.now();
                cluster.control(&["signal", &hit, "KILL"]).await?;
                tokio::time::sleep(t.hold).await;
                cluster.control(&["respawn", &hit]).await?;
            }
            Fault::Relay => {
                let (name, at) = relay_fault::kill_relay_after_publish(cluster, shared).await?;
                start = at;
                tokio::time::sleep(t.hold).await;
                let process = name.split(',').next().unwrap_or_default();
                cluster.control(&["respawn", process]).await?;
                hit = name;
            }
            Fault::Postgres(mode) => {
                start = shared.now();
                cluster.control(&["pg", &format!("stop-{mode}")]).await?;
                tokio::time::sleep(t.hold / 2).await;
                cluster.control(&["pg", "start"]).await?;
            }
            Fault::Nats | Fault::Redis => {
                let name = if matches!(self, Fault::Nats) {
                    "nats"
                } else {
                    "redis"
                };
                start = shared.now();
                cluster.control(&["signal", name, "TERM"]).await?;
                wait_exit(cluster, name).await?;
                let hold = if matches!(self, Fault::Nats) {
                    t.nats
                } else {
                    t.hold
                };
                tokio::time::sleep(hold).await;
                cluster.control(&["respawn", name]).await?;
            }
            Fault::FreezeAudit => {
                start = shared.now();
                for r in ["audit1", "audit2"] {
                    cluster.control(&["signal", r, "STOP"]).await?;
                }
                tokio::time::sleep(t.hold * 2).await;
                for r in ["audit1", "audit2"] {
                    cluster.control(&["signal", r, "CONT"]).await?;
                }
            }
        }
        Ok((hit, start, shared.now()))
    }
}

async fn wait_exit(cluster: &Cluster, name: &str) -> Result<(), Error> {
    let pid = cluster
        .processes()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p)
        .ok_or_else(|| format!("no process {name}"))?;
    for _ in 0..100 {
        // Gone, or a zombie nobody has reaped yet.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if !status
            .lines()
            .any(|l| l.starts_with("State:") && !l.contains('Z'))
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{name} did not stop").into())
}

/// One row of the table.
struct Row {
    label: String,
    attempted: usize,
    ok: usize,
    retriable: usize,
    failed: usize,
    stale: usize,
    reads: usize,
    recovery: f64,
}

pub async fn run(short: bool, out: Option<&std::path::Path>) -> Result<bool, Error> {
    let t = if short {
        Timing {
            rate: 60.0,
            workers: 6,
            // The load runs on between faults: half a second of it before each is steady.
            before: Duration::from_millis(500),
            hold: Duration::from_secs(2),
            // Long enough for writes to pile up in the outbox and the clients to reconnect; the
            // long form holds the broker down 10 s.
            nats: Duration::from_secs(4),
            // Then recovery is watched until a whole second passes without a failure anyway.
            observe: Duration::from_secs(1),
        }
    } else {
        Timing {
            rate: 200.0,
            workers: 16,
            before: Duration::from_secs(5),
            hold: Duration::from_secs(5),
            nats: Duration::from_secs(10),
            observe: Duration::from_secs(10),
        }
    };
    let cluster = Cluster::open()?;
    let pool = |url: String| async move {
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect(&url)
            .await
    };
    let db: PgPool = pool(cluster.get("postgres")?.to_owned()).await?;
    let audit: PgPool = pool(cluster.get("audit_postgres")?.to_owned()).await?;
    let fleet = Arc::new(Fleet::connect(&cluster).await?);
    let shared = Shared::new();
    let pace = Duration::from_secs_f64(t.workers as f64 / t.rate);
    println!(
        "mixed load: {} workers, {} requests/s, through {} HTTP and {} gRPC replicas per service",
        t.workers,
        t.rate,
        fleet.replicas(),
        fleet.replicas()
    );
    let (stable, workers) = load::start(&fleet, &shared, t.workers, 2, Some(pace)).await?;
    let mut rows = Vec::new();
    let mut stale_examples = Vec::new();
    for (i, fault) in FAULTS.iter().enumerate() {
        let phase = i + 1;
        shared.phase.store(phase, Ordering::SeqCst);
        tokio::time::sleep(t.before).await;
        let (hit, start, end) = fault.run(&cluster, &shared, &t).await?;
        tokio::time::sleep(t.observe).await;
        // Watch until a whole second passes without a failed request (at most 30 s).
        let last_failure = || {
            shared
                .samples
                .lock()
                .unwrap()
                .iter()
                .rev()
                .take_while(|s| s.phase == phase)
                .find(|s| s.kind != Kind::Ok)
                .map(|s| s.at)
        };
        while last_failure().is_some_and(|at| shared.now() - at < 1.0) && shared.now() - end < 30.0
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        shared.pause().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (reads, stale, examples) = verify::stale_reads(&fleet, &db, &stable).await?;
        stale_examples.extend(examples);
        shared.resume();
        let samples = shared.samples.lock().unwrap();
        let mine: Vec<_> = samples.iter().filter(|s| s.phase == phase).collect();
        let count = |k: Kind| mine.iter().filter(|s| s.kind == k).count();
        // A retriable refusal before the fault started is a failure like any other.
        let early = mine
            .iter()
            .filter(|s| s.kind == Kind::Retriable && s.at < start)
            .count();
        let recovery = mine
            .iter()
            .filter(|s| s.kind != Kind::Ok)
            .map(|s| s.at - end)
            .fold(0.0_f64, f64::max);
        let label = if hit.is_empty() || matches!(fault, Fault::Kill(_)) {
            fault.label()
        } else {
            format!("{} ({hit})", fault.label())
        };
        let row = Row {
            label,
            attempted: mine.len(),
            ok: count(Kind::Ok),
            retriable: count(Kind::Retriable) - early,
            failed: count(Kind::Failed) + early,
            stale,
            reads,
            recovery,
        };
        println!(
            "  {:<55} {:>5} requests, {:>5} ok, {:>4} retriable, {} failed; {} stale of {} reads; full service {:.1} s after the fault ended ({:.1} s held)",
            row.label,
            row.attempted,
            row.ok,
            row.retriable,
            row.failed,
            row.stale,
            row.reads,
            row.recovery,
            end - start
        );
        rows.push(row);
    }
    shared.stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
    let ledger = shared.ledger.lock().unwrap().clone();
    // Events left unsent by a killed relay come back when their lease (30 s) runs out.
    let drained = verify::drain(&db, &audit, &shared.run, &ledger, Duration::from_secs(90)).await?;
    let losses = verify::losses(&db, &audit, &shared.run, &ledger).await?;
    let writes: usize = ledger.values().map(|o| 1 + o.renames.len()).sum();
    let table = table(&rows, &losses);
    println!("\n{table}");
    println!(
        "{} customers, {writes} writes checked against PostgreSQL and the audit trail (drained {:.1} s after the load stopped)",
        ledger.len(),
        drained.as_secs_f64()
    );
    for e in losses.examples.iter().chain(&stale_examples) {
        println!("  ! {e}");
    }
    for (phase, op, detail) in shared.failures.lock().unwrap().iter().take(20) {
        println!("  ! failed during phase {phase}, {op:?}: {detail}");
    }
    if let Some(path) = out {
        std::fs::write(path, &table)?;
    }
    let failed: usize = rows.iter().map(|r| r.failed + r.stale).sum();
    Ok(failed == 0 && losses.total() == 0)
}

fn table(rows: &[Row], losses: &verify::Losses) -> String {
    let mut t = String::from(
        "| fault | requests | ok | retriable | failed otherwise | writes lost | audit lost | audit duplicated | stale reads after | full service after |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let get =
            |m: &std::collections::HashMap<usize, usize>| m.get(&(i + 1)).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} of {} | {:.1} s |",
            r.label,
            r.attempted,
            r.ok,
            r.retriable,
            r.failed,
            get(&losses.writes_lost),
            get(&losses.audit_lost),
            get(&losses.audit_extra),
            r.stale,
            r.reads,
            r.recovery
        );
    }
    let before = |m: &std::collections::HashMap<usize, usize>| m.get(&0).copied().unwrap_or(0);
    if before(&losses.writes_lost) + before(&losses.audit_lost) + before(&losses.audit_extra) > 0 {
        let _ = writeln!(
            t,
            "| (set-up) | | | | | {} | {} | {} | | |",
            before(&losses.writes_lost),
            before(&losses.audit_lost),
            before(&losses.audit_extra)
        );
    }
    t
}
