//! The load loop of the throughput benchmarks.

use std::time::Duration;

/// Load for the throughput benchmarks: runs `calls` calls of `op` spread over `concurrency`
/// tasks and prints calls/s, p50 and p99 (latency is per call, throughput over the whole run).
pub async fn measure<F, Fut>(label: &str, concurrency: usize, calls: usize, op: F) -> Measured
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    return latencies;
                }
                let t = Instant::now();
                op(i).await;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all: Vec<Duration> = Vec::with_capacity(calls);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    let measured = Measured {
        per_second: calls as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    };
    println!(
        "{label:<34} c={concurrency:<3} {:>8.0} calls/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        measured.per_second, measured.p50_ms, measured.p99_ms
    );
    measured
}

/// Throughput and latency of one benchmark row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Completed calls per second.
    pub per_second: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}
