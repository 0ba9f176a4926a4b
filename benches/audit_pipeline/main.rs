//! Throughput and lag of the audit pipeline (a benchmark, not a test):
//!
//! - drain: N events already committed in the outbox, relay and consumer started → how long
//!   until all N are in the audit trail (events/s);
//! - lag: events arriving with the pipeline running → recorded_time − action_time per event
//!   (p50, p99, max). On SQLite, changes made one after another; on PostgreSQL, events committed
//!   to the outbox every 10 ms at half the drain rate just measured (no API client on this
//!   machine writes that fast, and the pipeline cannot tell the difference).
//!
//! For the embedded pipeline (in-process bus) on SQLite and PostgreSQL, and for NATS JetStream
//! between the relay and the audit consumer on PostgreSQL (its own nats-server). The PostgreSQL
//! drains are compared with the ceiling: pgbench inserting the same rows 100 at a time, and the
//! in-process drain on PostgreSQL with the audit trail's hash chain (docs/audit.md) with the same
//! drain storing plain rows (`unchained.rs`), chained ÷ plain.
//!
//! ```sh
//! cargo bench --bench audit_pipeline --features postgres,nats   # GOTEMP_BENCH_EVENTS=5000
//! ```

use gotemp::domain::actor::Actor;
use gotemp::domain::entities::{AuditFilter, CustomerDraft, ExtraFields};
use gotemp::domain::event::{ActionType, PendingEvent};
use gotemp::domain::ports::{EventSink, Repositories};
use gotemp::domain::services::AuditService;
use gotemp::domain::values::TenantId;
use gotemp::domain::values::{EntityKey, Text, ValidityPeriod, now};
use gotemp::events::nats::{self, NatsAuditConsumer, NatsSettings, NatsSink};
use gotemp::events::{AuditRecorder, InProcessBus, OutboxRelay, RelaySettings};
use gotemp_testing as testing;
use gotemp_testing::nats::NatsServer;
use postgres::{commit_at_rate, commit_events, lag_of_committed, pgbench_ceiling};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod postgres;
mod unchained;

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    InProcess,
    Nats,
}

struct Running {
    stop:
        Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>,
}

async fn start(repos: &Repositories, transport: Transport, nats_url: Option<&str>) -> Running {
    let audit = AuditService::new(repos.audit.clone());
    let recorder = AuditRecorder::new(audit, 5);
    let settings = RelaySettings {
        batch_size: 256,
        ..Default::default()
    };
    match transport {
        Transport::InProcess => {
            let bus = Arc::new(InProcessBus::new());
            bus.subscribe(Arc::new(recorder));
            let relay =
                OutboxRelay::new(repos.outbox.clone(), bus as Arc<dyn EventSink>, settings).spawn();
            Running {
                stop: Box::new(|| Box::pin(relay.shutdown())),
            }
        }
        Transport::Nats => {
            let client = nats::connect(nats_url.unwrap()).await.unwrap();
            let sink = Arc::new(NatsSink::new(client.clone(), NatsSettings::default()));
            let consumer =
                NatsAuditConsumer::new(client, NatsSettings::default(), recorder).spawn();
            let relay = OutboxRelay::new(repos.outbox.clone(), sink, settings).spawn();
            Running {
                stop: Box::new(|| {
                    Box::pin(async move {
                        relay.shutdown().await;
                        consumer.shutdown().await;
                    })
                }),
            }
        }
    }
}

fn draft(id: String) -> CustomerDraft {
    CustomerDraft {
        id: EntityKey::parse("id", &id).unwrap(),
        name: Text::parse("name", "Bench customer", 255).unwrap(),
        validity: ValidityPeriod::new(now(), now() + chrono::Duration::days(365)).unwrap(),
        extra_fields: ExtraFields::new(),
        extras: (),
    }
}

async fn write(repos: &Repositories, prefix: &str, n: usize) {
    for i in 0..n {
        let event = PendingEvent::new::<gotemp::domain::entities::Customer>(
            ActionType::Insert,
            &Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1),
            now(),
        );
        repos
            .customers
            .create(
                &TenantId::default_tenant(),
                &draft(format!("{prefix}{i}")),
                event,
            )
            .await
            .unwrap();
    }
}

