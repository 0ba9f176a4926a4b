//! The load: workers that each keep a few customers of their own (renamed, read, each with a
//! promotion) and a queue of short-lived ones (created, renamed, deleted), alternating between
//! HTTP and gRPC and between the replicas; every answer is recorded as a sample, every write in
//! the ledger that `verify` checks the stores against.

use crate::Error;
pub use crate::fleet::Fleet;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Create,
    Rename,
    Delete,
    GetCustomer,
    GetPromotion,
    GetProduct,
    Audit,
    Login,
}

/// How a request ended: answered, refused in a way a client retries (the server was away or
/// overloaded), or failed otherwise — which must not happen whatever the fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ok,
    Retriable,
    Failed,
}

#[derive(Debug)]
pub struct Outcome {
    pub kind: Kind,
    pub detail: String,
}

impl Outcome {
    pub fn retriable(detail: impl Into<String>) -> Self {
        Self {
            kind: Kind::Retriable,
            detail: detail.into(),
        }
    }
    pub fn failed(detail: impl Into<String>) -> Self {
        Self {
            kind: Kind::Failed,
            detail: detail.into(),
        }
    }
}

/// One answered (or not) request: when it ended (seconds since the start), how long it took.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: f64,
    pub latency: f32,
    pub op: Op,
    pub kind: Kind,
    pub phase: usize,
}

/// Which process a request goes to.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    Http(usize),
    Grpc(usize),
}

impl Via {
    /// Turn `n`: HTTP and gRPC alternately, each over its replicas in turn.
    fn of(n: usize, replicas: usize) -> Self {
        let replica = (n / 2) % replicas.max(1);
        if n.is_multiple_of(2) {
            Via::Http(replica)
        } else {
            Via::Grpc(replica)
        }
    }

    /// Every process a read can go to.
    pub fn all(replicas: usize) -> Vec<Via> {
        (0..replicas)
            .map(Via::Http)
            .chain((0..replicas).map(Via::Grpc))
            .collect()
    }
}

/// Whether a write took effect as far as its client knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ack {
    /// Not tried.
    #[default]
    None,
    /// Answered: it must have taken effect.
    Acked,
    /// Not answered: it may or may not have.
    Ambiguous,
}

/// A rename: its sequence number (in the name) and, when answered, the version it made.
#[derive(Clone, Debug)]
pub struct Rename {
    pub seq: u64,
    pub version: Option<i64>,
    pub phase: usize,
}

/// What the clients did to one customer.
#[derive(Clone, Debug, Default)]
pub struct Object {
    pub create: Ack,
    pub create_phase: usize,
    pub renames: Vec<Rename>,
    pub delete: Ack,
    pub delete_phase: usize,
}

impl Object {
    /// The newest rename the client knows took effect: the stored name may be newer, never older.
    pub fn acked_seq(&self) -> Option<&Rename> {
        self.renames.iter().rev().find(|r| r.version.is_some())
    }
}

/// The name a customer gets from its `seq`-th write.
pub fn name_of(id: &str, seq: u64) -> String {
    format!("{id} #{seq}")
}

/// The sequence number in a stored name.
pub fn seq_of(name: &str) -> Option<u64> {
    name.rsplit_once(" #")?.1.parse().ok()
}

/// A customer kept for the whole run, with its promotion.
#[derive(Clone, Debug)]
pub struct Stable {
    pub id: String,
    pub promotion: i64,
}

/// What the workers and the driver share.
pub struct Shared {
    pub started: Instant,
    pub run: String,
    pub phase: AtomicUsize,
    pub paused: AtomicBool,
    pub stop: AtomicBool,
    pub in_flight: AtomicUsize,
    pub samples: Mutex<Vec<Sample>>,
    pub failures: Mutex<Vec<(usize, Op, String)>>,
    /// Why requests were refused retriably: the answer without its details, and how often.
    pub refusals: Mutex<std::collections::BTreeMap<String, usize>>,
    pub ledger: Mutex<HashMap<String, Object>>,
}

impl Shared {
    pub fn new() -> Arc<Self> {
        let run = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        Arc::new(Self {
            started: Instant::now(),
            run,
            phase: AtomicUsize::new(0),
            paused: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            samples: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
            refusals: Mutex::new(std::collections::BTreeMap::new()),
            ledger: Mutex::new(HashMap::new()),
        })
    }

    /// Seconds since the start.
    pub fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn record(&self, phase: usize, op: Op, start: Instant, outcome: &Outcome) {
        let sample = Sample {
            at: self.now(),
            latency: start.elapsed().as_secs_f32(),
            op,
            kind: outcome.kind,
            phase,
        };
        self.samples.lock().unwrap().push(sample);
        if outcome.kind == Kind::Retriable {
            // "http1: 429 Too Many Requests {…}" → "http: 429 Too Many Requests"
            let reason: String = (outcome.detail.split(['{', '(']).next())
                .unwrap_or_default()
                .replace(char::is_numeric, "#")
                .chars()
                .take(80)
                .collect();
            let reason = format!("{op:?}: {}", reason.trim());
            *self.refusals.lock().unwrap().entry(reason).or_default() += 1;
        }
        if outcome.kind == Kind::Failed {
            let mut failures = self.failures.lock().unwrap();
            if failures.len() < 200 {
                failures.push((phase, op, outcome.detail.clone()));
            }
        }
    }

