//! The stores against the ledger: committed writes lost, audit records lost or duplicated, and
//! caches answering with an old value. The truth is read from PostgreSQL itself.

use crate::Error;
use crate::load::{Ack, Fleet, Object, Stable, Via, seq_of};
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What went missing or came twice, per phase.
#[derive(Debug, Default)]
pub struct Losses {
    pub writes_lost: HashMap<usize, usize>,
    pub audit_lost: HashMap<usize, usize>,
    pub audit_extra: HashMap<usize, usize>,
    pub examples: Vec<String>,
}

impl Losses {
    fn note(&mut self, what: &str, phase: usize, example: String) {
        let counter = match what {
            "write" => &mut self.writes_lost,
            "lost" => &mut self.audit_lost,
            _ => &mut self.audit_extra,
        };
        *counter.entry(phase).or_default() += 1;
        if self.examples.len() < 20 {
            self.examples.push(example);
        }
    }

    pub fn total(&self) -> usize {
        [&self.writes_lost, &self.audit_lost, &self.audit_extra]
            .iter()
            .flat_map(|m| m.values())
            .sum()
    }
}

/// The stored customers of this run: name and version.
async fn customers(db: &PgPool, run: &str) -> Result<HashMap<String, (String, i64)>, Error> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, name, version FROM customers WHERE id LIKE $1")
            .bind(format!("load-{run}-%"))
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(i, n, v)| (i, (n, v))).collect())
}

/// The audit records of this run's customers: (id, action) → version → how many.
type Trail = HashMap<(String, String), HashMap<Option<i64>, i64>>;

async fn trail(audit: &PgPool, run: &str) -> Result<Trail, Error> {
    let rows: Vec<(String, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT object_id, action_type, (object_detail->>'version')::bigint, count(*) \
         FROM audit_records WHERE object_name = 'customer' AND object_id LIKE $1 GROUP BY 1, 2, 3",
    )
    .bind(format!("load-{run}-%"))
    .fetch_all(audit)
    .await?;
    let mut trail = Trail::new();
    for (id, action, version, n) in rows {
        trail.entry((id, action)).or_default().insert(version, n);
    }
    Ok(trail)
}

/// The outbox rows not yet published (a relay behind, or leases not yet run out).
pub async fn backlog(db: &PgPool) -> Result<i64, Error> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(db)
            .await?,
    )
}

