//! The relay killed between publish and mark-sent: made to happen on purpose, not by chance.

use crate::Error;
use crate::cluster::Cluster;
use crate::load::Shared;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::time::Duration;
/// The advisory lock a trigger makes mark-sent wait for while the driver holds it.
const HOLD_KEY: i64 = 727_001;

/// Makes every relay's mark-sent wait (a trigger on the outbox that takes an advisory lock the
/// driver holds), waits for one that has published a batch, SIGKILLs its process and ends its
/// database session (so the mark-sent it sent never commits, as in a crash), then lets the others
/// go. Returns the process killed and when.
pub async fn kill_relay_after_publish(
    cluster: &Cluster,
    shared: &Shared,
) -> Result<(String, f64), Error> {
    let mut conn = PgConnection::connect(cluster.get("postgres")?).await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(HOLD_KEY)
        .execute(&mut conn)
        .await?;
    // A constant of this file, not outside input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE OR REPLACE FUNCTION gotemp_fault_hold() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL THEN \
         PERFORM pg_advisory_xact_lock_shared({HOLD_KEY}); END IF; RETURN NEW; END $$; \
         DROP TRIGGER IF EXISTS gotemp_fault_hold ON outbox; \
         CREATE TRIGGER gotemp_fault_hold BEFORE UPDATE ON outbox \
         FOR EACH ROW EXECUTE FUNCTION gotemp_fault_hold();"
    )))
    .execute(&mut conn)
    .await?;
    let waiting = "SELECT a.pid, a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                   WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1 LIMIT 1";
    let mut found = None;
    for _ in 0..300 {
        let row: Option<(i32, Option<i32>)> = sqlx::query_as(waiting)
            .bind(HOLD_KEY)
            .fetch_optional(&mut conn)
            .await?;
        if let Some((backend, Some(port))) = row
            && let Some(name) = u16::try_from(port)
                .ok()
                .and_then(|p| cluster.owner_of_port(p))
        {
            found = Some((backend, name));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outcome = match found {
        Some((backend, name)) => {
            let at = shared.now();
            let killed = cluster.control(&["signal", &name, "KILL"]).await;
            // Its connection is gone; what matters is that its backend is too, before the lock.
            let ended = sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(backend)
                .execute(&mut conn)
                .await;
            killed
                .and(ended.map(drop).map_err(Error::from))
                .map(|()| (name, at))
        }
        None => Err("no relay reached mark-sent within 15 s".into()),
    };
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(HOLD_KEY)
        .execute(&mut conn)
        .await?;
    sqlx::raw_sql("DROP TRIGGER gotemp_fault_hold ON outbox; DROP FUNCTION gotemp_fault_hold();")
        .execute(&mut conn)
        .await?;
    // The other relays mark their batches sent once let go; what stays claimed and unsent is
    // the killed relay's: published, and published again when its lease runs out.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let orphaned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND claimed_until > now()",
    )
    .fetch_one(&mut conn)
    .await?;
    outcome.map(|(name, at)| (format!("{name}, {orphaned} events to publish again"), at))
}