    pub fn ledger(&self, id: &str, change: impl FnOnce(&mut Object)) {
        change(
            self.ledger
                .lock()
                .unwrap()
                .entry(id.to_owned())
                .or_default(),
        );
    }

    /// Stops the workers between requests and waits until none is in flight.
    pub async fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

/// A small deterministic generator (the mix need not be random, only varied).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// One worker: requests back to back (`pace` None) or one every `pace`, until told to stop.
pub async fn worker(
    fleet: Arc<Fleet>,
    shared: Arc<Shared>,
    n: usize,
    stable: Vec<Stable>,
    pace: Option<Duration>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1));
    let mut churn: VecDeque<String> = VecDeque::new();
    let mut made = 0u64;
    let mut seq: HashMap<String, u64> = HashMap::new();
    let mut ticks = pace.map(|p| {
        let mut t = tokio::time::interval(p);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut turn = n;
    while !shared.stop.load(Ordering::SeqCst) {
        if let Some(t) = ticks.as_mut() {
            t.tick().await;
        }
        if shared.paused.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        if shared.paused.load(Ordering::SeqCst) {
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        turn += 1;
        let via = Via::of(turn, fleet.replicas());
        let phase = shared.phase.load(Ordering::SeqCst);
        let start = Instant::now();
        let mine = &stable[rng.below(stable.len())];
        // Weights out of 100: reads first, then writes, a few audit queries and logins.
        let roll = rng.below(100);
        let (op, outcome) = match roll {
            0..=24 => {
                let r = fleet.customer_name(via, &mine.id).await;
                (Op::GetCustomer, r.map(drop))
            }
            25..=44 => {
                let r = fleet.promotion_customer(via, mine.promotion).await;
                (Op::GetPromotion, r.map(drop))
            }
            45..=51 => (Op::GetProduct, fleet.product(via).await),
            52..=56 => (Op::Audit, fleet.audit(via, &mine.id).await),
            // One in a hundred: more from one address would meet the login throttle (60 a
            // minute per address and process), which is not what the load is about.
            57 => (Op::Login, fleet.login(via).await),
            58..=69 => {
                made += 1;
                let id = format!("load-{}-{n}-{made}", shared.run);
                let r = fleet.create(via, &id, &name_of(&id, 0)).await;
                let ack = if r.is_ok() {
                    Ack::Acked
                } else {
                    Ack::Ambiguous
                };
                shared.ledger(&id, |o| {
                    o.create = ack;
                    o.create_phase = phase;
                });
                if r.is_ok() {
                    churn.push_back(id);
                }
                (Op::Create, r)
            }
            70..=79 if churn.len() > 2 => {
                let id = churn.pop_front().unwrap_or_default();
                let r = fleet.delete(via, &id).await;
                let ack = if r.is_ok() {
                    Ack::Acked
                } else {
                    Ack::Ambiguous
                };
                shared.ledger(&id, |o| {
                    o.delete = ack;
                    o.delete_phase = phase;
                });
                (Op::Delete, r)
            }
            _ => {
                // Mostly the long-lived customers (their promotions show the name), sometimes
                // a short-lived one.
                let id = match churn.back() {
                    Some(c) if roll.is_multiple_of(3) => c.clone(),
                    _ => mine.id.clone(),
                };
                let s = seq.entry(id.clone()).or_default();
                *s += 1;
                let s = *s;
                let r = fleet.rename(via, &id, &name_of(&id, s)).await;
                let version = r.as_ref().ok().copied();
                shared.ledger(&id, |o| {
                    o.renames.push(Rename {
                        seq: s,
                        version,
                        phase,
                    })
                });
                (Op::Rename, r.map(drop))
            }
        };
        let outcome = match outcome {
            Ok(()) => Outcome {
                kind: Kind::Ok,
                detail: String::new(),
            },
            Err(o) => o,
        };
        shared.record(phase, op, start, &outcome);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Makes `per_worker` long-lived customers for each of `workers` workers and starts them.
pub async fn start(
    fleet: &Arc<Fleet>,
    shared: &Arc<Shared>,
    workers: usize,
    per_worker: usize,
    pace: Option<Duration>,
) -> Result<(Vec<Stable>, Vec<tokio::task::JoinHandle<()>>), Error> {
    let mut all = Vec::new();
    let mut handles = Vec::new();
    for n in 0..workers {
        let mut mine = Vec::new();
        for k in 0..per_worker {
            let id = format!("load-{}-{n}-s{k}", shared.run);
            mine.push(fleet.make_stable(shared, id).await?);
        }
        all.extend(mine.iter().cloned());
        handles.push(tokio::spawn(worker(
            fleet.clone(),
            shared.clone(),
            n,
            mine,
            pace,
        )));
    }
    Ok((all, handles))
}