/// Waits (up to `limit`) until the outbox is empty and the audit trail holds every write the
/// clients saw answered; returns how long that took.
pub async fn drain(
    db: &PgPool,
    audit: &PgPool,
    run: &str,
    ledger: &HashMap<String, Object>,
    limit: Duration,
) -> Result<Duration, Error> {
    let start = Instant::now();
    loop {
        let pending = backlog(db).await.unwrap_or(i64::MAX);
        let missing = match trail(audit, run).await {
            Ok(t) => ledger
                .iter()
                .filter(|(id, o)| {
                    let has = |action: &str| t.contains_key(&((*id).clone(), action.to_owned()));
                    (o.create == Ack::Acked && !has("insert"))
                        || (o.delete == Ack::Acked && !has("delete"))
                })
                .count(),
            Err(_) => usize::MAX,
        };
        if pending == 0 && missing == 0 {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every acknowledged write against the stores, every committed change against the audit trail.
pub async fn losses(
    db: &PgPool,
    audit: &PgPool,
    run: &str,
    ledger: &HashMap<String, Object>,
) -> Result<Losses, Error> {
    let stored = customers(db, run).await?;
    let trail = trail(audit, run).await?;
    let mut losses = Losses::default();
    let empty = HashMap::new();
    for (id, o) in ledger {
        let row = stored.get(id);
        let records = |action: &str| {
            trail
                .get(&(id.clone(), action.to_owned()))
                .unwrap_or(&empty)
        };
        let last_try = o.renames.last().map(|r| r.phase).unwrap_or(o.create_phase);
        // Committed writes the client was told about.
        if o.create == Ack::Acked && o.delete == Ack::None && row.is_none() {
            losses.note("write", o.create_phase, format!("{id}: created, then gone"));
        }
        if o.delete == Ack::Acked && row.is_some() {
            losses.note(
                "write",
                o.delete_phase,
                format!("{id}: deleted, still there"),
            );
        }
        if let (Some((name, _)), Some(acked)) = (row, o.acked_seq())
            && seq_of(name).unwrap_or(0) < acked.seq
        {
            let example = format!("{id}: rename #{} answered, stored {name}", acked.seq);
            losses.note("write", acked.phase, example);
        }
        // The changes that were committed: the store's version counts the updates.
        let deleted = records("delete");
        let created = o.create == Ack::Acked || row.is_some() || !deleted.is_empty();
        let last_version = row
            .map(|(_, v)| *v)
            .or_else(|| deleted.keys().flatten().max().copied())
            .unwrap_or(1);
        let mut wanted: Vec<(&str, Option<i64>, usize)> = Vec::new();
        if created {
            wanted.push(("insert", None, o.create_phase));
        }
        for version in 2..=last_version {
            let phase = o
                .renames
                .iter()
                .find(|r| r.version == Some(version))
                .map(|r| r.phase)
                .unwrap_or(last_try);
            wanted.push(("update", Some(version), phase));
        }
        for r in &o.renames {
            if let Some(v) = r.version
                && v > last_version
            {
                wanted.push(("update", Some(v), r.phase));
            }
        }
        let gone = row.is_none() && created;
        if o.delete == Ack::Acked || (o.delete == Ack::Ambiguous && gone) {
            wanted.push(("delete", None, o.delete_phase));
        }
        for (action, version, phase) in &wanted {
            let found: i64 = match version {
                Some(v) => records(action).get(&Some(*v)).copied().unwrap_or(0),
                None => records(action).values().sum(),
            };
            if found == 0 {
                let example = format!("{id}: no audit record of {action} {version:?}");
                losses.note("lost", *phase, example);
            } else if found > 1 {
                for _ in 1..found {
                    let example = format!("{id}: {found} audit records of {action} {version:?}");
                    losses.note("extra", *phase, example);
                }
            }
        }
        // Records of changes that never happened (a create that did not commit).
        if !created {
            for action in ["insert", "update", "delete"] {
                for _ in 0..records(action).values().sum::<i64>() {
                    let example = format!("{id}: audit record of {action} that did not happen");
                    losses.note("extra", o.create_phase, example);
                }
            }
        }
    }
    Ok(losses)
}

/// Reads every long-lived customer, and its promotion's customer name, through every process
/// and compares them with PostgreSQL: returns (reads, stale reads, what was stale). A process
/// that does not answer is asked again for a few seconds (it may be restarting), then counted.
pub async fn stale_reads(
    fleet: &Fleet,
    db: &PgPool,
    stable: &[Stable],
) -> Result<(usize, usize, Vec<String>), Error> {
    let ids: Vec<String> = stable.iter().map(|s| s.id.clone()).collect();
    let truth: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM customers WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    let (mut reads, mut stale, mut examples) = (0, 0, Vec::new());
    for s in stable {
        let want = truth.get(&s.id).cloned().unwrap_or_default();
        for via in Via::all(fleet.replicas()) {
            let deadline = Instant::now() + Duration::from_secs(10);
            let answers = loop {
                let name = fleet.customer_name(via, &s.id).await;
                let shown = fleet.promotion_customer(via, s.promotion).await;
                match (name, shown) {
                    (Ok(n), Ok(p)) => break Ok((n, p)),
                    (Err(e), _) | (_, Err(e)) if Instant::now() > deadline => break Err(e),
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            };
            reads += 2;
            match answers {
                Ok((name, shown)) => {
                    for (what, got) in [("customer", name), ("promotion's customer", shown)] {
                        if got != want {
                            stale += 1;
                            if examples.len() < 10 {
                                examples.push(format!(
                                    "{via:?} {what} {}: {got:?}, stored {want:?}",
                                    s.id
                                ));
                            }
                        }
                    }
                }
                Err(e) => {
                    stale += 2;
                    examples.push(format!("{via:?} {}: no answer: {}", s.id, e.detail));
                }
            }
        }
    }
    Ok((reads, stale, examples))
}