/// How many audit records are stored, as cheaply as each database allows: on PostgreSQL the
/// highest id, polled until it is reached, then the count (a count of every row, polled every
/// few milliseconds, would itself take a good part of the CPU the pipeline needs).
async fn stored(repos: &Repositories, db: Option<&sqlx::PgPool>, at_least: i64) -> i64 {
    if let Some(db) = db {
        let (highest,): (Option<i64>,) = sqlx::query_as("SELECT max(id) FROM audit_records")
            .fetch_one(db)
            .await
            .unwrap();
        if highest.unwrap_or(0) < at_least {
            return highest.unwrap_or(0);
        }
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit_records")
            .fetch_one(db)
            .await
            .unwrap();
        return n;
    }
    let buckets = repos
        .audit
        .count_by_bucket(
            &TenantId::default_tenant(),
            &AuditFilter::default(),
            chrono::Duration::days(365 * 400),
        )
        .await
        .unwrap();
    buckets.iter().map(|b| b.count).sum()
}

async fn wait_for(repos: &Repositories, db: Option<&sqlx::PgPool>, n: i64) {
    let limit = Instant::now() + Duration::from_secs(300);
    while stored(repos, db, n).await < n {
        assert!(Instant::now() < limit, "pipeline stalled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Drains `n` events and measures the lag: through the API on SQLite (`db` absent), committed
/// straight to the outbox on PostgreSQL (`db`). Events per second drained.
async fn measure(
    name: &str,
    repos: Repositories,
    transport: Transport,
    nats_url: Option<&str>,
    db: Option<&sqlx::PgPool>,
    n: usize,
) -> (f64, f64) {
    match db {
        Some(db) => commit_events(db, "drain-", n as i64).await,
        None => write(&repos, "drain", n).await,
    }
    let started = Instant::now();
    let running = start(&repos, transport, nats_url).await;
    if let Some(url) = nats_url {
        // How long the relay alone takes to get every event into the stream.
        let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        loop {
            let published = match js.get_stream("GOTEMP_AUDIT").await {
                Ok(mut stream) => stream.info().await.map(|i| i.state.messages).unwrap_or(0),
                Err(_) => 0,
            };
            if published >= n as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let relayed = started.elapsed();
        println!(
            "{name:<28} relay alone: {n} events into the stream in {:.1} ms = {:.0} events/s",
            relayed.as_secs_f64() * 1000.0,
            n as f64 / relayed.as_secs_f64()
        );
    }
    wait_for(&repos, db, n as i64).await;
    let drain = started.elapsed();
    let rate = n as f64 / drain.as_secs_f64();

    let (lagged, p50, p99, max, how) = match db {
        Some(db) => {
            let written = commit_at_rate(db, rate / 2.0, 3).await;
            wait_for(&repos, Some(db), n as i64 + written).await;
            let (lagged, p50, p99, max) = lag_of_committed(db).await;
            (
                lagged,
                p50,
                p99,
                max,
                format!("arriving at {:.0}/s", rate / 2.0),
            )
        }
        None => {
            let lag_n = (n / 5).max(100);
            write(&repos, "lag", lag_n).await;
            wait_for(&repos, None, (n + lag_n) as i64).await;
            let (lagged, p50, p99, max) = lag_of_last(&repos).await;
            (lagged, p50, p99, max, "written one after another".into())
        }
    };
    (running.stop)().await;
    println!(
        "{name:<28} drain {n} events in {:>7.1} ms = {rate:>8.0} events/s | lag of {lagged} events {how}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms",
        drain.as_secs_f64() * 1000.0,
    );
    (rate, p99)
}

/// recorded_time − action_time of the last 500 records (the `lag…` changes), in ms.
async fn lag_of_last(repos: &Repositories) -> (usize, f64, f64, f64) {
    let records = repos
        .audit
        .list(
            &TenantId::default_tenant(),
            &AuditFilter::default(),
            &gotemp::domain::page::PageSpec::first(500),
        )
        .await
        .unwrap();
    let mut lags: Vec<f64> = records
        .items
        .iter()
        .filter(|r| r.object_id.starts_with("lag"))
        .map(|r| {
            (r.recorded_time - r.action_time)
                .num_microseconds()
                .unwrap_or(0) as f64
                / 1000.0
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let max = lags.last().copied().unwrap_or(0.0);
    (
        lags.len(),
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        max,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("GOTEMP_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    // Committed straight to the outbox, PostgreSQL's drains can be long enough for start-up
    // (connecting, creating the stream) not to count.
    let pg_events = n * 4;
    // Cargo passes `--bench`; a filter argument is not supported, everything runs.
    let sqlite = testing::sqlite_store().await;
    measure(
        "in-process, SQLite",
        sqlite.repos.clone(),
        Transport::InProcess,
        None,
        None,
        n,
    )
    .await;
    sqlite.finish().await;

    let Some(pg) = testing::postgres_store("audit_pipeline bench").await else {
        return;
    };
    // The ceiling, measured first, on a database of its own (same schema).
    let admin = testing::as_administrator(&pg.url).await;
    let ceiling = [1, 2].map(|clients| pgbench_ceiling(&admin, clients));
    for (clients, rows) in [1, 2].iter().zip(&ceiling) {
        match rows {
            Ok(rows) => println!(
                "{:<28} pgbench, 100-row INSERT … ON CONFLICT DO NOTHING, {clients} connection(s): {rows:>8.0} rows/s",
                "ceiling, PostgreSQL"
            ),
            Err(e) => println!("ceiling, PostgreSQL          pgbench did not run: {e}"),
        }
    }
    pg.finish().await;
    // The target: 0.8 × the one-connection ceiling, or 15,000 events/s where that is lower;
    // lag p99 under 50 ms at half the drain rate.
    let verdict = |(drained, lag_p99): (f64, f64)| {
        let (ratio, wanted) = match &ceiling[0] {
            Ok(rows) => (
                format!("{:.2} × the one-connection ceiling", drained / rows),
                (0.8 * rows).min(15_000.0),
            ),
            Err(_) => ("no ceiling measured".into(), 15_000.0),
        };
        let met = |ok: bool| if ok { "met" } else { "MISSED" };
        format!(
            "{ratio}; target ≥ {wanted:.0} events/s {}, lag p99 < 50 ms {}",
            met(drained >= wanted),
            met(lag_p99 < 50.0)
        )
    };

    let Some(pg) = testing::postgres_store("audit_pipeline bench").await else {
        return;
    };
    let db = sqlx::PgPool::connect(&testing::as_administrator(&pg.url).await)
        .await
        .unwrap();
    let drained = measure(
        "in-process, PostgreSQL",
        pg.repos.clone(),
        Transport::InProcess,
        None,
        Some(&db),
        pg_events,
    )
    .await;
    db.close().await;
    println!("{:<28} {}", "in-process, PostgreSQL", verdict(drained));
    pg.finish().await;

    // The same drain without the chain, on a database of its own.
    let Some(pg) = testing::postgres_store("audit_pipeline bench").await else {
        return;
    };
    let db = sqlx::PgPool::connect(&testing::as_administrator(&pg.url).await)
        .await
        .unwrap();
    let mut plain = pg.repos.clone();
    plain.audit = Arc::new(unchained::Unchained {
        inner: plain.audit.clone(),
        db: db.clone(),
    });
    let unchained = measure(
        "in-process, PG, no chain",
        plain,
        Transport::InProcess,
        None,
        Some(&db),
        pg_events,
    )
    .await;
    db.close().await;
    println!(
        "{:<28} with the chain ÷ without: {:.2} (drain), lag p99 {:.2} vs {:.2} ms",
        "hash chain, PostgreSQL",
        drained.0 / unchained.0,
        drained.1,
        unchained.1
    );
    pg.finish().await;

    let Some(pg) = testing::postgres_store("audit_pipeline bench").await else {
        return;
    };
    let Some(server) = NatsServer::start("audit_pipeline bench").await else {
        return;
    };
    let db = sqlx::PgPool::connect(&testing::as_administrator(&pg.url).await)
        .await
        .unwrap();
    let drained = measure(
        "NATS JetStream, PostgreSQL",
        pg.repos.clone(),
        Transport::Nats,
        Some(&server.url()),
        Some(&db),
        pg_events,
    )
    .await;
    db.close().await;
    println!("{:<28} {}", "NATS JetStream, PostgreSQL", verdict(drained));
    pg.finish().await;
}
